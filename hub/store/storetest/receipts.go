package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
)

// sealCall records what a store.Seal was asked and answers a receipt, or
// fail.
type sealCall struct {
	calls    int
	logIndex int64
	receipt  store.Receipt
	fail     error
}

func (c *sealCall) seal(r store.Receipt) store.Seal {
	return func(logIndex int64) (*store.Receipt, error) {
		c.calls++
		c.logIndex = logIndex
		if c.fail != nil {
			return nil, c.fail
		}
		r.Signed = fmt.Appendf(nil, "signed at log index %d", logIndex)
		c.receipt = r
		return &r, nil
	}
}

// testSealedReceipts checks that Accept and Ack keep the receipt their seal
// makes with the event, at the event's log index, and that a seal that
// fails leaves nothing of the event.
func testSealedReceipts(t *testing.T, s store.Store) {
	m := NewSubmission(Quangninh, 100, Govoffice, Nghean)
	logSize := func() int64 {
		n, err := s.LogSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	receiptOf := func(event string, party certs.AgencyCode) []byte {
		all, err := s.Receipts(ctx, m.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			if r.Event == event && r.Party == party {
				return r.Signed
			}
		}
		return nil
	}

	// A seal that fails: nothing of the acceptance stays.
	failing := &sealCall{fail: errors.New("signing key unavailable")}
	before := logSize()
	if _, _, err := s.Accept(ctx, m, failing.seal(store.Receipt{})); err == nil || failing.calls == 0 {
		t.Fatalf("Accept with a failing seal: %v after %d calls", err, failing.calls)
	}
	if _, err := s.Message(ctx, m.MessageID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("message after a failed seal: %v", err)
	}
	if got := inboxIDs(t, s, Govoffice, T0); len(got) != 0 || logSize() != before {
		t.Fatalf("a failed seal left deliveries %v or log entries %d", got, logSize()-before)
	}
	// A seal that answers a receipt of another message is refused.
	wrong := &sealCall{}
	_, _, err := s.Accept(ctx, m, wrong.seal(store.Receipt{MessageID: NewID(), Event: "accepted", Party: Quangninh, At: T0}))
	wantErr(t, err, store.ErrInvalid)

	accepted := &sealCall{}
	res, existed, err := s.Accept(ctx, m, accepted.seal(store.Receipt{MessageID: m.MessageID, Event: "accepted", Party: Quangninh, At: m.Received}))
	if err != nil || existed {
		t.Fatalf("Accept: %v existed=%v", err, existed)
	}
	if accepted.logIndex != res.LogIndex {
		t.Fatalf("seal got log index %d, the acceptance is entry %d", accepted.logIndex, res.LogIndex)
	}
	if got := receiptOf("accepted", Quangninh); !bytes.Equal(got, accepted.receipt.Signed) {
		t.Fatalf("stored receipt %q, sealed %q", got, accepted.receipt.Signed)
	}
	retry := &sealCall{}
	if _, existed, err := s.Accept(ctx, m, retry.seal(store.Receipt{MessageID: m.MessageID, Event: "accepted", Party: Quangninh, At: T0.Add(time.Hour)})); err != nil || !existed || retry.calls != 0 {
		t.Fatalf("retried Accept: %v existed=%v, seal called %d times", err, existed, retry.calls)
	}

	// Ack: a failing seal leaves the delivery pending; a working one keeps
	// the receipt at the delivery's log index.
	failing = &sealCall{fail: errors.New("signing key unavailable")}
	if _, _, err := s.Ack(ctx, Govoffice, m.MessageID, "", T0, failing.seal(store.Receipt{})); err == nil {
		t.Fatal("Ack with a failing seal succeeded")
	}
	if got := inboxIDs(t, s, Govoffice, T0); !slices.Equal(got, []string{m.MessageID}) {
		t.Fatalf("after a failed seal the inbox is %v", got)
	}
	delivered := &sealCall{}
	d, existed, err := s.Ack(ctx, Govoffice, m.MessageID, "", T0.Add(time.Minute), delivered.seal(store.Receipt{MessageID: m.MessageID, Event: "delivered", Party: Govoffice, At: T0.Add(time.Minute)}))
	if err != nil || existed || d.State != store.Acked {
		t.Fatalf("Ack: %+v existed=%v %v", d, existed, err)
	}
	if delivered.logIndex != d.LogIndex || !bytes.Equal(receiptOf("delivered", Govoffice), delivered.receipt.Signed) {
		t.Fatalf("delivered receipt at index %d (delivery %d): %q", delivered.logIndex, d.LogIndex, receiptOf("delivered", Govoffice))
	}
	again := &sealCall{}
	if _, existed, err := s.Ack(ctx, Govoffice, m.MessageID, "", T0.Add(time.Hour), again.seal(store.Receipt{MessageID: m.MessageID, Event: "delivered", Party: Govoffice, At: T0.Add(time.Hour)})); err != nil || !existed || again.calls != 0 {
		t.Fatalf("second Ack: %v existed=%v, seal called %d times", err, existed, again.calls)
	}
	if receiptOf("delivered", Nghean) != nil {
		t.Fatal("a receipt for a delivery not yet acknowledged")
	}
}

func testReceipts(t *testing.T, s store.Store) {
	m := NewSubmission(Quangninh, 100, Govoffice, Nghean)
	accept(t, s, m)
	rs := []*store.Receipt{
		{MessageID: m.MessageID, Event: "accepted", Party: Quangninh, At: T0, Signed: []byte("sig-accepted")},
		{MessageID: m.MessageID, Event: "delivered", Party: Govoffice, At: T0.Add(time.Minute), Signed: []byte("sig-delivered-g22")},
		{MessageID: m.MessageID, Event: "delivered", Party: Nghean, At: T0.Add(2 * time.Minute), Signed: []byte("sig-delivered-h41")},
	}
	for _, r := range rs {
		if _, existed, err := s.PutReceipt(ctx, r); err != nil || existed {
			t.Fatalf("put receipt: %v %v", existed, err)
		}
	}
	// A re-signed receipt for the same event keeps the first.
	resigned := *rs[1]
	resigned.Signed, resigned.At = []byte("sig-other"), T0.Add(time.Hour)
	got, existed, err := s.PutReceipt(ctx, &resigned)
	if err != nil || !existed || !bytes.Equal(got.Signed, rs[1].Signed) || !got.At.Equal(rs[1].At) {
		t.Fatalf("second receipt = %+v existed=%v err=%v", got, existed, err)
	}
	all, err := s.Receipts(ctx, m.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("receipts = %d, want 3", len(all))
	}
	seen := map[string][]byte{} // by event/party
	for _, r := range all {
		seen[r.Event+"/"+string(r.Party)] = r.Signed
	}
	for _, r := range rs {
		if !bytes.Equal(seen[r.Event+"/"+string(r.Party)], r.Signed) {
			t.Fatalf("receipt %s/%s = %q", r.Event, r.Party, seen[r.Event+"/"+string(r.Party)])
		}
	}
	_, _, err = s.PutReceipt(ctx, &store.Receipt{MessageID: NewID(), Event: "accepted", Party: Quangninh, At: T0, Signed: []byte("x")})
	wantErr(t, err, store.ErrNotFound)
	_, _, err = s.PutReceipt(ctx, &store.Receipt{MessageID: m.MessageID, Event: "accepted", Party: Quangninh, At: T0})
	wantErr(t, err, store.ErrInvalid)
}
