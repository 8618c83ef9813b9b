// Package buildtest builds the project's commands for tests that run them
// as processes, as an operator or another vendor would: once per test
// package, into a folder the tests share.
package buildtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Build builds the commands pkgs (import paths such as
// "lienthong/hub/cmd/lienthong-hub") into dir, with env added to the
// environment (e.g. "CGO_ENABLED=0"); the build's output is in the error.
func Build(ctx context.Context, dir string, env []string, pkgs ...string) error {
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", dir + string(os.PathSeparator)}, pkgs...)...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %v: %w\n%s", pkgs, err, out)
	}
	return nil
}

// Main is a test package's TestMain: it builds pkgs into a new temporary
// folder, points *bin at it, runs the tests, removes the folder and exits
// with the tests' code, or 2 when the build fails.
func Main(m *testing.M, bin *string, pkgs ...string) {
	dir, err := os.MkdirTemp("", "lienthong-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := Build(context.Background(), dir, nil, pkgs...); err != nil {
		fmt.Fprintln(os.Stderr, "build the binaries:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	*bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
