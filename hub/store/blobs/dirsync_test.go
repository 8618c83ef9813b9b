package blobs

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every caller must see an fsync that started after it called, and
// callers that overlap must share fsyncs.
func TestDirSyncGroups(t *testing.T) {
	var started, finished atomic.Int64 // fsyncs
	s := newDirSync("")
	s.fsync = func() error {
		started.Add(1)
		time.Sleep(2 * time.Millisecond)
		finished.Add(1)
		return nil
	}
	const callers = 64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			before := started.Load()
			if err := s.sync(); err != nil {
				t.Error(err)
			}
			// An fsync that started after the call has finished.
			if finished.Load() <= before {
				t.Errorf("returned after %d fsyncs finished, %d had started before the call", finished.Load(), before)
			}
		})
	}
	wg.Wait()
	if n := started.Load(); n >= callers/2 {
		t.Errorf("%d callers at once took %d fsyncs", callers, n)
	}
}

func TestDirSyncError(t *testing.T) {
	fail := errors.New("EIO")
	s := newDirSync("")
	s.fsync = func() error { return fail }
	if err := s.sync(); !errors.Is(err, fail) {
		t.Fatalf("sync = %v, want the fsync's error", err)
	}
	s.fsync = func() error { return nil }
	if err := s.sync(); err != nil {
		t.Fatalf("a later fsync that works: %v", err)
	}
}
