package storetest

import (
	"bytes"
	"io"
	"testing"

	"lienthong/certs"
	"lienthong/hub/store"
)

// readBlob reads the whole blob digest as agency may.
func readBlob(t *testing.T, s store.Store, agency certs.AgencyCode, digest string) []byte {
	t.Helper()
	f, err := s.OpenGranted(ctx, agency, digest)
	if err != nil {
		t.Fatalf("OpenGranted(%s, %s): %v", agency, digest, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testInlineStored: an attachment whose bytes come with the submission is
// stored with it, beside one uploaded before; its parties may read it, it
// counts against no quota, and a retry with the bytes again answers the
// first acceptance.
func testInlineStored(t *testing.T, s store.Store) {
	uploaded := RandomBytes(2000)
	putAs(t, s, Quangninh, uploaded, T0)
	inline := RandomBytes(3000)
	sub := NewSubmission(Quangninh, 800, Govoffice, Nghean)
	sub.BlobDigests = []string{Digest(inline), Digest(uploaded)}
	sub.Inline = []store.InlineBlob{{Digest: Digest(inline), Data: inline}}
	res := accept(t, s, sub)
	info, err := s.StatBlob(ctx, Digest(inline))
	if err != nil || !info.Present || info.Size != int64(len(inline)) {
		t.Fatalf("StatBlob of the inline attachment = %+v, %v", info, err)
	}
	wantGrants(t, s, Digest(inline), map[certs.AgencyCode]bool{Quangninh: true, Govoffice: true, Nghean: true, Caobang: false})
	for _, a := range []certs.AgencyCode{Quangninh, Govoffice, Nghean} {
		if got := readBlob(t, s, a, Digest(inline)); !bytes.Equal(got, inline) {
			t.Fatalf("%s reads %d bytes, not the %d sent", a, len(got), len(inline))
		}
	}
	if u, err := s.UploadUsage(ctx, Quangninh); err != nil || u.Unreferenced != 0 {
		t.Fatalf("usage after an inline attachment: %+v, %v", u, err)
	}
	again, existed, err := s.Accept(ctx, sub, nil)
	if err != nil || !existed || again.LogIndex != res.LogIndex || again.Seq != res.Seq {
		t.Fatalf("retry = %+v, %v, %v; first %+v", again, existed, err, res)
	}
	if got := readBlob(t, s, Govoffice, Digest(inline)); !bytes.Equal(got, inline) {
		t.Fatal("the retry changed the inline attachment's bytes")
	}
}

// testInlinePresentBlob: bytes another agency uploaded, or a message
// carried, come inline as well: the sender gets its grant by sending them.
func testInlinePresentBlob(t *testing.T, s store.Store) {
	blob := RandomBytes(2500)
	putAs(t, s, Caobang, blob, T0)
	sub := NewSubmission(Quangninh, 600, Govoffice)
	sub.BlobDigests = []string{Digest(blob)}
	sub.Inline = []store.InlineBlob{{Digest: Digest(blob), Data: blob}}
	accept(t, s, sub)
	wantGrants(t, s, Digest(blob), map[certs.AgencyCode]bool{Quangninh: true, Govoffice: true, Caobang: true, Nghean: false})
	if got := readBlob(t, s, Govoffice, Digest(blob)); !bytes.Equal(got, blob) {
		t.Fatal("the recipient reads other bytes")
	}
	// And a second message sends the same bytes inline again.
	next := NewSubmission(Quangninh, 600, Nghean)
	next.BlobDigests = []string{Digest(blob)}
	next.Inline = []store.InlineBlob{{Digest: Digest(blob), Data: blob}}
	accept(t, s, next)
	wantGrants(t, s, Digest(blob), map[certs.AgencyCode]bool{Nghean: true})
}

// testInlineRefusedGrantsNothing: a refused submission stores no grant of
// its inline bytes, and the refusal is the same as without them.
func testInlineRefusedGrantsNothing(t *testing.T, s store.Store) {
	inline := RandomBytes(1500)
	never := RandomBytes(1500) // named, never uploaded
	sub := NewSubmission(Quangninh, 700, Govoffice)
	sub.BlobDigests = []string{Digest(inline), Digest(never)}
	sub.Inline = []store.InlineBlob{{Digest: Digest(inline), Data: inline}}
	_, _, err := s.Accept(ctx, sub, nil)
	wantErr(t, err, store.ErrMissingBlob)
	wantGrants(t, s, Digest(inline), map[certs.AgencyCode]bool{Quangninh: false, Govoffice: false})
	if _, err := s.Message(ctx, sub.MessageID); err == nil {
		t.Fatal("a refused submission was stored")
	}
	if u, err := s.UploadUsage(ctx, Quangninh); err != nil || u.Unreferenced != 0 {
		t.Fatalf("usage after a refusal: %+v, %v", u, err)
	}
	// A conflicting packet under an accepted id is refused the same way.
	ok := NewSubmission(Quangninh, 700, Govoffice)
	accept(t, s, ok)
	other := NewSubmission(Quangninh, 700, Govoffice)
	other.MessageID = ok.MessageID
	other.BlobDigests = []string{Digest(inline)}
	other.Inline = []store.InlineBlob{{Digest: Digest(inline), Data: inline}}
	_, _, err = s.Accept(ctx, other, nil)
	wantErr(t, err, store.ErrConflict)
	wantGrants(t, s, Digest(inline), map[certs.AgencyCode]bool{Quangninh: false})
}

// testInlineInvalid: inline bytes are checked against their digest and the
// submission's attachments before anything is stored.
func testInlineInvalid(t *testing.T, s store.Store) {
	data := RandomBytes(1000)
	for _, tc := range []struct {
		name string
		edit func(x *store.Submission)
		want error
	}{
		{"WrongBytes", func(x *store.Submission) { x.Inline[0].Data = RandomBytes(1000) }, store.ErrDigestMismatch},
		{"NotAnAttachment", func(x *store.Submission) { x.BlobDigests = []string{Digest(RandomBytes(10))} }, store.ErrInvalid},
		{"Twice", func(x *store.Submission) { x.Inline = append(x.Inline, x.Inline[0]) }, store.ErrInvalid},
		{"TooLarge", func(x *store.Submission) {
			big := RandomBytes(store.MaxInline + 1)
			x.BlobDigests = []string{Digest(big)}
			x.Inline = []store.InlineBlob{{Digest: Digest(big), Data: big}}
		}, store.ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := NewSubmission(Quangninh, 500, Govoffice)
			sub.BlobDigests = []string{Digest(data)}
			sub.Inline = []store.InlineBlob{{Digest: Digest(data), Data: data}}
			tc.edit(sub)
			_, _, err := s.Accept(ctx, sub, nil)
			wantErr(t, err, tc.want)
			if _, err := s.Message(ctx, sub.MessageID); err == nil {
				t.Fatal("an invalid submission was stored")
			}
		})
	}
	wantGrants(t, s, Digest(data), map[certs.AgencyCode]bool{Quangninh: false})
}
