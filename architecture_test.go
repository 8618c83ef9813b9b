package lienthong

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

type listedPackage struct {
	ImportPath string
	Name       string
	Doc        string
	Deps       []string
	Standard   bool
}

// listPackages runs go list over the module with the given environment.
func listPackages(t *testing.T, env ...string) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Name,Doc,Deps,Standard", "./...")
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func under(path string, prefixes ...string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// standard reports whether an import path is in the standard library: its
// first element has no dot and it is not this module.
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".") && first != "lienthong"
}

// dependencyRules is the architecture as an allow-list for non-test builds:
// each rule names the packages it applies to and the module's packages they
// may depend on, directly or through others; forbidden names libraries
// they must not reach. Tests may import more (hub/hubtest starts a real
// hub for the desktop's tests).
var dependencyRules = []struct {
	name      string
	applies   func(pkg string) bool
	allowed   []string // module packages it may depend on; nil: any
	forbidden []string // libraries or module packages it must not depend on
	stdOnly   bool     // the standard library and nothing else
}{
	{
		name:      "certs is the root of the import graph",
		applies:   func(p string) bool { return under(p, "lienthong/certs") && !under(p, "lienthong/certs/cmd") },
		allowed:   []string{"lienthong/certs"},
		forbidden: []string{"github.com/quic-go", "go.etcd.io/bbolt", "fyne.io"},
	},
	{
		name:      "the PKI's command uses certs and the command-line shape only",
		applies:   func(p string) bool { return under(p, "lienthong/certs/cmd") },
		allowed:   []string{"lienthong/certs", "lienthong/internal/cli"},
		forbidden: []string{"github.com/quic-go", "go.etcd.io/bbolt", "fyne.io"},
	},
	{
		name:    "the command-line shape is standard library only",
		applies: func(p string) bool { return p == "lienthong/internal/cli" },
		stdOnly: true,
	},
	{
		name:    "the wire protocol is a leaf of the standard library",
		applies: func(p string) bool { return p == "lienthong/shared/wire" },
		stdOnly: true,
	},
	{
		name:      "shared packages use certs, each other and libraries; only the hub client speaks QUIC",
		applies:   func(p string) bool { return under(p, "lienthong/shared") && !under(p, "lienthong/shared/hubclient") },
		allowed:   []string{"lienthong/certs", "lienthong/shared"},
		forbidden: []string{"github.com/quic-go", "go.etcd.io/bbolt", "fyne.io", "lienthong/shared/hubclient"},
	},
	{
		name:      "the hub client imports nothing under hub/",
		applies:   func(p string) bool { return under(p, "lienthong/shared/hubclient") },
		allowed:   []string{"lienthong/certs", "lienthong/shared"},
		forbidden: []string{"go.etcd.io/bbolt", "fyne.io"},
	},
	{
		name:      "the hub uses certs, shared and its own packages, never the desktop or Fyne",
		applies:   func(p string) bool { return under(p, "lienthong/hub") },
		allowed:   []string{"lienthong/certs", "lienthong/shared", "lienthong/hub", "lienthong/internal"},
		forbidden: []string{"fyne.io"},
	},
	{
		name: "the hub's server side never speaks to a hub as a client",
		applies: func(p string) bool {
			return under(p, "lienthong/hub/server", "lienthong/hub/store", "lienthong/hub/relay", "lienthong/hub/service",
				"lienthong/hub/control", "lienthong/hub/config", "lienthong/hub/front", "lienthong/hub/wakeup", "lienthong/hub/cmd/lienthong-hub")
		},
		forbidden: []string{"lienthong/shared/hubclient"},
	},
	{
		name:      "the production hub binary carries no load tool (that is lienthong-bench)",
		applies:   func(p string) bool { return p == "lienthong/hub/cmd/lienthong-hub" },
		forbidden: []string{"lienthong/hub/bench"},
	},
	{
		name:    "the desktop imports only certs, shared and its own packages",
		applies: func(p string) bool { return under(p, "lienthong/desktop") },
		allowed: []string{"lienthong/certs", "lienthong/shared", "lienthong/desktop", "lienthong/internal"},
	},
	{
		name: "the desktop core is Fyne-free",
		applies: func(p string) bool {
			return under(p, "lienthong/desktop") && !under(p, "lienthong/desktop/ui", "lienthong/desktop/cmd/lienthong-desktop")
		},
		forbidden: []string{"fyne.io"},
	},
}

// TestDependencies fails on an import that breaks the architecture:
// certs <- shared/* <- hub, desktop; no Fyne outside the desktop's UI.
func TestDependencies(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, rule := range dependencyRules {
			if !rule.applies(p.ImportPath) {
				continue
			}
			for _, dep := range p.Deps {
				switch {
				case rule.stdOnly && !standard(dep):
					t.Errorf("%s: %s imports %s", rule.name, p.ImportPath, dep)
				case under(dep, rule.forbidden...):
					t.Errorf("%s: %s imports %s", rule.name, p.ImportPath, dep)
				case rule.allowed != nil && under(dep, "lienthong") && !under(dep, rule.allowed...):
					t.Errorf("%s: %s imports %s", rule.name, p.ImportPath, dep)
				}
			}
		}
	}
}

// TestOnlyDesktopCommandsImportFyneApp keeps fyne.io/fyne/v2/app (the real
// driver) out of everything but the desktop binary, so that UI code runs
// headless under fyne's test driver.
func TestOnlyDesktopCommandsImportFyneApp(t *testing.T) {
	for _, p := range listPackages(t) {
		if under(p.ImportPath, "lienthong/desktop/cmd") {
			continue
		}
		for _, dep := range p.Deps {
			if dep == "fyne.io/fyne/v2/app" {
				t.Errorf("%s imports fyne.io/fyne/v2/app", p.ImportPath)
			}
		}
	}
}

// TestHubBuildsWithoutCgo checks that the hub's packages need no cgo, so
// that it ships as a static binary.
func TestHubBuildsWithoutCgo(t *testing.T) {
	cmd := exec.Command("go", "build", "./hub/...", "./certs/...")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./hub/...: %v\n%s", err, out)
	}
}

// TestPackageDocs wants a doc comment on every package.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s (%s) has no doc comment", p.ImportPath, p.Name)
		}
	}
}
