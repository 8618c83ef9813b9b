package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// binDir holds the lienthong-hub the tests build, removed at the end.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lienthong-bench-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	hubBin    string
	buildErr  error
)

// hubBinaryForTest builds lienthong-hub into binDir once for the package,
// the first time a test needs it, so that a run of the other tests alone
// does not wait for it. With a warm build cache that is the link, 2 to 3 s
// here, shortened by leaving out the symbol table and DWARF.
func hubBinaryForTest(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", binDir, "lienthong/hub/cmd/lienthong-hub")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build lienthong-hub: %v\n%s", err, out)
			return
		}
		hubBin = filepath.Join(binDir, HubBinaryName)
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return hubBin
}
