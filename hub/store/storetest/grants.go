package storetest

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

// putAs stores blob as owner's own upload, at T0.
func putAs(t *testing.T, s store.Store, owner certs.AgencyCode, blob []byte, at time.Time) string {
	t.Helper()
	if _, err := s.PutBlob(ctx, owner, Digest(blob), bytes.NewReader(blob), at); err != nil {
		t.Fatalf("PutBlob by %s: %v", owner, err)
	}
	return Digest(blob)
}

// wantGrants checks who holds a grant of digest, by BlobGranted and by
// OpenGranted: to an agency with a grant it opens as OpenBlob does (or is
// ErrGone as OpenBlob is); to any other it is ErrNotFound, present or not.
func wantGrants(t *testing.T, s store.Store, digest string, want map[certs.AgencyCode]bool) {
	t.Helper()
	for agency, w := range want {
		got, err := s.BlobGranted(ctx, agency, digest)
		if err != nil || got != w {
			t.Fatalf("BlobGranted(%s) = %v, %v; want %v", agency, got, err, w)
		}
		f, err := s.OpenGranted(ctx, agency, digest)
		if err == nil {
			f.Close()
		}
		if !w {
			wantErr(t, err, store.ErrNotFound)
			continue
		}
		b, berr := s.OpenBlob(ctx, digest)
		if berr == nil {
			b.Close()
		}
		if (err == nil) != (berr == nil) || errors.Is(err, store.ErrGone) != errors.Is(berr, store.ErrGone) {
			t.Fatalf("OpenGranted(%s) = %v where OpenBlob = %v", agency, err, berr)
		}
	}
}

func testGrantsByUploadAndMessage(t *testing.T, s store.Store) {
	blob := RandomBytes(4000)
	d := putAs(t, s, Quangninh, blob, T0)
	wantGrants(t, s, d, map[certs.AgencyCode]bool{Quangninh: true, Govoffice: false, Nghean: false, Caobang: false})
	sub := NewSubmission(Quangninh, 500, Govoffice, Nghean)
	sub.BlobDigests = []string{d}
	accept(t, s, sub)
	wantGrants(t, s, d, map[certs.AgencyCode]bool{Quangninh: true, Govoffice: true, Nghean: true, Caobang: false})
	// Another agency's chunked upload of the same bytes grants it too.
	up, err := s.BeginUpload(ctx, Caobang, d, int64(len(blob)))
	if err != nil || up.Offset != 0 {
		t.Fatalf("begin: %+v %v", up, err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(blob)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, up, T0); err != nil {
		t.Fatal(err)
	}
	wantGrants(t, s, d, map[certs.AgencyCode]bool{Caobang: true})
	// A retried commit answers the owner, and nobody else.
	if info, err := s.CommitUpload(ctx, up, T0); err != nil || !info.Present {
		t.Fatalf("retried commit by the owner: %+v %v", info, err)
	}
	_, err = s.CommitUpload(ctx, store.Upload{Owner: "000.00.00.H99", Digest: d, Size: int64(len(blob))}, T0)
	wantErr(t, err, store.ErrNotFound)
}

func testAcceptNeedsSendersGrant(t *testing.T, s store.Store) {
	blob := RandomBytes(4000)
	d := putAs(t, s, Quangninh, blob, T0)
	// Caobang knows the digest but never uploaded the bytes.
	sub := NewSubmission(Caobang, 500, Govoffice)
	sub.BlobDigests = []string{d}
	_, _, err := s.Accept(ctx, sub, nil)
	wantErr(t, err, store.ErrMissingBlob)
	wantGrants(t, s, d, map[certs.AgencyCode]bool{Caobang: false, Govoffice: false})
	putAs(t, s, Caobang, blob, T0)
	accept(t, s, sub)
	wantGrants(t, s, d, map[certs.AgencyCode]bool{Govoffice: true})
}

func testRecallRevokesGrants(t *testing.T, s store.Store) {
	blob := RandomBytes(4000)
	d := putAs(t, s, Quangninh, blob, T0)
	orig := NewSubmission(Quangninh, 500, Govoffice, Nghean, Caobang)
	orig.BlobDigests = []string{d}
	accept(t, s, orig)
	// Govoffice has the document; Caobang also got the file in another
	// message; Nghean has neither.
	if _, _, err := s.Ack(ctx, Govoffice, orig.MessageID, "", T0, nil); err != nil {
		t.Fatal(err)
	}
	other := NewSubmission(Quangninh, 500, Caobang)
	other.BlobDigests = []string{d}
	accept(t, s, other)
	recall := NewSubmission(Quangninh, 200, Govoffice, Nghean, Caobang)
	recall.Kind, recall.Targets = document.BusinessRecall, []string{orig.MessageID}
	accept(t, s, recall)
	wantGrants(t, s, d, map[certs.AgencyCode]bool{Quangninh: true, Govoffice: true, Nghean: false, Caobang: true})
	// The withdrawn recipient cannot name the file in a message of its own.
	mine := NewSubmission(Nghean, 300, Govoffice)
	mine.BlobDigests = []string{d}
	_, _, err := s.Accept(ctx, mine, nil)
	wantErr(t, err, store.ErrMissingBlob)
	// A grant by its own upload survives a recall.
	blob2 := RandomBytes(3000)
	d2 := putAs(t, s, Quangninh, blob2, T0)
	putAs(t, s, Nghean, blob2, T0)
	m2 := NewSubmission(Quangninh, 500, Nghean)
	m2.BlobDigests = []string{d2}
	accept(t, s, m2)
	r2 := NewSubmission(Quangninh, 200, Nghean)
	r2.Kind, r2.Targets = document.BusinessRecall, []string{m2.MessageID}
	accept(t, s, r2)
	wantGrants(t, s, d2, map[certs.AgencyCode]bool{Nghean: true})
	// And the revocation survives a reopen.
	s = reopen(t, s)
	wantGrants(t, s, d, map[certs.AgencyCode]bool{Nghean: false, Caobang: true})
}

func testUploadUsage(t *testing.T, s store.Store) {
	u, err := s.UploadUsage(ctx, Quangninh)
	if err != nil || u.Unreferenced != 0 || len(u.Partial) != 0 {
		t.Fatalf("usage of a new agency: %+v %v", u, err)
	}
	blob := RandomBytes(5000)
	d := putAs(t, s, Quangninh, blob, T0)
	part := RandomBytes(7000)
	up, err := s.BeginUpload(ctx, Quangninh, Digest(part), int64(len(part)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(part[:100])); err != nil {
		t.Fatal(err)
	}
	u, err = s.UploadUsage(ctx, Quangninh)
	if err != nil || u.Unreferenced != 5000 || len(u.Partial) != 1 || u.Partial[0].Size != 7000 || u.Partial[0].Digest != Digest(part) {
		t.Fatalf("usage with one blob and one partial upload: %+v %v", u, err)
	}
	if other, _ := s.UploadUsage(ctx, Govoffice); other.Unreferenced != 0 || len(other.Partial) != 0 {
		t.Fatalf("another agency's usage: %+v", other)
	}
	sub := NewSubmission(Quangninh, 500, Govoffice)
	sub.BlobDigests = []string{d}
	accept(t, s, sub)
	u, _ = s.UploadUsage(ctx, Quangninh)
	if u.Unreferenced != 0 {
		t.Fatalf("a referenced blob still counts: %+v", u)
	}
	// Uploading a referenced blob again costs no quota either.
	putAs(t, s, Caobang, blob, T0)
	if u, _ := s.UploadUsage(ctx, Caobang); u.Unreferenced != 0 {
		t.Fatalf("re-upload of a referenced blob counts: %+v", u)
	}
}

func testGCBlobs(t *testing.T, s store.Store) {
	const ttl = 24 * time.Hour
	idle := putAs(t, s, Quangninh, RandomBytes(3000), T0)
	used := putAs(t, s, Quangninh, RandomBytes(3000), T0)
	fresh := putAs(t, s, Quangninh, RandomBytes(3000), T0.Add(ttl))
	sub := NewSubmission(Quangninh, 500, Govoffice)
	sub.BlobDigests = []string{used}
	accept(t, s, sub)
	now := T0.Add(ttl + time.Hour)
	res, err := s.GCBlobs(ctx, now, ttl, 0)
	if err != nil || res.Unreferenced != 1 || res.Expired != 0 || res.Bytes != 3000 {
		t.Fatalf("gc = %+v, %v; want one unreferenced blob of 3000 bytes", res, err)
	}
	for d, want := range map[string]bool{idle: false, used: true, fresh: true} {
		info, err := s.StatBlob(ctx, d)
		if err != nil || info.Present != want {
			t.Fatalf("blob present = %v, %v; want %v", info.Present, err, want)
		}
	}
	wantGrants(t, s, idle, map[certs.AgencyCode]bool{Quangninh: false})
	if u, _ := s.UploadUsage(ctx, Quangninh); u.Unreferenced != 3000 {
		t.Fatalf("usage after gc = %+v, want the fresh blob only", u)
	}
	// A message naming the collected blob is refused; uploading it again
	// brings it back.
	late := NewSubmission(Quangninh, 500, Govoffice)
	late.BlobDigests = []string{idle}
	_, _, err = s.Accept(ctx, late, nil)
	wantErr(t, err, store.ErrMissingBlob)
	if res, err := s.GCBlobs(ctx, now.Add(1000*ttl), ttl, 0); err != nil || res.Unreferenced != 1 {
		t.Fatalf("second gc = %+v, %v; want the fresh blob", res, err)
	}
	if info, _ := s.StatBlob(ctx, used); !info.Present {
		t.Fatalf("a referenced blob was collected")
	}
}

func testGCBlobsRacesAccept(t *testing.T, s store.Store) {
	const ttl = time.Hour
	for i := range 20 {
		blob := RandomBytes(2000)
		d := putAs(t, s, Quangninh, blob, T0)
		sub := NewSubmission(Quangninh, 300, Govoffice)
		sub.BlobDigests = []string{d}
		var wg sync.WaitGroup
		var acceptErr, gcErr error
		wg.Add(2)
		go func() { defer wg.Done(); _, _, acceptErr = s.Accept(ctx, sub, nil) }()
		go func() { defer wg.Done(); _, gcErr = s.GCBlobs(ctx, T0.Add(2*ttl), ttl, 0) }()
		wg.Wait()
		if gcErr != nil {
			t.Fatal(gcErr)
		}
		info, err := s.StatBlob(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case acceptErr == nil && !info.Present:
			t.Fatalf("round %d: a message was accepted and its attachment collected", i)
		case acceptErr != nil && !errors.Is(acceptErr, store.ErrMissingBlob):
			t.Fatalf("round %d: accept: %v", i, acceptErr)
		}
		if acceptErr == nil {
			f, err := s.OpenBlob(ctx, d)
			if err != nil {
				t.Fatalf("round %d: open the attachment of an accepted message: %v", i, err)
			}
			got, _ := io.ReadAll(f)
			f.Close()
			if !bytes.Equal(got, blob) {
				t.Fatalf("round %d: attachment differs", i)
			}
		}
	}
}

func testRetention(t *testing.T, s store.Store) {
	const retention = 30 * 24 * time.Hour
	blob := RandomBytes(6000)
	d := putAs(t, s, Quangninh, blob, T0)
	delivered := NewSubmission(Quangninh, 500, Govoffice, Nghean)
	delivered.BlobDigests = []string{d}
	accept(t, s, delivered)
	pendingBlob := RandomBytes(6000)
	pd := putAs(t, s, Quangninh, pendingBlob, T0)
	pending := NewSubmission(Quangninh, 500, Govoffice, Nghean)
	pending.BlobDigests = []string{pd}
	accept(t, s, pending)
	for _, r := range []certs.AgencyCode{Govoffice, Nghean} {
		if _, _, err := s.Ack(ctx, r, delivered.MessageID, "", T0.Add(time.Hour), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Ack(ctx, Govoffice, pending.MessageID, "", T0.Add(time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	// A document its only recipient refused is settled too.
	refusedBlob := RandomBytes(6000)
	rd := putAs(t, s, Quangninh, refusedBlob, T0)
	refused := NewSubmission(Quangninh, 500, Caobang)
	refused.BlobDigests = []string{rd}
	accept(t, s, refused)
	refusedAt := T0.Add(time.Hour)
	seal := (&sealCall{}).seal(store.Receipt{MessageID: refused.MessageID, Event: "refused", Party: Caobang, At: refusedAt})
	if _, _, err := s.Refuse(ctx, Caobang, refused.MessageID, "Chữ ký không hợp lệ", refusedAt, seal); err != nil {
		t.Fatal(err)
	}
	// Before the retention ends, and with retention off, nothing goes.
	for _, tc := range []struct {
		now       time.Time
		retention time.Duration
	}{{T0.Add(retention), retention}, {T0.Add(100 * retention), 0}} {
		if res, err := s.GCBlobs(ctx, tc.now, time.Hour, tc.retention); err != nil || res.Expired != 0 {
			t.Fatalf("gc at %v with retention %v = %+v, %v", tc.now, tc.retention, res, err)
		}
	}
	res, err := s.GCBlobs(ctx, T0.Add(time.Hour+retention+time.Minute), time.Hour, retention)
	if err != nil || res.Expired != 2 || res.Unreferenced != 0 || res.Bytes != 12000 {
		t.Fatalf("gc after retention = %+v, %v; want the delivered and the refused blob", res, err)
	}
	for _, gone := range []string{d, rd} {
		_, err = s.OpenBlob(ctx, gone)
		wantErr(t, err, store.ErrGone)
	}
	if f, err := s.OpenBlob(ctx, pd); err != nil {
		t.Fatalf("a blob with a pending delivery: %v", err)
	} else {
		f.Close()
	}
	wantGrants(t, s, d, map[certs.AgencyCode]bool{Govoffice: true, Caobang: false})
	// A new message needs the bytes again: the sender uploads them.
	again := NewSubmission(Quangninh, 500, Caobang)
	again.BlobDigests = []string{d}
	_, _, err = s.Accept(ctx, again, nil)
	wantErr(t, err, store.ErrMissingBlob)
	putAs(t, s, Quangninh, blob, T0.Add(2*retention))
	accept(t, s, again)
	f, err := s.OpenBlob(ctx, d)
	if err != nil {
		t.Fatalf("open after a new upload: %v", err)
	}
	f.Close()
	// Or the bytes come with the new message's packet.
	inline := NewSubmission(Quangninh, 500, Nghean)
	inline.BlobDigests = []string{rd}
	inline.Inline = []store.InlineBlob{{Digest: rd, Data: refusedBlob}}
	inline.Received = T0.Add(2 * retention)
	accept(t, s, inline)
	if got := readBlob(t, s, Nghean, rd); !bytes.Equal(got, refusedBlob) {
		t.Fatalf("the bytes sent again with a packet read back as %d bytes", len(got))
	}
}

// testUploadCheck checks UploadCheck against StatBlob, BlobGranted and
// UploadUsage: the blob exists only for an agency holding a grant of it.
func testUploadCheck(t *testing.T, s store.Store) {
	blob := RandomBytes(5000)
	d := putAs(t, s, Quangninh, blob, T0)
	part := RandomBytes(7000)
	up, err := s.BeginUpload(ctx, Govoffice, Digest(part), int64(len(part)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendUpload(ctx, up, 0, bytes.NewReader(part[:100])); err != nil {
		t.Fatal(err)
	}
	check := func(agency certs.AgencyCode, present bool, unreferenced int64, partial []string) {
		t.Helper()
		info, u, err := s.UploadCheck(ctx, agency, d)
		if err != nil {
			t.Fatalf("upload check by %s: %v", agency, err)
		}
		want := store.BlobInfo{Digest: d}
		if present {
			want.Size, want.Present = int64(len(blob)), true
		}
		if info != want {
			t.Fatalf("upload check by %s: blob %+v, want %+v", agency, info, want)
		}
		var got []string
		for _, p := range u.Partial {
			got = append(got, p.Digest)
		}
		if u.Unreferenced != unreferenced || !slices.Equal(got, partial) {
			t.Fatalf("upload check by %s: usage %+v, want %d unreferenced and partial uploads %v", agency, u, unreferenced, partial)
		}
		if direct, _ := s.UploadUsage(ctx, agency); !reflect.DeepEqual(direct, u) {
			t.Fatalf("upload check by %s: usage %+v, UploadUsage says %+v", agency, u, direct)
		}
	}
	check(Quangninh, true, 5000, nil)
	check(Govoffice, false, 0, []string{Digest(part)}) // no grant: the blob does not exist
	check(Caobang, false, 0, nil)
	sub := NewSubmission(Quangninh, 500, Govoffice)
	sub.BlobDigests = []string{d}
	accept(t, s, sub)
	check(Quangninh, true, 0, nil)
	check(Govoffice, true, 0, []string{Digest(part)}) // granted by the message
	check(Caobang, false, 0, nil)
	_, _, err = s.UploadCheck(ctx, Quangninh, "not-a-digest")
	wantErr(t, err, store.ErrInvalid)
}
