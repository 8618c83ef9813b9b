// Package heapfloor lets a process's heap grow to a floor before the Go
// collector runs, instead of to GOGC per cent above what it found live.
//
// A hub node's live heap is small, some MiB, while under load it
// allocates hundreds of MiB a second: with the runtime's default the
// collector then runs tens of times a second, and each cycle costs more
// than the little it marks (every goroutine's stack scanned, every span
// swept). A floor of a few times the live heap removes most cycles; a
// much larger one spreads the allocations over memory the caches no
// longer hold, and costs more than it saves. A floor
// sets GOGC after each cycle so that the next one starts no earlier than
// at the floor, and never lowers GOGC below what the process started
// with: a live heap above the floor (thousands of long polls) is
// collected as before. The soft memory limit (GOMEMLIMIT) still bounds
// the heap whatever GOGC says.
package heapfloor

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// minimumHeap is the runtime's least goal at GOGC 100 (defaultHeapMinimum
// in runtime/mgcpacer.go); the goal is never below it scaled by GOGC/100.
const minimumHeap = 4 << 20

// Start keeps the collector's goal at least floor bytes, until stop. It
// does nothing when floor is not positive or the collector is off
// (GOGC=off); stop then does nothing either. stop restores the GOGC the
// process had at Start.
func Start(floor int64) (stop func()) {
	base := debug.SetGCPercent(100)
	debug.SetGCPercent(base)
	if floor <= 0 || base < 0 {
		return func() {}
	}
	t := &tuner{floor: floor, base: base, last: base, samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
	}}
	t.cycle()
	return t.stop
}

type tuner struct {
	floor int64
	base  int

	mu      sync.Mutex
	stopped bool
	last    int // the GOGC last set
	samples []metrics.Sample
}

// sentinel is an object no one keeps: its cleanup runs after the first
// cycle that finds it unreachable. It is big enough to have an object
// of its own (the runtime packs smaller ones without pointers together).
type sentinel [64]byte

// arm asks to hear of the next collection.
func (t *tuner) arm() {
	runtime.AddCleanup(new(sentinel), (*tuner).cycle, t)
}

// cycle runs at Start and after each collection: unless stopped, it sets
// GOGC for the next one and waits for the one after.
func (t *tuner) cycle() {
	if t.tune() {
		t.arm()
	}
}

// tune sets GOGC so that the next cycle starts at the floor, and reports
// whether the tuner still runs. The runtime's goal is live + (live +
// stacks + globals) × GOGC/100, and at least minimumHeap × GOGC/100.
func (t *tuner) tune() (running bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	metrics.Read(t.samples)
	live := int64(t.samples[0].Value.Uint64())
	roots := live + int64(t.samples[1].Value.Uint64()) + int64(t.samples[2].Value.Uint64())
	percent := t.base
	if roots > 0 && live < t.floor {
		percent = max(t.base, int(min((t.floor-live)*100/roots, t.floor*100/minimumHeap)))
	}
	if percent != t.last {
		debug.SetGCPercent(percent)
		t.last = percent
	}
	return true
}

func (t *tuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		debug.SetGCPercent(t.base)
	}
}
