package store

import (
	"errors"
	"io"
	"strings"
	"testing"

	"lienthong/certs"
	"lienthong/shared/document"

	bolt "go.etcd.io/bbolt"
)

func TestAttachmentClaims(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, nd *NewDocument, s *Store)
		want   string // substring of the error; "" for success
	}{
		{"matching blob", func(*testing.T, *NewDocument, *Store) {}, ""},
		{"size differs", func(_ *testing.T, nd *NewDocument, _ *Store) { nd.Payload.Attachments[0].Size++ }, "does not match"},
		{"digest differs", func(_ *testing.T, nd *NewDocument, _ *Store) {
			nd.Payload.Attachments[0].SHA256 = "00" + nd.Payload.Attachments[0].SHA256[2:]
		}, "does not match"},
		{"unknown blob", func(_ *testing.T, nd *NewDocument, _ *Store) { nd.Blobs[0].ID = "0123456789abcdef0123456789abcdef" }, "not staged"},
		{"missing blob", func(_ *testing.T, nd *NewDocument, _ *Store) { nd.Blobs = nil }, "blobs"},
		{"blob of another document", func(t *testing.T, nd *NewDocument, s *Store) {
			other := newDoc(t, s, meta(self, agencies[3], 900, day(2025, 1, 1), "Khác"), []byte("same bytes"))
			if err := s.SaveOutgoing(other); err != nil {
				t.Fatal(err)
			}
			nd.Blobs[0] = other.Blobs[0]
		}, "not staged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTest(t)
			nd := newDoc(t, s, meta(self, agencies[0], 1, day(2025, 1, 1), "Tờ trình"), []byte("same bytes"))
			tt.tamper(t, &nd, s)
			err := s.SaveOutgoing(nd)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !contains(err.Error(), tt.want) {
				t.Fatalf("SaveOutgoing: %v, want error with %q", err, tt.want)
			}
			if n, _ := s.Count(Query{Box: Outgoing}); n > 1 || (n == 1 && tt.name != "blob of another document") {
				t.Errorf("%d documents after a refused save", n)
			}
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestUnclaimedAttachmentsCollected(t *testing.T) {
	s, path := openTest(t)
	w0, _ := s.NewAttachment()
	w0.Write(make([]byte, 3*chunkSize))
	b0, err := w0.Close()
	if err != nil {
		t.Fatal(err)
	}
	kept := newDoc(t, s, meta(self, agencies[0], 1, day(2025, 1, 1), "Giữ"))
	kept.Payload = payload(kept.Payload.Metadata, make([]byte, 3*chunkSize))
	kept.Blobs = []Blob{b0}
	if err := s.SaveOutgoing(kept); err != nil {
		t.Fatal(err)
	}
	if err := w0.Abort(); err != nil { // too late: a document owns it
		t.Fatal(err)
	}
	stage(t, s, make([]byte, 2*chunkSize)) // closed, never claimed
	w, _ := s.NewAttachment()              // never closed: a crash mid-write
	w.Write(make([]byte, chunkSize*chunksPerTx+5))
	aborted, _ := s.NewAttachment()
	aborted.Write([]byte("x"))
	if err := aborted.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := aborted.Write([]byte("y")); !errors.Is(err, ErrClosed) {
		t.Errorf("write after abort: %v", err)
	}
	s.Close()
	s, err = OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bucketChunks).Stats().KeyN; n != 3 {
			t.Errorf("%d chunks left, want the 3 of the kept document", n)
		}
		if n := tx.Bucket(bucketBlobs).Stats().KeyN; n != 1 {
			t.Errorf("%d blobs left", n)
		}
		return nil
	})
	r, _, err := s.OpenAttachment(kept.Payload.MessageID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(r); err != nil || len(b) != 3*chunkSize {
		t.Errorf("kept attachment: %d bytes, %v", len(b), err)
	}
}

func TestAttachmentTamperDetected(t *testing.T) {
	s, path := openTest(t)
	nd := newDoc(t, s, meta(self, agencies[0], 1, day(2025, 1, 1), "Hợp đồng"), make([]byte, 2*chunkSize+10))
	if err := s.SaveOutgoing(nd); err != nil {
		t.Fatal(err)
	}
	s.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error { // drop the middle chunk
		c := tx.Bucket(bucketChunks).Cursor()
		c.First()
		c.Next()
		return c.Delete()
	})
	s, err := OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, _, err := s.OpenAttachment(nd.Payload.MessageID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, ErrCorrupt) {
		t.Errorf("reading a truncated attachment: %v, want ErrCorrupt", err)
	}
}

func TestDirectory(t *testing.T) {
	s, _ := openTest(t)
	dir := []Agency{
		{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh", Level: 1, Active: true},
		{Code: "000.00.12.H49", Name: "Sở Khoa học và Công nghệ tỉnh Quảng Ninh", Parent: "000.00.00.H49", Level: 2, Active: true},
		{Code: "000.00.13.H49", Name: "Sở Thông tin và Truyền thông tỉnh Quảng Ninh", Parent: "000.00.00.H49", Level: 2, Active: false},
		{Code: "000.00.00.H41", Name: "Ủy ban nhân dân tỉnh Nghệ An", Level: 1, Active: true},
		{Code: "000.00.00.G22", Name: `Văn phòng "Chính phủ"`, Level: 1, Active: true},
	}
	if err := s.ReplaceDirectory(dir); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query    string
		inactive bool
		want     []certs.AgencyCode
	}{
		{"quang ninh", false, []certs.AgencyCode{"000.00.00.H49", "000.00.12.H49"}},
		{"quang ninh", true, []certs.AgencyCode{"000.00.00.H49", "000.00.12.H49", "000.00.13.H49"}},
		{"SỞ khoa", false, []certs.AgencyCode{"000.00.12.H49"}},
		{"ubnd", false, nil},
		{"uy ban", false, []certs.AgencyCode{"000.00.00.H41", "000.00.00.H49"}},
		{"chinh phu", false, []certs.AgencyCode{"000.00.00.G22"}},
		{"", false, []certs.AgencyCode{"000.00.00.G22", "000.00.00.H41", "000.00.00.H49", "000.00.12.H49"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := s.SearchAgencies(tt.query, tt.inactive, 0)
			if err != nil {
				t.Fatal(err)
			}
			var codes []certs.AgencyCode
			for _, a := range got {
				codes = append(codes, a.Code)
			}
			if len(codes) != len(tt.want) {
				t.Fatalf("got %v, want %v", codes, tt.want)
			}
			for i := range codes {
				if codes[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", codes, tt.want)
				}
			}
		})
	}
	if kids, err := s.Children("000.00.00.H49"); err != nil || len(kids) != 2 {
		t.Errorf("children %v, %v", kids, err)
	}
	if a, err := s.Agency("000.00.00.H41"); err != nil || a.Name != "Ủy ban nhân dân tỉnh Nghệ An" {
		t.Errorf("agency %+v, %v", a, err)
	}
	if err := s.ReplaceDirectory([]Agency{{Code: "bad"}}); err == nil {
		t.Error("a malformed code was accepted")
	}
	if _, err := s.Agency("000.00.00.H41"); err != nil {
		t.Errorf("a refused replacement lost the directory: %v", err)
	}
}

func TestIdentity(t *testing.T) {
	s, path := openTest(t)
	if _, err := s.Identity(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("identity before import: %v", err)
	}
	kp := testIdentity(t)
	other := testIdentity(t)
	if err := s.SetIdentity(&certs.KeyPair{Leaf: kp.Leaf, Chain: kp.Chain, Key: other.Key}); err == nil {
		t.Error("a key that does not match the certificate was accepted")
	}
	if err := s.SetIdentity(kp); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Identity()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Leaf.Equal(kp.Leaf) || !certs.SameKey(got.Key, kp.Leaf.PublicKey) || len(got.Chain) != len(kp.Chain) {
		t.Errorf("identity does not round-trip")
	}
	if code, err := certs.AgencyOf(got.Leaf); err != nil || code != self.Code {
		t.Errorf("agency of stored identity: %v, %v", code, err)
	}
	_ = document.StatusArrived
}
