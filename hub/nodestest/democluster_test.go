package nodestest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lienthong/hub/bench"
	"lienthong/internal/buildtest"
)

// TestDemoCluster runs make demo-cluster's script (packaging/demo-cluster.sh)
// as make would, on binaries built for the test and free ports: its own
// PostgreSQL, two hub nodes as their own processes, the demo's exchange
// with the sender on node 1 and the recipient on node 2, and the auditor's
// checks that both nodes serve one log. When it ends, nothing it started
// runs any more.
func TestDemoCluster(t *testing.T) {
	dir := t.TempDir()
	// PostgreSQL runs as nobody when the tests run as root: it must reach
	// its folder.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for p := filepath.Dir(dir); p != "/" && strings.HasPrefix(p, os.TempDir()+"/"); p = filepath.Dir(p) {
		os.Chmod(p, 0o755)
	}
	bin := filepath.Join(dir, "bin")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := buildtest.Build(ctx, bin, []string{"CGO_ENABLED=0"}, "lienthong/hub/cmd/lienthong-hub",
		"lienthong/certs/cmd/lienthong-certs", "lienthong/desktop/cmd/lienthong-clerk", "lienthong/desktop/cmd/lienthong-verify"); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	cmd := exec.CommandContext(ctx, "../../packaging/demo-cluster.sh")
	cmd.Env = append(os.Environ(), "DEMO_EXIT=1", "DEMO_BIN="+bin, "DEMO_STATE="+state,
		"DEMO_NODE1="+freeAddr(t), "DEMO_OPS1="+freeAddr(t), "DEMO_NODE2="+freeAddr(t), "DEMO_OPS2="+freeAddr(t))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// Its own process group, so that whatever is left of it can be ended.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	pidFile := filepath.Join(state, "pg", "data", "postmaster.pid")
	t.Cleanup(func() { stopPostgres(t, pidFile) })
	err := cmd.Run()
	t.Logf("demo-cluster.sh:\n%s", &out)
	if err != nil {
		t.Fatalf("demo-cluster.sh: %v", err)
	}
	for _, want := range []string{
		"hub node 1 on", "Quảng Ninh's clerk uses node 1, Nghệ An's node 2",
		"1/UBND-VP sent", "Về việc thử nghiệm Trục liên thông văn bản",
		"000.00.00.H41 Ủy ban nhân dân tỉnh Nghệ An: 01 03",
		"OK   the delivered receipt is recorded in the log",
		"OK: first checkpoint of localhost/log saved",
		"belong to one history",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo does not say %q", want)
		}
	}
	if strings.Contains(out.String(), "FAIL") {
		t.Error("the auditor found something wrong")
	}
	if _, err := os.Stat(pidFile); err == nil {
		t.Error("PostgreSQL still runs after the demo")
	}
	for _, node := range []string{"hub1", "hub2"} {
		if _, err := os.Stat(filepath.Join(state, node, "control.sock")); err == nil {
			t.Errorf("%s did not stop gracefully (its control socket is left)", node)
		}
	}
}

// stopPostgres ends a PostgreSQL the script left running (it failed half
// way): SIGQUIT is an immediate shutdown.
func stopPostgres(t *testing.T, pidFile string) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0]); err == nil {
		t.Logf("stopping PostgreSQL (pid %d) left by the demo", pid)
		syscall.Kill(pid, syscall.SIGQUIT)
	}
}

// freeAddr returns a loopback address free for UDP and TCP (bench.FreeAddr:
// outside the ports the kernel hands out).
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := bench.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
