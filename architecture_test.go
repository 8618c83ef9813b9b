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

// dependencyRules says which imports each part of the tree must never
// have, directly or through others.
var dependencyRules = []struct {
	name      string
	applies   func(pkg string) bool
	forbidden []string
}{
	{
		name:      "certs is the root of the import graph",
		applies:   func(p string) bool { return under(p, "lienthong/certs") },
		forbidden: []string{"lienthong/shared", "lienthong/hub", "lienthong/desktop", "github.com/quic-go", "go.etcd.io/bbolt", "fyne.io"},
	},
	{
		name:      "shared packages use only certs and libraries",
		applies:   func(p string) bool { return under(p, "lienthong/shared") },
		forbidden: []string{"lienthong/hub", "lienthong/desktop", "github.com/quic-go", "go.etcd.io/bbolt", "fyne.io"},
	},
	{
		name:      "the hub never depends on the desktop or Fyne",
		applies:   func(p string) bool { return under(p, "lienthong/hub") },
		forbidden: []string{"lienthong/desktop", "fyne.io"},
	},
	{
		name: "the desktop core is Fyne-free",
		applies: func(p string) bool {
			return under(p, "lienthong/desktop") && !under(p, "lienthong/desktop/ui", "lienthong/desktop/cmd/lienthong-desktop")
		},
		forbidden: []string{"fyne.io"},
	},
	{
		name:      "the desktop does not reach into the hub's server code",
		applies:   func(p string) bool { return under(p, "lienthong/desktop") },
		forbidden: []string{"lienthong/hub/store", "lienthong/hub/server"},
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
				if under(dep, rule.forbidden...) {
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
