package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// hubBuild is the lienthong-hub the tests run, built once for the package
// into a temporary folder. TestMain starts the build, so that it goes on
// while the first tests, which need no binary, run; with a warm build
// cache it is the link, 2 to 3 s here, shortened by leaving out the symbol
// table and DWARF.
var hubBuild struct {
	out  []byte
	err  error
	done chan struct{}
	path string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lienthong-bench-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b := &hubBuild
	b.path, b.done = filepath.Join(dir, HubBinaryName), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags=-s -w", "-o", b.path, "lienthong/hub/cmd/lienthong-hub")
	go func() {
		defer close(b.done)
		b.out, b.err = cmd.CombinedOutput()
	}()
	code := m.Run()
	cancel() // the build is over, or no test needed it
	<-b.done
	os.RemoveAll(dir)
	os.Exit(code)
}

// hubBinaryForTest waits for TestMain's build of lienthong-hub and returns
// its path.
func hubBinaryForTest(tb testing.TB) string {
	tb.Helper()
	<-hubBuild.done
	if hubBuild.err != nil {
		tb.Fatalf("go build lienthong-hub: %v\n%s", hubBuild.err, hubBuild.out)
	}
	return hubBuild.path
}
