package bench

import (
	"crypto/sha256"
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name string
		line string
		want time.Duration
		ok   bool
	}{
		{"plain", "4242 (lienthong-hub) S 1 4242 4242 0 -1 4194560 1500 0 0 0 123 45 0 0 20 0 9 0", 1680 * time.Millisecond, true},
		{"a name with spaces and parentheses", "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 2 3 0 0", 50 * time.Millisecond, true},
		{"no name", "7 a R 1", 0, false},
		{"cut short", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 2", 0, false},
		{"not a number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 two 3", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.line))
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("parseStatCPU = %v, %v; want %v (ok %v)", got, err, tt.want, tt.ok)
			}
		})
	}
	// Read for this process, the figure is getrusage's to two ticks
	// (user and system time are each cut to the tick).
	for sum := sha256.Sum256(nil); processCPU() < 5*clockTick; {
		sum = sha256.Sum256(sum[:])
	}
	before := processCPU()
	self, err := pidCPU(os.Getpid())
	after := processCPU()
	if err != nil || self < before-2*clockTick || self > after {
		t.Fatalf("pidCPU(self) = %v, %v; getrusage says %v to %v", self, err, before, after)
	}
}

func TestParseStatTree(t *testing.T) {
	ppid, cpu, err := parseStatTree([]byte("4242 (postgres: x (y)) S 17 4242 4242 0 -1 4194560 1500 0 0 0 123 45 6 4 20 0 9 0"))
	if err != nil || ppid != 17 || cpu != 1780*time.Millisecond {
		t.Fatalf("parseStatTree = %d, %v, %v; want 17, 1.78s", ppid, cpu, err)
	}
	for _, line := range []string{"7 a R 1", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 2 3 4", "7 (x) R one 7 7 0 -1 0 0 0 0 0 2 3 4 5", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 2 3 -4 5"} {
		if _, _, err := parseStatTree([]byte(line)); err == nil {
			t.Fatalf("parseStatTree(%q) took it", line)
		}
	}
}

// TestTreeCPU: a child's CPU time, once it has ended, counts in its
// parent's tree.
func TestTreeCPU(t *testing.T) {
	before, err := treeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	child := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	after, err := treeCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after-before < child-2*clockTick {
		t.Fatalf("the tree's CPU grew by %v, the child used %v", after-before, child)
	}
}
