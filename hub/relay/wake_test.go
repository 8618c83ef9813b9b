package relay_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
)

// lookedStore tells each time a relay looked at an inbox and found it
// empty.
type lookedStore struct {
	*boltstore.Store
	empty chan struct{}
}

func (s lookedStore) Inbox(ctx context.Context, recipient certs.AgencyCode, after uint64, limit int, now time.Time) ([]store.Delivery, error) {
	d, err := s.Store.Inbox(ctx, recipient, after, limit, now)
	if err == nil && len(d) == 0 {
		select {
		case s.empty <- struct{}{}:
		default:
		}
	}
	return d, err
}

// TestPollOfAnotherNode: a relay sharing its store with another (a second
// hub node) does not see the other's events; its long poll is woken by
// Wake, or finds them when it re-checks (Recheck), long before its wait
// ends.
func TestPollOfAnotherNode(t *testing.T) {
	for _, tt := range []struct {
		name    string
		recheck time.Duration
		wake    bool
	}{
		{"woken", 0, true},
		{"all woken", 0, true},
		{"re-checking", 50 * time.Millisecond, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			st := lookedStore{Store: e.st, empty: make(chan struct{}, 1)}
			other, err := relay.New(relay.Options{Store: st, Verifier: e.pki.Verifier(t), Identity: e.pki.Receipts(t), Recheck: tt.recheck})
			if err != nil {
				t.Fatal(err)
			}
			type answer struct {
				n   int
				err error
				d   time.Duration
			}
			got := make(chan answer, 1)
			go func() {
				start := time.Now()
				items, _, err := other.Inbox(ctx, vpcp, 0, 10, 20*time.Second)
				got <- answer{len(items), err, time.Since(start)}
			}()
			<-st.empty // the poll found nothing and waits
			e.send(quangNinh, "81", vpcp)
			switch {
			case tt.name == "all woken": // as when its listener has just begun listening
				other.WakeAll()
			case tt.wake:
				other.Wake(vpcp)
			}
			a := <-got
			if a.err != nil || a.n != 1 {
				t.Fatalf("inbox: %d items, %v", a.n, a.err)
			}
			if a.d > 10*time.Second {
				t.Fatalf("the poll returned after %v, at the end of its wait", a.d)
			}
		})
	}
}

// TestDrainEndsLongPolls: a stopping node's long polls end at once with
// ErrDraining (the client then asks another node), those that find
// something still get it, and a poll without a wait is unchanged.
func TestDrainEndsLongPolls(t *testing.T) {
	e := newEnv(t)
	st := lookedStore{Store: e.st, empty: make(chan struct{}, 1)}
	r, err := relay.New(relay.Options{Store: st, Verifier: e.pki.Verifier(t), Identity: e.pki.Receipts(t)})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		_, _, err := r.Inbox(ctx, vpcp, 0, 10, time.Hour)
		got <- err
	}()
	<-st.empty // the poll found nothing and waits
	r.Drain()
	r.Drain() // twice is harmless
	select {
	case err := <-got:
		wantErr(t, err, relay.ErrDraining)
	case <-time.After(time.Minute):
		t.Fatal("a waiting long poll was not ended by Drain")
	}
	if _, _, err := r.Statuses(ctx, quangNinh, 0, 10, time.Hour); !errors.Is(err, relay.ErrDraining) {
		t.Fatalf("a status poll after Drain: %v, want ErrDraining", err)
	}
	if items, _, err := r.Inbox(ctx, vpcp, 0, 10, 0); err != nil || len(items) != 0 {
		t.Fatalf("a poll without a wait after Drain: %d items, %v", len(items), err)
	}
	d := e.send(quangNinh, "82", vpcp)
	items, _, err := r.Inbox(ctx, vpcp, 0, 10, time.Hour)
	if err != nil || len(items) != 1 || items[0].MessageID != d.id {
		t.Fatalf("a poll that finds a document after Drain: %+v, %v", items, err)
	}
}
