package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

func testAcceptBasic(t *testing.T, s store.Store) {
	sub := NewSubmission(Quangninh, 1000, Govoffice, Nghean)
	blob := RandomBytes(3000)
	if _, err := s.PutBlob(ctx, Quangninh, Digest(blob), bytes.NewReader(blob), T0); err != nil {
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
		m.DocumentID != sub.DocumentID || m.Kind != document.BusinessNew || !m.Received.Equal(T0) || m.Seq != 1 {
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
	var rs []certs.AgencyCode
	for i := 1; i <= 300; i++ {
		rs = append(rs, certs.AgencyCode(fmt.Sprintf("%03d.00.00.H49", i)))
	}
	sub := NewSubmission(Quangninh, 5000, rs...)
	accept(t, s, sub)
	ds, err := s.Deliveries(ctx, sub.MessageID)
	if err != nil || len(ds) != len(rs) {
		t.Fatalf("deliveries = %d, %v", len(ds), err)
	}
	for i, r := range []certs.AgencyCode{rs[0], rs[149], rs[299]} {
		if got := inboxIDs(t, s, r, T0); !slices.Equal(got, []string{sub.MessageID}) {
			t.Fatalf("inbox %d of %s = %v", i, r, got)
		}
		if _, _, err := s.Ack(ctx, r, sub.MessageID, "", T0, nil); err != nil {
			t.Fatal(err)
		}
	}
	recall := NewSubmission(Quangninh, 100, rs...)
	recall.Kind, recall.Targets = document.BusinessRecall, []string{sub.MessageID}
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
	if _, err := s.CommitUpload(ctx, up, T0); err != nil {
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
		{"DuplicateRecipient", func(x *store.Submission) { x.Recipients = []certs.AgencyCode{Govoffice, Govoffice} }, store.ErrInvalid},
		{"SenderAsRecipient", func(x *store.Submission) { x.Recipients = []certs.AgencyCode{Quangninh} }, store.ErrInvalid},
		{"EnvelopeHashMismatch", func(x *store.Submission) { x.EnvelopeSHA256 = Digest([]byte("other")) }, store.ErrDigestMismatch},
		{"EmptyEnvelope", func(x *store.Submission) { x.Envelope = nil }, store.ErrInvalid},
		{"BadBlobDigest", func(x *store.Submission) { x.BlobDigests = []string{"xyz"} }, store.ErrInvalid},
		{"UnknownKind", func(x *store.Submission) { x.Kind = 9 }, store.ErrInvalid},
		{"RecallWithoutTargets", func(x *store.Submission) { x.Kind = document.BusinessRecall }, store.ErrInvalid},
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
