package boltstore_test

import (
	"context"
	"errors"
	"testing"

	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
	"lienthong/hub/store/storetest"
)

// reopenable adds storetest.Reopener to a bbolt store in a test directory.
type reopenable struct {
	*boltstore.Store
	dir  string
	opts boltstore.Options
}

func openAt(t *testing.T, dir string, opts boltstore.Options) *reopenable {
	t.Helper()
	s, err := boltstore.Open(dir, opts)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		// Every conformance test ends with a consistent store.
		if err := s.Verify(context.Background()); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("at the end of the test: %v", err)
		}
		s.Close()
	})
	return &reopenable{Store: s, dir: dir, opts: opts}
}

func (r *reopenable) Reopen(t *testing.T) store.Store {
	t.Helper()
	if err := r.Verify(context.Background()); err != nil {
		t.Fatalf("before reopen: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	return openAt(t, r.dir, r.opts)
}

var groupCommits = []struct {
	name string
	opts boltstore.Options
}{
	{"Queue", boltstore.Options{GroupCommit: boltstore.CommitQueue}},
	{"BoltBatch", boltstore.Options{GroupCommit: boltstore.CommitBoltBatch}},
}

func TestConformance(t *testing.T) {
	for _, gc := range groupCommits {
		t.Run(gc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return openAt(t, t.TempDir(), gc.opts) })
		})
	}
}

func TestOpenRefusesUnknownGroupCommit(t *testing.T) {
	if _, err := boltstore.Open(t.TempDir(), boltstore.Options{GroupCommit: 7}); err == nil {
		t.Fatal("Open accepted an unknown group commit")
	}
}
