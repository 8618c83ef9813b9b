package bench

import (
	"crypto/sha256"
	"os"
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
