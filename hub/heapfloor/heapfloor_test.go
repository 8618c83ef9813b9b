package heapfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func goal() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

func percent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// settle collects, then again until the collector's goal satisfies ok,
// as the floor's cleanup runs after a cycle, on a goroutine of its own.
func settle(t *testing.T, what string, ok func(int64) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if ok(goal()) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: goal %d MiB, GOGC %d", what, goal()>>20, percent())
		}
	}
}

var kept []byte

// TestFloor: a small live heap may grow to the floor, again after each
// collection as the live heap changes; a live heap above the floor is
// collected at the process's own GOGC; stop gives that GOGC back.
func TestFloor(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	const floor = 128 << 20
	near := func(g int64) bool { return g > floor*9/10 && g < floor*11/10 }

	runtime.GC()
	stop := Start(floor)
	t.Cleanup(stop)
	settle(t, "small live heap", near)

	// Forty MiB more live: the GOGC set for the smaller heap would put the
	// goal far above the floor if the next cycle did not set it again.
	kept = make([]byte, 40<<20)
	settle(t, "larger live heap", near)
	if p := percent(); p <= 100 {
		t.Errorf("GOGC %d under the floor; want above the process's 100", p)
	}

	// Past the floor, the process's own GOGC.
	kept = make([]byte, 160<<20)
	settle(t, "live heap past the floor", func(g int64) bool { return percent() == 100 })
	if g := goal(); g < 2*160<<20 {
		t.Errorf("goal %d MiB with 160 MiB live at GOGC 100", g>>20)
	}

	kept = nil
	stop()
	runtime.GC()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if p := percent(); p != 100 {
		t.Errorf("GOGC %d after stop; want the process's 100 back", p)
	}
}

// TestOff: no floor, or the collector turned off, and Start changes nothing.
func TestOff(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	Start(0)()
	if p := percent(); p != 100 {
		t.Errorf("GOGC %d after a floor of 0", p)
	}
	debug.SetGCPercent(-1)
	stop := Start(64 << 20)
	t.Cleanup(stop)
	runtime.GC()
	if p := percent(); p != -1 {
		t.Errorf("GOGC %d with the collector off; want it left off", p)
	}
	stop()
	if p := percent(); p != -1 {
		t.Errorf("GOGC %d after stop with the collector off", p)
	}
}
