//go:build linux

package clustertest

import (
	"testing"
	"time"

	"lienthong/shared/auditlog"
)

// TestLeaderPowerCut: the PostgreSQL leader's machine loses power (its
// Patroni and all its PostgreSQL processes SIGKILLed at once) twice while
// agencies work through both hub nodes. Patroni promotes the synchronous
// standby; nothing the hub acknowledged is lost or delivered twice, and
// the log signed before each cut is a prefix of the log after.
func TestLeaderPowerCut(t *testing.T) {
	healthy(t)
	l := startLoad(t)
	const cuts = 2
	var before []auditlog.Checkpoint
	for k := range cuts {
		l.waitAnswered(5)
		before = append(before, l.checkpoint())
		leader, sync := settled(t)
		at := powerCut(t, leader)
		var now string
		for deadline := time.Now().Add(3 * time.Minute); now == "" || now == leader; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no new leader 3 minutes after the power cut of %s", leader)
			}
			now, _ = roles()
		}
		promoted := time.Since(at)
		stall := l.waitResumed(at, true)
		t.Logf("power cut %d of the leader %s: %s promoted after %v, writes resumed after %v",
			k+1, leader, now, promoted.Round(100*time.Millisecond), stall.Round(100*time.Millisecond))
		if now != sync {
			t.Errorf("Patroni promoted %q, not the synchronous standby %s", now, sync)
		}
		start := time.Now()
		if _, err := script("start", env.cluster); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s back as a standby, with a synchronous standby, %v after it was started again", leader, time.Since(start).Round(100*time.Millisecond))
	}
	l.waitAnswered(5)
	l.finish()
	final := l.checkpoint()
	for _, cp := range before {
		l.consistent(cp, final)
	}
	l.checkReceipts(final)
}

// TestSyncStandbyKill: the synchronous standby dies under load. Commits
// wait until Patroni names the other standby synchronous, then go on;
// nothing is lost.
func TestSyncStandbyKill(t *testing.T) {
	healthy(t)
	l := startLoad(t)
	l.waitAnswered(5)
	before := l.checkpoint()
	leader, sync := settled(t)
	at := powerCut(t, sync)
	stall := l.waitResumed(at, true)
	var named string
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var now string
		if now, named = roles(); now == leader && named != "" && named != sync {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no other synchronous standby named in 2 minutes (leader %q)", now)
		}
	}
	t.Logf("synchronous standby %s killed: writes resumed after %v; %s named synchronous after %v",
		sync, stall.Round(10*time.Millisecond), named, time.Since(at).Round(100*time.Millisecond))
	l.waitAnswered(5)
	if _, err := script("start", env.cluster); err != nil {
		t.Fatal(err)
	}
	l.finish()
	final := l.checkpoint()
	l.consistent(before, final)
	l.checkReceipts(final)
}

// TestHubNodeKill: one hub node is SIGKILLed under load. Its agencies go
// on through the other node; nothing is lost or duplicated.
func TestHubNodeKill(t *testing.T) {
	healthy(t)
	l := startLoad(t)
	l.waitAnswered(5)
	before := l.checkpoint()
	victim := env.nodes[0]
	var homed, quic, tcp []string
	for _, a := range l.agencies {
		if a.addrs[0] == victim.addr {
			homed = append(homed, a.code())
			if a.tcp {
				tcp = append(tcp, a.code())
			} else {
				quic = append(quic, a.code())
			}
		}
	}
	at := victim.kill()
	cutOff := func(codes []string) time.Duration {
		var worst time.Duration
		for _, code := range codes {
			worst = max(worst, l.waitResumed(at, false, code))
		}
		return worst.Round(10 * time.Millisecond)
	}
	t.Logf("hub node %d killed: its %d agencies were cut off at most %v (on QUIC %v, on TCP %v)",
		victim.num, len(homed), cutOff(homed), cutOff(quic), cutOff(tcp))
	l.waitAnswered(5)
	l.finish()
	final := l.checkpoint()
	l.consistent(before, final)
	l.checkReceipts(final)
}
