package document

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the shared model light: the hub ships as a static binary
// and the desktop core must not pull in Fyne, storage or networking through
// it. Whatever lienthong/certs needs is its own business; beyond that this
// package may add only the search folding, strict JSON and golang.org/x/text.
func TestDeps(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list dependencies: %v", err)
	}
	list := func(pkg string) map[string]bool {
		out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[d] = true
		}
		return deps
	}
	fromCerts := list("lienthong/certs")
	for dep := range list(".") {
		switch {
		case fromCerts[dep]:
		case dep == "lienthong/shared/document", dep == "lienthong/shared/vnsearch", dep == "lienthong/shared/strictjson":
		case strings.HasPrefix(dep, "golang.org/x/text/"):
		default:
			t.Errorf("shared/document depends on %s", dep)
		}
	}
}
