package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"lienthong/hub/store/pgstore/pgtest"
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
	if pg.cluster != nil {
		if err := pg.cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}

// pg is the PostgreSQL cluster of the tests that need one, started by the
// first of them and stopped by TestMain.
var pg struct {
	once    sync.Once
	cluster *pgtest.Cluster
	err     error
}

// postgresForTest returns the URL of a fresh database of the package's
// PostgreSQL cluster, starting the cluster the first time.
func postgresForTest(tb testing.TB) string {
	tb.Helper()
	pg.once.Do(func() { pg.cluster, pg.err = pgtest.Start(nil) })
	if pg.err != nil {
		tb.Fatal(pg.err)
	}
	return pg.cluster.NewDatabase(tb)
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
