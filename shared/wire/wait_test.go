package wire

import (
	"testing"
	"time"
)

// TestParseWait: a long poll's wait in seconds, none at once, at most
// MaxWait however large, and anything but a number of seconds refused.
func TestParseWait(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 0, "0": 0, "5": 5 * time.Second, "120": MaxWait, "121": MaxWait, "10000000000": MaxWait} {
		if got, ok := ParseWait(v); !ok || got != want {
			t.Errorf("%q: %v %v, want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"-1", "soon", "5s", "1.5", " 5"} {
		if _, ok := ParseWait(v); ok {
			t.Errorf("%q taken", v)
		}
	}
}
