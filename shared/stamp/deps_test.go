package stamp

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the stamp package a leaf: the hub (a static binary) and the
// desktop core link it, so it may use only the standard library,
// golang.org/x/image (fonts, rasteriser, with golang.org/x/sys/cpu) and
// golang.org/x/text (normalisation)
// — no cgo, no Fyne, no storage or network.
func TestDeps(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list dependencies: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "lienthong/shared/stamp":
		case strings.HasPrefix(dep, "golang.org/x/image/"), strings.HasPrefix(dep, "golang.org/x/text/"):
		case dep == "golang.org/x/sys/cpu": // x/image/vector's SIMD detection, pure Go
		default:
			t.Errorf("shared/stamp depends on %s", dep)
		}
	}
}
