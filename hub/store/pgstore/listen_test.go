package pgstore_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
	"lienthong/hub/store/pgstore"
)

// TestListenReconnects: Listen passes on the agencies named on the wake
// channel, and when its connection is cut it connects again and goes on;
// each time it has begun listening it says so, once.
func TestListenReconnects(t *testing.T) {
	url := cluster.NewDatabase(t)
	s := openAt(t, url)
	lctx, stop := context.WithCancel(context.Background())
	woken := make(chan certs.AgencyCode, 100)
	var listening atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- s.Listen(lctx, 50*time.Millisecond, func(a ...certs.AgencyCode) {
			for _, a := range a {
				woken <- a
			}
		}, func() { listening.Add(1) })
	}()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Notify until the listener hears: it may not be listening yet, and
	// what is sent while it reconnects is lost.
	heard := func(agency certs.AgencyCode) {
		t.Helper()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		timeout := time.After(20 * time.Second)
		for {
			if _, err := conn.Exec(ctx, `SELECT pg_notify($1, $2)`, pgstore.WakeChannel, string(agency)); err != nil {
				t.Fatal(err)
			}
			select {
			case a := <-woken:
				if a == agency {
					return
				}
			case <-tick.C:
			case <-timeout:
				t.Fatalf("the listener never heard %s", agency)
			}
		}
	}
	heard("000.00.00.H49")
	if n := listening.Load(); n != 1 {
		t.Fatalf("began listening %d times, said so %d", 1, n)
	}
	var cut int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+pgstore.WakeChannel+`'`).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("cut the listener's connection: %d cut, %v", cut, err)
	}
	// pg_terminate_backend only signals the backend: a notification sent
	// at once may still reach the old connection. Hear one once the
	// listener has begun again.
	for deadline := time.Now().Add(20 * time.Second); listening.Load() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("did not begin listening again after the cut: said so %d times in all", listening.Load())
		}
	}
	heard("000.00.00.H41")
	if n := listening.Load(); n != 2 {
		t.Fatalf("began listening again after the cut: said so %d times in all, want 2", n)
	}
	stop()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Listen after its context ended: %v", err)
	}
}
