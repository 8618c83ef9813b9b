package proxytest

import (
	"errors"
	"syscall"
	"testing"
)

// TestStartAndStop starts a proxy in a subtest, reads its log up to
// Settled's marker (which it leaves out), and checks that the process is
// gone once the subtest ended.
func TestStartAndStop(t *testing.T) {
	var p *Proxy
	t.Run("proxy", func(t *testing.T) {
		p = Start(t, Config{ConnectPorts: []int{1}})
		if got := p.Settled(t); len(got) != 0 {
			t.Fatalf("a new proxy logged CONNECTs %q", got)
		}
	})
	if p == nil {
		t.FailNow()
	}
	if err := syscall.Kill(p.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("tinyproxy (pid %d) outlived its test: %v", p.cmd.Process.Pid, err)
	}
}
