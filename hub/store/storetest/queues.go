package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
)

func testInboxOrder(t *testing.T, s store.Store) {
	var want []string
	for range 7 {
		sub := NewSubmission(Quangninh, 100, Govoffice)
		accept(t, s, sub)
		want = append(want, sub.MessageID)
	}
	ds, err := s.Inbox(ctx, Govoffice, 0, 100, T0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(ds), want) {
		t.Fatalf("inbox = %v, want %v", ids(ds), want)
	}
	for i := 1; i < len(ds); i++ {
		if ds[i].Cursor <= ds[i-1].Cursor {
			t.Fatalf("cursors not increasing: %d then %d", ds[i-1].Cursor, ds[i].Cursor)
		}
	}
	// Page through three at a time.
	var paged []string
	var after uint64
	for {
		page, err := s.Inbox(ctx, Govoffice, after, 3, T0)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if len(page) > 3 {
			t.Fatalf("page of %d > limit 3", len(page))
		}
		paged = append(paged, ids(page)...)
		after = page[len(page)-1].Cursor
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged = %v, want %v", paged, want)
	}
}

func testLeaseExpiry(t *testing.T, s store.Store) {
	var all []string
	for range 4 {
		sub := NewSubmission(Quangninh, 100, Govoffice)
		accept(t, s, sub)
		all = append(all, sub.MessageID)
	}
	const ttl = 30 * time.Second
	leased, err := s.Lease(ctx, Govoffice, 2, T0, ttl)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(leased), all[:2]) {
		t.Fatalf("leased %v, want the first two %v", ids(leased), all[:2])
	}
	for _, d := range leased {
		if d.LeaseToken == "" || !d.LeaseExpiry.Equal(T0.Add(ttl)) || d.Leases != 1 {
			t.Fatalf("lease = %+v", d)
		}
	}
	if leased[0].LeaseToken == leased[1].LeaseToken {
		t.Fatalf("two leases share a token")
	}
	tests := []struct {
		name string
		at   time.Time
		want []string
	}{
		{"WhileLeased", T0.Add(ttl - time.Second), all[2:]},
		{"AtExpiry", T0.Add(ttl), all},
		{"AfterExpiry", T0.Add(2 * ttl), all},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := inboxIDs(t, s, Govoffice, tc.at); !slices.Equal(got, tc.want) {
				t.Fatalf("inbox = %v, want %v", got, tc.want)
			}
		})
	}
	// A second lease while the first holds takes the others.
	more, err := s.Lease(ctx, Govoffice, 10, T0.Add(time.Second), ttl)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(more), all[2:]) {
		t.Fatalf("second lease = %v, want %v", ids(more), all[2:])
	}
	// After expiry the first two can be leased again with new tokens;
	// the old token is then lost.
	again, err := s.Lease(ctx, Govoffice, 10, T0.Add(ttl), ttl)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(again), all[:2]) {
		t.Fatalf("re-lease = %v, want %v", ids(again), all[:2])
	}
	if again[0].LeaseToken == leased[0].LeaseToken || again[0].Leases != 2 {
		t.Fatalf("re-lease kept the old token or count: %+v", again[0])
	}
	_, _, err = s.Ack(ctx, Govoffice, all[0], leased[0].LeaseToken, T0.Add(ttl), nil)
	wantErr(t, err, store.ErrLeaseLost)
	if _, _, err := s.Ack(ctx, Govoffice, all[0], again[0].LeaseToken, T0.Add(ttl), nil); err != nil {
		t.Fatalf("ack with the current token: %v", err)
	}
	// An expired lease that nobody replaced may still be acknowledged.
	if _, _, err := s.Ack(ctx, Govoffice, all[2], more[0].LeaseToken, T0.Add(time.Hour), nil); err != nil {
		t.Fatalf("ack with an expired but current token: %v", err)
	}
	if _, err := s.Lease(ctx, Govoffice, 0, T0, ttl); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("lease of 0: %v", err)
	}
}

func testAckTwice(t *testing.T, s store.Store) {
	sub := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, sub)
	leased, err := s.Lease(ctx, Govoffice, 1, T0, time.Minute)
	if err != nil || len(leased) != 1 {
		t.Fatalf("lease: %v %v", leased, err)
	}
	first, existed, err := s.Ack(ctx, Govoffice, sub.MessageID, leased[0].LeaseToken, T0.Add(time.Second), nil)
	if err != nil || existed {
		t.Fatalf("first ack: existed=%v err=%v", existed, err)
	}
	if first.State != store.Acked || !first.AckedAt.Equal(T0.Add(time.Second)) {
		t.Fatalf("acked delivery = %+v", first)
	}
	tests := []struct{ name, token string }{
		{"SameToken", leased[0].LeaseToken},
		{"NoToken", ""},
		{"StaleToken", "0123456789abcdef0123456789abcdef"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			again, existed, err := s.Ack(ctx, Govoffice, sub.MessageID, tc.token, T0.Add(time.Hour), nil)
			if err != nil || !existed {
				t.Fatalf("ack again: existed=%v err=%v", existed, err)
			}
			if !again.AckedAt.Equal(first.AckedAt) || again.State != store.Acked {
				t.Fatalf("ack again = %+v, want the first %+v", again, first)
			}
		})
	}
	st, _ := s.Stats(ctx, Govoffice)
	if st.Acked != 1 {
		t.Fatalf("acked count = %d, want 1", st.Acked)
	}
}

func testAckedNeverAgain(t *testing.T, s store.Store) {
	a := NewSubmission(Quangninh, 100, Govoffice)
	b := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, a)
	accept(t, s, b)
	if _, _, err := s.Ack(ctx, Govoffice, a.MessageID, "", T0, nil); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{T0, T0.Add(24 * time.Hour)} {
		if got := inboxIDs(t, s, Govoffice, at); !slices.Equal(got, []string{b.MessageID}) {
			t.Fatalf("inbox = %v, want only %s", got, b.MessageID)
		}
	}
	leased, err := s.Lease(ctx, Govoffice, 10, T0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(leased), []string{b.MessageID}) {
		t.Fatalf("lease = %v", ids(leased))
	}
	// A retried Accept must not re-queue an acknowledged delivery.
	if _, existed, err := s.Accept(ctx, a, nil); err != nil || !existed {
		t.Fatalf("retry accept: %v %v", existed, err)
	}
	if got := inboxIDs(t, s, Govoffice, T0.Add(time.Hour)); slices.Contains(got, a.MessageID) {
		t.Fatalf("acked message listed again after a retried accept")
	}
}

func testRelease(t *testing.T, s store.Store) {
	sub := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, sub)
	leased, err := s.Lease(ctx, Govoffice, 1, T0, time.Hour)
	if err != nil || len(leased) != 1 {
		t.Fatalf("lease: %v", err)
	}
	if got := inboxIDs(t, s, Govoffice, T0); len(got) != 0 {
		t.Fatalf("leased delivery listed: %v", got)
	}
	err = s.Release(ctx, Govoffice, sub.MessageID, "0123456789abcdef0123456789abcdef")
	wantErr(t, err, store.ErrLeaseLost)
	if err := s.Release(ctx, Govoffice, sub.MessageID, leased[0].LeaseToken); err != nil {
		t.Fatal(err)
	}
	if got := inboxIDs(t, s, Govoffice, T0); !slices.Equal(got, []string{sub.MessageID}) {
		t.Fatalf("released delivery not visible: %v", got)
	}
	if err := s.Release(ctx, Govoffice, sub.MessageID, leased[0].LeaseToken); err != nil {
		t.Fatalf("second release: %v", err)
	}
	_, _, err = s.Ack(ctx, Govoffice, sub.MessageID, leased[0].LeaseToken, T0, nil)
	wantErr(t, err, store.ErrLeaseLost)
	if _, _, err := s.Ack(ctx, Govoffice, sub.MessageID, "", T0, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, Govoffice, sub.MessageID, ""); err != nil {
		t.Fatalf("release after ack: %v", err)
	}
	if got := inboxIDs(t, s, Govoffice, T0); len(got) != 0 {
		t.Fatalf("release after ack made it visible: %v", got)
	}
	wantErr(t, s.Release(ctx, Govoffice, NewID(), ""), store.ErrNotFound)
}

func testAckUnknown(t *testing.T, s store.Store) {
	sub := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, sub)
	tests := []struct {
		name      string
		recipient certs.AgencyCode
		id        string
	}{
		{"UnknownMessage", Govoffice, NewID()},
		{"NotARecipient", Nghean, sub.MessageID},
		{"TheSender", Quangninh, sub.MessageID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.Ack(ctx, tc.recipient, tc.id, "", T0, nil)
			wantErr(t, err, store.ErrNotFound)
		})
	}
	if got := inboxIDs(t, s, Govoffice, T0); len(got) != 1 {
		t.Fatalf("inbox = %v", got)
	}
}

func testConcurrentLeases(t *testing.T, s store.Store) {
	const n = 40
	for range n {
		accept(t, s, NewSubmission(Quangninh, 100, Govoffice))
	}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		got = map[string]int{}
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ds, err := s.Lease(ctx, Govoffice, 3, T0, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				for _, d := range ds {
					if _, _, err := s.Ack(ctx, Govoffice, d.MessageID, d.LeaseToken, T0, nil); err != nil {
						t.Error(err)
						return
					}
				}
				mu.Lock()
				for _, d := range ds {
					got[d.MessageID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(got) != n {
		t.Fatalf("%d distinct deliveries leased, want %d", len(got), n)
	}
	for id, c := range got {
		if c != 1 {
			t.Fatalf("%s leased %d times under unexpired leases", id, c)
		}
	}
	st, _ := s.Stats(ctx, Govoffice)
	if st.Acked != n {
		t.Fatalf("acked = %d, want %d", st.Acked, n)
	}
}

func testConcurrentAcks(t *testing.T, s store.Store) {
	sub := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, sub)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fresh int
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, existed, err := s.Ack(ctx, Govoffice, sub.MessageID, "", T0, nil)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			if !existed {
				fresh++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if fresh != 1 {
		t.Fatalf("%d acks reported a first delivery, want 1", fresh)
	}
	if st, _ := s.Stats(ctx, Govoffice); st.Acked != 1 {
		t.Fatalf("acked = %d, want 1", st.Acked)
	}
}
