package nodestest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"lienthong/hub/hubtest"
	"lienthong/hub/service"
	"lienthong/hub/store/pgstore"
)

// TestCollectOnOneNode: while one node holds the collection's lock the
// other skips its round; once released, the other collects.
func TestCollectOnOneNode(t *testing.T) {
	n1, n2 := twoNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s1 := n1.Store.(*pgstore.Store)
	ran := 0
	err := s1.RunAlone(ctx, "collect", func(ctx context.Context) error {
		ran++
		if err := n2.Collect(ctx); !errors.Is(err, service.ErrSkipped) {
			t.Errorf("node 2 collected while node 1 held the lock: %v", err)
		}
		if err := n2.Store.(*pgstore.Store).RunAlone(ctx, "collect", func(context.Context) error {
			t.Error("node 2 ran the job while node 1 held the lock")
			return nil
		}); !errors.Is(err, pgstore.ErrLocked) {
			t.Errorf("node 2's lock while node 1 held it: %v", err)
		}
		return nil
	})
	if err != nil || ran != 1 {
		t.Fatalf("node 1 with the lock: ran %d times, %v", ran, err)
	}
	if err := n2.Collect(ctx); err != nil {
		t.Fatalf("node 2 after node 1 released the lock: %v", err)
	}
	if err := n1.Collect(ctx); err != nil {
		t.Fatalf("node 1 again: %v", err)
	}
}

// TestCollectRoundRunsOnce: two nodes starting a round at once, the job
// runs on one; the other is refused at once, not after the job.
func TestCollectRoundRunsOnce(t *testing.T) {
	n1, n2 := twoNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var ran atomic.Int32
	release := make(chan struct{})
	results := make(chan error, 2)
	for _, n := range []*hubtest.Hub{n1, n2} {
		go func() {
			results <- n.Store.(*pgstore.Store).RunAlone(ctx, "collect", func(context.Context) error {
				ran.Add(1)
				select {
				case <-release:
				case <-time.After(5 * time.Second): // both ran: the test fails below
				}
				return nil
			})
		}()
	}
	if err := <-results; !errors.Is(err, pgstore.ErrLocked) {
		t.Fatalf("the first node to finish: %v, want it refused while the other runs", err)
	}
	close(release)
	if err := <-results; err != nil {
		t.Fatalf("the node that ran the job: %v", err)
	}
	if n := ran.Load(); n != 1 {
		t.Fatalf("the job ran %d times in one round", n)
	}
}
