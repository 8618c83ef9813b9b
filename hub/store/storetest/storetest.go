// Package storetest is the conformance suite every store.Store backend must
// pass. A backend's test calls Run with a function that opens a fresh,
// empty store; the store must also implement Reopener so that the suite can
// check what survives a close and reopen.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
//	}
//
// The suite uses real time values chosen by itself (stores never read the
// clock) and real bytes; it does not simulate crashes, which are a
// backend's own test (see boltstore's crash test).
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"lienthong/hub/store"
)

// Reopener is a store that can be closed and opened again over the same
// durable state. Reopen closes the receiver; the returned store must also be
// a Reopener and is closed by the test's cleanup.
type Reopener interface {
	Reopen(t *testing.T) store.Store
}

// Agency codes the suite uses.
const (
	Quangninh = "000.00.00.H49"
	Govoffice = "000.00.00.G22"
	Nghean    = "000.00.00.H41"
	Caobang   = "000.00.00.H14"
)

// T0 is the suite's start of time: 09:00 in Vietnam.
var T0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// Run runs the conformance suite; newStore must return a fresh, empty store
// and arrange for it to be closed when t ends.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Accept/StoresMessageDeliveriesSentAndStats", testAcceptBasic},
		{"Accept/RetryReturnsOriginal", testAcceptIdempotent},
		{"Accept/ConcurrentRetriesAcceptOnce", testAcceptConcurrent},
		{"Accept/ManyRecipients", testAcceptManyRecipients},
		{"Accept/SameIDOtherEnvelopeConflicts", testAcceptConflict},
		{"Accept/MissingBlobRefusedAndNothingStored", testAcceptMissingBlob},
		{"Accept/InvalidRefused", testAcceptInvalid},
		{"Queue/InboxInOrderWithCursor", testInboxOrder},
		{"Queue/LeaseHidesUntilExpiry", testLeaseExpiry},
		{"Queue/AckTwiceReturnsSame", testAckTwice},
		{"Queue/AckedNeverListedAgain", testAckedNeverAgain},
		{"Queue/ReleaseMakesVisible", testRelease},
		{"Queue/AckUnknownOrOtherRecipient", testAckUnknown},
		{"Queue/ConcurrentLeasesDisjoint", testConcurrentLeases},
		{"Queue/ConcurrentAcksCountOnce", testConcurrentAcks},
		{"Recall/WithdrawsUnackedReportsAcked", testRecall},
		{"Recall/TargetRules", testRecallRules},
		{"Status/RoutedToSenderQueue", testStatusRouting},
		{"Status/Rules", testStatusRules},
		{"Receipts/KeptAndFirstWins", testReceipts},
		{"Receipts/SealedWithTheirEvent", testSealedReceipts},
		{"Directory/UpsertKeepsHistory", testDirectory},
		{"Blobs/PutOpenStat", testBlobPut},
		{"Blobs/PutDigestMismatchLeavesNothing", testBlobPutMismatch},
		{"Blobs/ChunkedUploadWithOffsets", testBlobChunked},
		{"Blobs/CommitDigestMismatchLeavesNothing", testBlobCommitMismatch},
		{"Blobs/AppendBeyondDeclaredSize", testBlobTooLarge},
		{"Blobs/IdleUploadsCollected", testBlobGC},
		{"Reopen/ResumeUpload", testResumeAfterReopen},
		{"Reopen/StateSurvives", testReopenState},
		{"Log/EveryEventOnceWithProofs", testLog},
		{"Close/UseAfterCloseFails", testClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

var ctx = context.Background()

// NewID returns a fresh message id.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Digest returns the lower-case hex SHA-256 of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// RandomBytes returns n random bytes.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// NewSubmission returns a valid new-document submission with a random
// envelope of envSize bytes.
func NewSubmission(sender string, envSize int, recipients ...string) *store.Submission {
	env := RandomBytes(envSize)
	return &store.Submission{
		MessageID:      NewID(),
		Sender:         sender,
		Recipients:     recipients,
		EnvelopeSHA256: Digest(env),
		Envelope:       env,
		DocumentID:     sender + ",2026/03/02,12/UBND-VP",
		Kind:           store.KindNew,
		Received:       T0,
		Report:         []byte(`{"signatures":"valid"}`),
	}
}

func accept(t *testing.T, s store.Store, sub *store.Submission) store.AcceptResult {
	t.Helper()
	res, existed, err := s.Accept(ctx, sub, nil)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if existed {
		t.Fatalf("Accept of a new message reported existed")
	}
	return res
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func ids(ds []store.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.MessageID
	}
	return out
}

func inboxIDs(t *testing.T, s store.Store, recipient string, now time.Time) []string {
	t.Helper()
	ds, err := s.Inbox(ctx, recipient, 0, 1000, now)
	if err != nil {
		t.Fatalf("Inbox: %v", err)
	}
	return ids(ds)
}

func reopen(t *testing.T, s store.Store) store.Store {
	t.Helper()
	r, ok := s.(Reopener)
	if !ok {
		t.Fatalf("%T does not implement storetest.Reopener", s)
	}
	return r.Reopen(t)
}

func testAcceptBasic(t *testing.T, s store.Store) {
	sub := NewSubmission(Quangninh, 1000, Govoffice, Nghean)
	blob := RandomBytes(3000)
	if _, err := s.PutBlob(ctx, Digest(blob), bytes.NewReader(blob)); err != nil {
		t.Fatal(err)
	}
	sub.BlobDigests = []string{Digest(blob)}
	res := accept(t, s, sub)
	if res.MessageID != sub.MessageID || res.Seq != 1 || !res.Received.Equal(T0) {
		t.Fatalf("result = %+v", res)
	}
	m, err := s.Message(ctx, sub.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Envelope, sub.Envelope) || !bytes.Equal(m.Report, sub.Report) || m.EnvelopeSHA256 != sub.EnvelopeSHA256 ||
		m.Sender != sub.Sender || !slices.Equal(m.Recipients, sub.Recipients) || !slices.Equal(m.BlobDigests, sub.BlobDigests) ||
		m.DocumentID != sub.DocumentID || m.Kind != store.KindNew || !m.Received.Equal(T0) || m.Seq != 1 {
		t.Fatalf("stored message differs: %+v", m)
	}
	ds, err := s.Deliveries(ctx, sub.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 {
		t.Fatalf("deliveries = %d, want 2", len(ds))
	}
	for i, d := range ds {
		if d.Recipient != sub.Recipients[i] || d.State != store.Pending || d.Sender != Quangninh || d.Cursor != 1 || d.EnvelopeSHA256 != sub.EnvelopeSHA256 {
			t.Fatalf("delivery %d = %+v", i, d)
		}
	}
	for _, r := range sub.Recipients {
		if got := inboxIDs(t, s, r, T0); !slices.Equal(got, []string{sub.MessageID}) {
			t.Fatalf("inbox of %s = %v", r, got)
		}
	}
	if got := inboxIDs(t, s, Caobang, T0); len(got) != 0 {
		t.Fatalf("inbox of a non-recipient = %v", got)
	}
	sent, err := s.Sent(ctx, Quangninh, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 || sent[0].MessageID != sub.MessageID || sent[0].Cursor != 1 {
		t.Fatalf("sent = %+v", sent)
	}
	st, err := s.Stats(ctx, Quangninh)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 1 || st.Received != 0 {
		t.Fatalf("sender stats = %+v", st)
	}
	st, _ = s.Stats(ctx, Nghean)
	if st.Received != 1 || st.Sent != 0 {
		t.Fatalf("recipient stats = %+v", st)
	}
	if _, err := s.Message(ctx, NewID()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown message: %v", err)
	}
	// The same DocumentID twice is stored (the hub warns, it does not
	// refuse) and both are found.
	dup := NewSubmission(Quangninh, 100, Caobang)
	accept(t, s, dup)
	byDoc, err := s.MessagesByDocumentID(ctx, sub.DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(byDoc)
	want := []string{sub.MessageID, dup.MessageID}
	slices.Sort(want)
	if !slices.Equal(byDoc, want) {
		t.Fatalf("messages by document id = %v, want %v", byDoc, want)
	}
	if none, err := s.MessagesByDocumentID(ctx, "000.00.00.G22,2026/03/02,1/VPCP"); err != nil || len(none) != 0 {
		t.Fatalf("unknown document id: %v %v", none, err)
	}
}

func testAcceptIdempotent(t *testing.T, s store.Store) {
	first := NewSubmission(Quangninh, 500, Govoffice)
	res := accept(t, s, first)
	retry := *first
	retry.Received = T0.Add(time.Minute) // a retry arrives later
	retry.Report = []byte("another report")
	for i := range 3 {
		got, existed, err := s.Accept(ctx, &retry, nil)
		if err != nil {
			t.Fatalf("retry %d: %v", i, err)
		}
		if !existed {
			t.Fatalf("retry %d: existed = false", i)
		}
		if got.MessageID != res.MessageID || got.Seq != res.Seq || !got.Received.Equal(res.Received) {
			t.Fatalf("retry %d result = %+v, want %+v", i, got, res)
		}
	}
	if got := inboxIDs(t, s, Govoffice, T0); len(got) != 1 {
		t.Fatalf("inbox after retries = %v, want one entry", got)
	}
	m, _ := s.Message(ctx, first.MessageID)
	if !bytes.Equal(m.Report, first.Report) {
		t.Fatalf("a retry replaced the stored report")
	}
	st, _ := s.Stats(ctx, Quangninh)
	if st.Sent != 1 {
		t.Fatalf("sent count after retries = %d, want 1", st.Sent)
	}
	sent, _ := s.Sent(ctx, Quangninh, 0, 10)
	if len(sent) != 1 {
		t.Fatalf("sent records after retries = %d", len(sent))
	}
}

func testAcceptConcurrent(t *testing.T, s store.Store) {
	sub := NewSubmission(Quangninh, 2000, Govoffice, Caobang)
	const n = 16
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fresh int
		errs  []error
		seqs  = map[uint64]bool{}
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := *sub
			res, existed, err := s.Accept(ctx, &c, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if !existed {
				fresh++
			}
			seqs[res.Seq] = true
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if fresh != 1 || len(seqs) != 1 {
		t.Fatalf("fresh accepts = %d, distinct results = %d; want 1 and 1", fresh, len(seqs))
	}
	for _, r := range sub.Recipients {
		if got := inboxIDs(t, s, r, T0); len(got) != 1 {
			t.Fatalf("inbox of %s = %v", r, got)
		}
	}
}

func testAcceptManyRecipients(t *testing.T, s store.Store) {
	// A province writes to each of its communes: 300 level-2 codes.
	var rs []string
	for i := 1; i <= 300; i++ {
		rs = append(rs, fmt.Sprintf("%03d.00.00.H49", i))
	}
	sub := NewSubmission(Quangninh, 5000, rs...)
	accept(t, s, sub)
	ds, err := s.Deliveries(ctx, sub.MessageID)
	if err != nil || len(ds) != len(rs) {
		t.Fatalf("deliveries = %d, %v", len(ds), err)
	}
	for i, r := range []string{rs[0], rs[149], rs[299]} {
		if got := inboxIDs(t, s, r, T0); !slices.Equal(got, []string{sub.MessageID}) {
			t.Fatalf("inbox %d of %s = %v", i, r, got)
		}
		if _, _, err := s.Ack(ctx, r, sub.MessageID, "", T0, nil); err != nil {
			t.Fatal(err)
		}
	}
	recall := NewSubmission(Quangninh, 100, rs...)
	recall.Kind, recall.Targets = store.KindRecall, []string{sub.MessageID}
	res := accept(t, s, recall)
	if len(res.Recalls) != 1 || len(res.Recalls[0].AlreadyAcked) != 3 || len(res.Recalls[0].Withdrawn) != 297 {
		t.Fatalf("recall outcome: %d acked, %d withdrawn", len(res.Recalls[0].AlreadyAcked), len(res.Recalls[0].Withdrawn))
	}
}

func testAcceptConflict(t *testing.T, s store.Store) {
	first := NewSubmission(Quangninh, 500, Govoffice)
	accept(t, s, first)
	other := NewSubmission(Quangninh, 500, Nghean)
	other.MessageID = first.MessageID
	_, _, err := s.Accept(ctx, other, nil)
	wantErr(t, err, store.ErrConflict)
	if got := inboxIDs(t, s, Nghean, T0); len(got) != 0 {
		t.Fatalf("conflicting accept queued %v", got)
	}
	m, err := s.Message(ctx, first.MessageID)
	if err != nil || !bytes.Equal(m.Envelope, first.Envelope) {
		t.Fatalf("original changed: %v", err)
	}
}

func testAcceptMissingBlob(t *testing.T, s store.Store) {
	blob := RandomBytes(5000)
	sub := NewSubmission(Quangninh, 500, Govoffice)
	sub.BlobDigests = []string{Digest(blob)}
	_, _, err := s.Accept(ctx, sub, nil)
	wantErr(t, err, store.ErrMissingBlob)
	if _, err := s.Message(ctx, sub.MessageID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("message after refused accept: %v", err)
	}
	if got := inboxIDs(t, s, Govoffice, T0); len(got) != 0 {
		t.Fatalf("refused accept queued %v", got)
	}
	// A partial upload is not a committed blob.
	up, err := s.BeginUpload(ctx, Quangninh, Digest(blob), int64(len(blob)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(blob[:100])); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Accept(ctx, sub, nil)
	wantErr(t, err, store.ErrMissingBlob)
	if _, err := s.AppendUpload(ctx, up, 100, bytes.NewReader(blob[100:])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, up); err != nil {
		t.Fatal(err)
	}
	accept(t, s, sub)
	st, _ := s.Stats(ctx, Quangninh)
	if st.Sent != 1 {
		t.Fatalf("sent = %d after one refused and one good accept", st.Sent)
	}
}

func testAcceptInvalid(t *testing.T, s store.Store) {
	tests := []struct {
		name   string
		modify func(*store.Submission)
		want   error
	}{
		{"ShortID", func(x *store.Submission) { x.MessageID = "abc123" }, store.ErrInvalid},
		{"UpperCaseID", func(x *store.Submission) { x.MessageID = "ABCDEF0123456789ABCDEF0123456789" }, store.ErrInvalid},
		{"BadSender", func(x *store.Submission) { x.Sender = "H49" }, store.ErrInvalid},
		{"NoRecipients", func(x *store.Submission) { x.Recipients = nil }, store.ErrInvalid},
		{"DuplicateRecipient", func(x *store.Submission) { x.Recipients = []string{Govoffice, Govoffice} }, store.ErrInvalid},
		{"SenderAsRecipient", func(x *store.Submission) { x.Recipients = []string{Quangninh} }, store.ErrInvalid},
		{"EnvelopeHashMismatch", func(x *store.Submission) { x.EnvelopeSHA256 = Digest([]byte("other")) }, store.ErrDigestMismatch},
		{"EmptyEnvelope", func(x *store.Submission) { x.Envelope = nil }, store.ErrInvalid},
		{"BadBlobDigest", func(x *store.Submission) { x.BlobDigests = []string{"xyz"} }, store.ErrInvalid},
		{"UnknownKind", func(x *store.Submission) { x.Kind = 9 }, store.ErrInvalid},
		{"RecallWithoutTargets", func(x *store.Submission) { x.Kind = store.KindRecall }, store.ErrInvalid},
		{"NewWithTargets", func(x *store.Submission) { x.Targets = []string{NewID()} }, store.ErrInvalid},
		{"NoTime", func(x *store.Submission) { x.Received = time.Time{} }, store.ErrInvalid},
		{"NULInDocumentID", func(x *store.Submission) { x.DocumentID = "a\x00b" }, store.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := NewSubmission(Quangninh, 100, Govoffice)
			tc.modify(sub)
			_, _, err := s.Accept(ctx, sub, nil)
			wantErr(t, err, tc.want)
		})
	}
	if got := inboxIDs(t, s, Govoffice, T0); len(got) != 0 {
		t.Fatalf("invalid submissions queued %v", got)
	}
	// A UUID is a valid id.
	sub := NewSubmission(Quangninh, 100, Govoffice)
	sub.MessageID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
	accept(t, s, sub)
}

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
		name, recipient, id string
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

func testRecall(t *testing.T, s store.Store) {
	orig := NewSubmission(Quangninh, 300, Govoffice, Nghean, Caobang)
	accept(t, s, orig)
	if _, _, err := s.Ack(ctx, Nghean, orig.MessageID, "", T0, nil); err != nil {
		t.Fatal(err)
	}
	// Caobang holds a lease but has not acknowledged: still withdrawn.
	if _, err := s.Lease(ctx, Caobang, 1, T0, time.Hour); err != nil {
		t.Fatal(err)
	}
	recall := NewSubmission(Quangninh, 200, Govoffice, Nghean, Caobang)
	recall.Kind, recall.Targets = store.KindRecall, []string{orig.MessageID}
	res := accept(t, s, recall)
	want := []store.RecallOutcome{{Target: orig.MessageID, Withdrawn: []string{Govoffice, Caobang}, AlreadyAcked: []string{Nghean}}}
	if !recallsEqual(res.Recalls, want) {
		t.Fatalf("recall outcome = %+v, want %+v", res.Recalls, want)
	}
	for _, r := range []string{Govoffice, Caobang, Nghean} {
		if got := inboxIDs(t, s, r, T0.Add(2*time.Hour)); !slices.Equal(got, []string{recall.MessageID}) {
			t.Fatalf("inbox of %s = %v, want only the recall", r, got)
		}
	}
	_, _, err := s.Ack(ctx, Govoffice, orig.MessageID, "", T0, nil)
	wantErr(t, err, store.ErrWithdrawn)
	leased, err := s.Lease(ctx, Caobang, 10, T0.Add(2*time.Hour), time.Hour)
	if err != nil || !slices.Equal(ids(leased), []string{recall.MessageID}) {
		t.Fatalf("lease after recall = %v, %v", ids(leased), err)
	}
	ds, _ := s.Deliveries(ctx, orig.MessageID)
	states := map[string]store.DeliveryState{}
	for _, d := range ds {
		states[d.Recipient] = d.State
		if d.State == store.Withdrawn && d.WithdrawnBy != recall.MessageID {
			t.Fatalf("withdrawn by %q", d.WithdrawnBy)
		}
	}
	if states[Govoffice] != store.Withdrawn || states[Caobang] != store.Withdrawn || states[Nghean] != store.Acked {
		t.Fatalf("states = %v", states)
	}
	// A retried recall returns the same outcome and changes nothing.
	again, existed, err := s.Accept(ctx, recall, nil)
	if err != nil || !existed || !recallsEqual(again.Recalls, want) {
		t.Fatalf("retried recall = %+v existed=%v err=%v", again, existed, err)
	}
	st, _ := s.Stats(ctx, Govoffice)
	if st.Withdrawn != 1 || st.Received != 2 {
		t.Fatalf("stats after recall = %+v", st)
	}
}

func recallsEqual(a, b []store.RecallOutcome) bool {
	return slices.EqualFunc(a, b, func(x, y store.RecallOutcome) bool {
		return x.Target == y.Target && slices.Equal(x.Withdrawn, y.Withdrawn) && slices.Equal(x.AlreadyAcked, y.AlreadyAcked)
	})
}

func testRecallRules(t *testing.T, s store.Store) {
	orig := NewSubmission(Quangninh, 300, Govoffice)
	accept(t, s, orig)
	tests := []struct {
		name   string
		sender string
		kind   store.Kind
		target string
		want   error
	}{
		{"UnknownTarget", Quangninh, store.KindRecall, NewID(), store.ErrNotFound},
		{"OtherSendersMessage", Nghean, store.KindRecall, orig.MessageID, store.ErrForbidden},
		{"UpdateOfOtherSendersMessage", Nghean, store.KindUpdate, orig.MessageID, store.ErrForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := NewSubmission(tc.sender, 100, Govoffice)
			sub.Kind, sub.Targets = tc.kind, []string{tc.target}
			_, _, err := s.Accept(ctx, sub, nil)
			wantErr(t, err, tc.want)
			if _, err := s.Message(ctx, sub.MessageID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("refused submission stored: %v", err)
			}
		})
	}
	// An update or replace leaves the target's deliveries alone.
	upd := NewSubmission(Quangninh, 100, Govoffice)
	upd.Kind, upd.Targets = store.KindReplace, []string{orig.MessageID}
	accept(t, s, upd)
	if got := inboxIDs(t, s, Govoffice, T0); !slices.Equal(got, []string{orig.MessageID, upd.MessageID}) {
		t.Fatalf("inbox after replace = %v", got)
	}
}

func statusOf(id, from, code string, n int) *store.StatusUpdate {
	return &store.StatusUpdate{
		MessageID: id, From: from, Code: code, Staff: "Nguyễn Văn A",
		At: T0.Add(time.Duration(n) * time.Minute), Signed: []byte(fmt.Sprintf("signed %s %s %s %d", id, from, code, n)),
	}
}

func testStatusRouting(t *testing.T, s store.Store) {
	m1 := NewSubmission(Quangninh, 100, Govoffice, Nghean)
	m2 := NewSubmission(Caobang, 100, Govoffice)
	accept(t, s, m1)
	accept(t, s, m2)
	updates := []*store.StatusUpdate{
		statusOf(m1.MessageID, Govoffice, store.StatusArrived, 1),
		statusOf(m2.MessageID, Govoffice, store.StatusArrived, 2),
		statusOf(m1.MessageID, Nghean, store.StatusArrived, 3),
		statusOf(m1.MessageID, Govoffice, store.StatusRegistered, 4),
	}
	for _, u := range updates {
		got, existed, err := s.AppendStatus(ctx, u)
		if err != nil || existed {
			t.Fatalf("append %s: existed=%v err=%v", u.Code, existed, err)
		}
		if got.Sender == "" || got.Cursor == 0 || got.Seq == 0 {
			t.Fatalf("stored status lacks routing: %+v", got)
		}
	}
	inbox, err := s.StatusInbox(ctx, Quangninh, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, u := range inbox {
		if u.Sender != Quangninh || u.MessageID != m1.MessageID {
			t.Fatalf("status routed wrongly: %+v", u)
		}
		codes = append(codes, u.From+"/"+u.Code)
	}
	if want := []string{Govoffice + "/01", Nghean + "/01", Govoffice + "/03"}; !slices.Equal(codes, want) {
		t.Fatalf("sender's status inbox = %v, want %v", codes, want)
	}
	other, _ := s.StatusInbox(ctx, Caobang, 0, 10)
	if len(other) != 1 || other[0].MessageID != m2.MessageID {
		t.Fatalf("other sender's inbox = %+v", other)
	}
	// Per (message, recipient) sequence.
	hist, err := s.StatusHistory(ctx, m1.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	seqs := map[string][]uint64{}
	for _, h := range hist {
		seqs[h.From] = append(seqs[h.From], h.Seq)
		if !bytes.HasPrefix(h.Signed, []byte(fmt.Sprintf("signed %s %s %s ", h.MessageID, h.From, h.Code))) {
			t.Fatalf("signed bytes of %s/%s = %q", h.From, h.Code, h.Signed)
		}
	}
	if !slices.Equal(seqs[Govoffice], []uint64{1, 2}) || !slices.Equal(seqs[Nghean], []uint64{1}) {
		t.Fatalf("history sequences = %v", seqs)
	}
	// Retry with the same signed bytes.
	again, existed, err := s.AppendStatus(ctx, updates[0])
	if err != nil || !existed || again.Cursor != inbox[0].Cursor {
		t.Fatalf("retried status: %+v existed=%v err=%v", again, existed, err)
	}
	// Paging and acknowledging.
	page, _ := s.StatusInbox(ctx, Quangninh, inbox[0].Cursor, 1)
	if len(page) != 1 || page[0].Cursor != inbox[1].Cursor {
		t.Fatalf("page after cursor = %+v", page)
	}
	for range 2 {
		if err := s.AckStatus(ctx, Quangninh, inbox[0].Cursor); err != nil {
			t.Fatalf("ack status: %v", err)
		}
	}
	rest, _ := s.StatusInbox(ctx, Quangninh, 0, 10)
	if len(rest) != 2 || rest[0].Cursor != inbox[1].Cursor {
		t.Fatalf("inbox after ack = %+v", rest)
	}
	wantErr(t, s.AckStatus(ctx, Quangninh, 99), store.ErrNotFound)
	hist, _ = s.StatusHistory(ctx, m1.MessageID)
	if len(hist) != 3 {
		t.Fatalf("acknowledging removed history: %d entries", len(hist))
	}
	st, _ := s.Stats(ctx, Govoffice)
	if st.Statuses["01"] != 2 || st.Statuses["03"] != 1 {
		t.Fatalf("status stats = %v", st.Statuses)
	}
}

func testStatusRules(t *testing.T, s store.Store) {
	m := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, m)
	tests := []struct {
		name   string
		modify func(*store.StatusUpdate)
		want   error
	}{
		{"UnknownCode", func(u *store.StatusUpdate) { u.Code = "07" }, store.ErrInvalid},
		{"RefusedWithoutReason", func(u *store.StatusUpdate) { u.Code = store.StatusRefused; u.Reason = "  " }, store.ErrInvalid},
		{"NoSignedBytes", func(u *store.StatusUpdate) { u.Signed = nil }, store.ErrInvalid},
		{"NotARecipient", func(u *store.StatusUpdate) { u.From = Nghean }, store.ErrForbidden},
		{"FromTheSender", func(u *store.StatusUpdate) { u.From = Quangninh }, store.ErrForbidden},
		{"UnknownMessage", func(u *store.StatusUpdate) { u.MessageID = NewID() }, store.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := statusOf(m.MessageID, Govoffice, store.StatusRegistered, 1)
			tc.modify(u)
			_, _, err := s.AppendStatus(ctx, u)
			wantErr(t, err, tc.want)
		})
	}
	if got, _ := s.StatusInbox(ctx, Quangninh, 0, 10); len(got) != 0 {
		t.Fatalf("refused statuses queued: %+v", got)
	}
	ok := statusOf(m.MessageID, Govoffice, store.StatusRefused, 2)
	ok.Reason = "Gửi nhầm cơ quan"
	if _, _, err := s.AppendStatus(ctx, ok); err != nil {
		t.Fatalf("refusal with a reason: %v", err)
	}
	hist, _ := s.StatusHistory(ctx, m.MessageID)
	if len(hist) != 1 || hist[0].Reason != ok.Reason || hist[0].Staff != ok.Staff || !hist[0].At.Equal(ok.At) {
		t.Fatalf("history = %+v", hist)
	}
}

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
	receiptOf := func(event, party string) []byte {
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
	seen := map[string][]byte{}
	for _, r := range all {
		seen[r.Event+"/"+r.Party] = r.Signed
	}
	for _, r := range rs {
		if !bytes.Equal(seen[r.Event+"/"+r.Party], r.Signed) {
			t.Fatalf("receipt %s/%s = %q", r.Event, r.Party, seen[r.Event+"/"+r.Party])
		}
	}
	_, _, err = s.PutReceipt(ctx, &store.Receipt{MessageID: NewID(), Event: "accepted", Party: Quangninh, At: T0, Signed: []byte("x")})
	wantErr(t, err, store.ErrNotFound)
	_, _, err = s.PutReceipt(ctx, &store.Receipt{MessageID: m.MessageID, Event: "accepted", Party: Quangninh, At: T0})
	wantErr(t, err, store.ErrInvalid)
}

func testDirectory(t *testing.T, s store.Store) {
	v1 := &store.Agency{Code: "001.00.00.H49", Name: "Sở Thông tin và Truyền thông", Parent: Quangninh, Level: 2, Active: true, CertPEM: []byte("-----BEGIN CERTIFICATE-----\n...")}
	top := &store.Agency{Code: Quangninh, Name: "UBND tỉnh Quảng Ninh", Level: 1, Active: true}
	steps := []struct {
		name        string
		agency      *store.Agency
		at          time.Time
		wantChanged bool
	}{
		{"Create", v1, T0, true},
		{"Parent", top, T0, true},
		{"Identical", v1, T0.Add(time.Hour), false},
		{"Rename", &store.Agency{Code: v1.Code, Name: "Sở Khoa học và Công nghệ", Parent: Quangninh, Level: 2, Active: true}, T0.Add(24 * time.Hour), true},
		{"Supersede", &store.Agency{Code: v1.Code, Name: "Sở Khoa học và Công nghệ", Parent: Quangninh, Level: 2, Active: false, SupersededBy: "002.00.00.H49"}, T0.Add(48 * time.Hour), true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			changed, err := s.UpsertAgency(ctx, st.agency, st.at)
			if err != nil || changed != st.wantChanged {
				t.Fatalf("upsert: changed=%v err=%v, want changed=%v", changed, err, st.wantChanged)
			}
		})
	}
	cur, err := s.Agency(ctx, v1.Code)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Active || cur.SupersededBy != "002.00.00.H49" || cur.Name != "Sở Khoa học và Công nghệ" {
		t.Fatalf("current = %+v", cur)
	}
	hist, err := s.AgencyHistory(ctx, v1.Code)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 3 {
		t.Fatalf("history has %d entries, want 3", len(hist))
	}
	if hist[0].Name != v1.Name || !bytes.Equal(hist[0].CertPEM, v1.CertPEM) || !hist[0].At.Equal(T0) || hist[0].Seq != 1 ||
		!hist[2].At.Equal(T0.Add(48*time.Hour)) || hist[2].Seq != 3 {
		t.Fatalf("history = %+v", hist)
	}
	all, err := s.Agencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Code != Quangninh || all[1].Code != v1.Code {
		t.Fatalf("agencies = %+v", all)
	}
	_, err = s.Agency(ctx, Caobang)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.AgencyHistory(ctx, Caobang)
	wantErr(t, err, store.ErrNotFound)
	bad := []struct {
		name string
		a    store.Agency
	}{
		{"BadCode", store.Agency{Code: "H49", Name: "x", Level: 1}},
		{"NoName", store.Agency{Code: Caobang, Level: 1}},
		{"BadLevel", store.Agency{Code: Caobang, Name: "x", Level: 5}},
		{"BadParent", store.Agency{Code: Caobang, Name: "x", Level: 2, Parent: "?"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.UpsertAgency(ctx, &tc.a, T0)
			wantErr(t, err, store.ErrInvalid)
		})
	}
}

func testBlobPut(t *testing.T, s store.Store) {
	data := RandomBytes(70_000)
	d := Digest(data)
	info, err := s.StatBlob(ctx, d)
	if err != nil || info.Present {
		t.Fatalf("stat before put: %+v %v", info, err)
	}
	if _, err := s.OpenBlob(ctx, d); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("open before put: %v", err)
	}
	for i := range 2 {
		info, err := s.PutBlob(ctx, d, bytes.NewReader(data))
		if err != nil || !info.Present || info.Size != int64(len(data)) {
			t.Fatalf("put %d: %+v %v", i, info, err)
		}
	}
	info, err = s.StatBlob(ctx, d)
	if err != nil || !info.Present || info.Size != int64(len(data)) {
		t.Fatalf("stat: %+v %v", info, err)
	}
	f, err := s.OpenBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, err %v", len(got), err)
	}
	if _, err := f.Seek(60_000, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(f)
	if !bytes.Equal(tail, data[60_000:]) {
		t.Fatalf("seek and read returned other bytes")
	}
	if _, err := s.StatBlob(ctx, "not-a-digest"); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("stat of a malformed digest: %v", err)
	}
}

func testBlobPutMismatch(t *testing.T, s store.Store) {
	data := RandomBytes(10_000)
	claimed := Digest([]byte("something else"))
	_, err := s.PutBlob(ctx, claimed, bytes.NewReader(data))
	wantErr(t, err, store.ErrDigestMismatch)
	for _, d := range []string{claimed, Digest(data)} {
		info, err := s.StatBlob(ctx, d)
		if err != nil || info.Present {
			t.Fatalf("blob %s present after a mismatch: %+v %v", d, info, err)
		}
	}
}

func testBlobChunked(t *testing.T, s store.Store) {
	data := RandomBytes(300_000)
	d := Digest(data)
	up, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
	if err != nil || up.Offset != 0 || up.Done {
		t.Fatalf("begin: %+v %v", up, err)
	}
	off := int64(0)
	for off < int64(len(data)) {
		end := min(off+64_000, int64(len(data)))
		n, err := s.AppendUpload(ctx, up, off, bytes.NewReader(data[off:end]))
		if err != nil || n != end {
			t.Fatalf("append at %d: %d %v", off, n, err)
		}
		off = n
		if off == 128_000 {
			// A chunk sent twice (the reply was lost) is refused with the
			// offset to resume from.
			_, err := s.AppendUpload(ctx, up, 64_000, bytes.NewReader(data[64_000:128_000]))
			var oe *store.OffsetError
			if !errors.As(err, &oe) || oe.Want != 128_000 || !errors.Is(err, store.ErrOffset) {
				t.Fatalf("stale chunk: %v", err)
			}
			again, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
			if err != nil || again.Offset != 128_000 || again.ID != up.ID {
				t.Fatalf("begin again mid-upload: %+v %v", again, err)
			}
		}
	}
	if info, _ := s.StatBlob(ctx, d); info.Present {
		t.Fatalf("blob present before commit")
	}
	info, err := s.CommitUpload(ctx, up)
	if err != nil || !info.Present || info.Size != int64(len(data)) {
		t.Fatalf("commit: %+v %v", info, err)
	}
	if _, err := s.CommitUpload(ctx, up); err != nil {
		t.Fatalf("second commit: %v", err)
	}
	done, err := s.BeginUpload(ctx, Nghean, d, int64(len(data)))
	if err != nil || !done.Done || done.Offset != int64(len(data)) {
		t.Fatalf("begin of a present blob: %+v %v", done, err)
	}
	f, err := s.OpenBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("read back differs")
	}
	// Two owners upload the same bytes independently.
	other := RandomBytes(1000)
	u1, _ := s.BeginUpload(ctx, Quangninh, Digest(other), 1000)
	u2, _ := s.BeginUpload(ctx, Caobang, Digest(other), 1000)
	if u1.ID == u2.ID {
		t.Fatalf("two owners share an upload")
	}
	if _, err := s.AppendUpload(ctx, u1, 0, bytes.NewReader(other[:500])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, u2, 0, bytes.NewReader(other)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, u2); err != nil {
		t.Fatal(err)
	}
	// The first owner's incomplete upload cannot be committed ...
	if _, err := s.CommitUpload(ctx, u1); !errors.Is(err, store.ErrOffset) {
		t.Fatalf("commit of an incomplete upload: %v", err)
	}
	// ... and when finished, it commits to the blob already there.
	if _, err := s.AppendUpload(ctx, u1, 500, bytes.NewReader(other[500:])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, u1); err != nil {
		t.Fatal(err)
	}
	_, err = s.BeginUpload(ctx, Quangninh, d, int64(len(data))+1)
	wantErr(t, err, store.ErrConflict)
	_, err = s.AppendUpload(ctx, store.Upload{ID: "../../etc/passwd"}, 0, bytes.NewReader(nil))
	wantErr(t, err, store.ErrInvalid)
	// Another agency can neither reach an owner's upload by its own name
	// nor by forging the id.
	data3 := RandomBytes(3000)
	mine, err := s.BeginUpload(ctx, Quangninh, Digest(data3), 3000)
	if err != nil {
		t.Fatal(err)
	}
	theirs := store.Upload{Owner: Caobang, Digest: mine.Digest, Size: mine.Size}
	_, err = s.AppendUpload(ctx, theirs, 0, bytes.NewReader(RandomBytes(3000)))
	wantErr(t, err, store.ErrNotFound)
	theirs.ID = mine.ID
	_, err = s.AppendUpload(ctx, theirs, 0, bytes.NewReader(RandomBytes(3000)))
	wantErr(t, err, store.ErrInvalid)
	_, err = s.CommitUpload(ctx, theirs)
	wantErr(t, err, store.ErrInvalid)
	if n, err := s.AppendUpload(ctx, mine, 0, bytes.NewReader(data3)); err != nil || n != 3000 {
		t.Fatalf("owner's append: %d %v", n, err)
	}
}

func testBlobCommitMismatch(t *testing.T, s store.Store) {
	data := RandomBytes(50_000)
	d := Digest(data)
	up, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(data)
	bad[49_999] ^= 1
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(bad)); err != nil {
		t.Fatal(err)
	}
	_, err = s.CommitUpload(ctx, up)
	wantErr(t, err, store.ErrDigestMismatch)
	if info, _ := s.StatBlob(ctx, d); info.Present {
		t.Fatalf("blob present after a digest mismatch")
	}
	if info, _ := s.StatBlob(ctx, Digest(bad)); info.Present {
		t.Fatalf("mismatched bytes stored under their own digest")
	}
	again, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
	if err != nil || again.Offset != 0 {
		t.Fatalf("begin after a mismatch: %+v %v, want a fresh upload", again, err)
	}
	if _, err := s.AppendUpload(ctx, again, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, again); err != nil {
		t.Fatalf("commit of the right bytes: %v", err)
	}
}

func testBlobTooLarge(t *testing.T, s store.Store) {
	data := RandomBytes(1000)
	up, err := s.BeginUpload(ctx, Quangninh, Digest(data), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(data[:600])); err != nil {
		t.Fatal(err)
	}
	n, err := s.AppendUpload(ctx, up, 600, bytes.NewReader(RandomBytes(401)))
	wantErr(t, err, store.ErrTooLarge)
	if n != 600 {
		t.Fatalf("offset after an over-long chunk = %d, want 600", n)
	}
	again, _ := s.BeginUpload(ctx, Quangninh, Digest(data), 1000)
	if again.Offset != 600 {
		t.Fatalf("durable offset = %d, want 600", again.Offset)
	}
	if _, err := s.AppendUpload(ctx, up, 600, bytes.NewReader(data[600:])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, up); err != nil {
		t.Fatal(err)
	}
	_, err = s.BeginUpload(ctx, Quangninh, Digest(data), 1<<40)
	wantErr(t, err, store.ErrTooLarge)
}

func testBlobGC(t *testing.T, s store.Store) {
	data := RandomBytes(2000)
	up, err := s.BeginUpload(ctx, Quangninh, Digest(data), 2000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(data[:1000])); err != nil {
		t.Fatal(err)
	}
	const ttl = 24 * time.Hour
	n, err := s.GCUploads(ctx, time.Now(), ttl)
	if err != nil || n != 0 {
		t.Fatalf("gc of a fresh upload removed %d, %v", n, err)
	}
	if _, err := s.AppendUpload(ctx, up, 1000, bytes.NewReader(data[1000:1500])); err != nil {
		t.Fatalf("append after a gc that kept it: %v", err)
	}
	n, err = s.GCUploads(ctx, time.Now().Add(ttl+time.Minute), ttl)
	if err != nil || n != 1 {
		t.Fatalf("gc of an idle upload removed %d, %v", n, err)
	}
	_, err = s.AppendUpload(ctx, up, 1500, bytes.NewReader(data[1500:]))
	wantErr(t, err, store.ErrNotFound)
	again, err := s.BeginUpload(ctx, Quangninh, Digest(data), 2000)
	if err != nil || again.Offset != 0 {
		t.Fatalf("begin after gc: %+v %v", again, err)
	}
}

func testResumeAfterReopen(t *testing.T, s store.Store) {
	data := RandomBytes(200_000)
	d := Digest(data)
	up, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(data[:123_456])); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)
	again, err := s.BeginUpload(ctx, Quangninh, d, int64(len(data)))
	if err != nil || again.Offset != 123_456 || again.ID != up.ID {
		t.Fatalf("begin after reopen: %+v %v, want offset 123456", again, err)
	}
	if _, err := s.AppendUpload(ctx, again, again.Offset, bytes.NewReader(data[again.Offset:])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, again); err != nil {
		t.Fatalf("commit after reopen: %v", err)
	}
	// A corrupted resume is caught by the digest check even though the
	// hash had to be recomputed from disk.
	data2 := RandomBytes(10_000)
	up2, _ := s.BeginUpload(ctx, Quangninh, Digest(data2), 10_000)
	s.AppendUpload(ctx, up2, 0, bytes.NewReader(data2[:5000]))
	s = reopen(t, s)
	if _, err := s.AppendUpload(ctx, up2, 5000, bytes.NewReader(RandomBytes(5000))); err != nil {
		t.Fatal(err)
	}
	_, err = s.CommitUpload(ctx, up2)
	wantErr(t, err, store.ErrDigestMismatch)
}

func testReopenState(t *testing.T, s store.Store) {
	blob := RandomBytes(4000)
	if _, err := s.PutBlob(ctx, Digest(blob), bytes.NewReader(blob)); err != nil {
		t.Fatal(err)
	}
	m1 := NewSubmission(Quangninh, 1000, Govoffice, Nghean)
	m1.BlobDigests = []string{Digest(blob)}
	m2 := NewSubmission(Quangninh, 1000, Govoffice)
	r1 := accept(t, s, m1)
	accept(t, s, m2)
	if _, _, err := s.Ack(ctx, Govoffice, m1.MessageID, "", T0, nil); err != nil {
		t.Fatal(err)
	}
	leased, err := s.Lease(ctx, Nghean, 1, T0, time.Hour)
	if err != nil || len(leased) != 1 {
		t.Fatal(err)
	}
	if _, _, err := s.AppendStatus(ctx, statusOf(m1.MessageID, Govoffice, store.StatusArrived, 1)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutReceipt(ctx, &store.Receipt{MessageID: m1.MessageID, Event: "accepted", Party: Quangninh, At: T0, Signed: []byte("r")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertAgency(ctx, &store.Agency{Code: Govoffice, Name: "Văn phòng Chính phủ", Level: 1, Active: true}, T0); err != nil {
		t.Fatal(err)
	}

	s = reopen(t, s)

	if res, existed, err := s.Accept(ctx, m1, nil); err != nil || !existed || res.Seq != r1.Seq {
		t.Fatalf("retry after reopen: %+v %v %v", res, existed, err)
	}
	if got := inboxIDs(t, s, Govoffice, T0); !slices.Equal(got, []string{m2.MessageID}) {
		t.Fatalf("inbox after reopen = %v", got)
	}
	if got := inboxIDs(t, s, Nghean, T0); len(got) != 0 {
		t.Fatalf("lease lost on reopen: %v", got)
	}
	if _, _, err := s.Ack(ctx, Nghean, m1.MessageID, leased[0].LeaseToken, T0, nil); err != nil {
		t.Fatalf("ack with a lease from before reopen: %v", err)
	}
	if _, existed, err := s.Ack(ctx, Govoffice, m1.MessageID, "", T0, nil); err != nil || !existed {
		t.Fatalf("ack after reopen: %v %v", existed, err)
	}
	if st, _ := s.StatusInbox(ctx, Quangninh, 0, 10); len(st) != 1 {
		t.Fatalf("status queue after reopen = %+v", st)
	}
	if rs, _ := s.Receipts(ctx, m1.MessageID); len(rs) != 1 {
		t.Fatalf("receipts after reopen = %+v", rs)
	}
	if a, err := s.Agency(ctx, Govoffice); err != nil || a.Name != "Văn phòng Chính phủ" {
		t.Fatalf("agency after reopen: %+v %v", a, err)
	}
	if info, _ := s.StatBlob(ctx, Digest(blob)); !info.Present {
		t.Fatalf("blob lost on reopen")
	}
	st, _ := s.Stats(ctx, Quangninh)
	if st.Sent != 2 {
		t.Fatalf("stats after reopen = %+v", st)
	}
	// New messages continue the cursors.
	m3 := NewSubmission(Quangninh, 100, Govoffice)
	r3 := accept(t, s, m3)
	if r3.Seq != 3 {
		t.Fatalf("sent cursor after reopen = %d, want 3", r3.Seq)
	}
	ds, _ := s.Inbox(ctx, Govoffice, 0, 10, T0)
	if len(ds) != 2 || ds[1].Cursor != 3 {
		t.Fatalf("queue cursors after reopen: %+v", ds)
	}
}

func testClosed(t *testing.T, s store.Store) {
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	_, _, err := s.Accept(ctx, NewSubmission(Quangninh, 100, Govoffice), nil)
	wantErr(t, err, store.ErrClosed)
	_, err = s.Inbox(ctx, Govoffice, 0, 10, T0)
	wantErr(t, err, store.ErrClosed)
	_, err = s.StatBlob(ctx, Digest(nil))
	wantErr(t, err, store.ErrClosed)
}
