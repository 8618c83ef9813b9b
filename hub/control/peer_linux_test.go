package control

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// peerEnv makes the test binary a client of the control socket in the
// folder it names, as another user: see TestOtherUserRefused.
const peerEnv = "LIENTHONG_CONTROL_PEER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(peerEnv); dir != "" {
		os.Exit(peerClient(dir))
	}
	os.Exit(m.Run())
}

// peerClient asks the hub at dir for its agencies: exit 0 if it answered,
// 3 if it did not.
func peerClient(dir string) int {
	cl, err := Dial(context.Background(), dir)
	if err == nil {
		_, err = cl.Agencies(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	return 0
}

// TestOtherUserRefused opens the socket's file and folder to everyone, so
// that only the peer-credentials check stands between another user and
// the hub's store, and connects as user nobody (uid 65534). It needs root
// to change user; CI runs as root.
func TestOtherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	dir, _ := serve(t)
	// Open the way to the socket: t.TempDir's folders are the test's own.
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, SocketName), 0o666); err != nil {
		t.Fatal(err)
	}
	// A copy of the test binary that nobody may run.
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "peer.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	// run returns the client's exit status as uid.
	run := func(uid uint32) (int, string) {
		cmd := exec.Command(bin, "-test.run=^$")
		cmd.Env = append(os.Environ(), peerEnv+"="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, err := cmd.CombinedOutput()
		if err != nil && cmd.ProcessState == nil {
			t.Fatalf("run the client as %d: %v", uid, err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := run(0); code != 0 {
		t.Fatalf("root refused (exit %d): %s", code, out)
	}
	if code, out := run(65534); code != 3 {
		t.Fatalf("user nobody: exit %d, want 3 (refused): %s", code, out)
	}
	// The hub still serves its own user afterwards.
	if _, err := dial(t, dir).Agencies(context.Background()); err != nil {
		t.Fatal(err)
	}
}
