package pgstore_test

import (
	"context"
	"errors"
	"testing"

	"lienthong/hub/store"
	"lienthong/hub/store/pgstore"
	"lienthong/hub/store/pgstore/pgtest"
	"lienthong/hub/store/storetest"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	pgtest.Main(m, func(url string) error { return pgstore.Migrate(context.Background(), url) },
		func(c *pgtest.Cluster) { cluster = c })
}

// reopenable adds storetest.Reopener to a store on a test database.
type reopenable struct {
	*pgstore.Store
	url string
}

func openAt(t *testing.T, url string) *reopenable {
	t.Helper()
	s, err := pgstore.Open(context.Background(), url, pgstore.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		// Every test ends with a consistent store.
		if err := s.Verify(context.Background()); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("at the end of the test: %v", err)
		}
		s.Close()
	})
	return &reopenable{Store: s, url: url}
}

func (r *reopenable) Reopen(t *testing.T) store.Store {
	t.Helper()
	if err := r.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	return openAt(t, r.url)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openAt(t, cluster.NewDatabase(t)) })
}
