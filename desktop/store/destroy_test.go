package store

import (
	"bytes"
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"

	"lienthong/shared/document"
)

func TestDestroyAttachments(t *testing.T) {
	s, _ := openTest(t)
	from := document.Organ{Code: "000.00.00.G22", Name: "Văn phòng Chính phủ"}
	nd := newDoc(t, s, meta(from, document.Recipient{Code: self.Code, Name: self.Name}, 7, day(2026, 11, 2), "Về việc thu hồi"), bytes.Repeat([]byte("trang một "), 70_000), []byte("phụ lục"))
	if err := s.SaveIncoming(nd); err != nil {
		t.Fatal(err)
	}
	id := nd.Payload.MessageID
	chunks := func() int {
		n := 0
		s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketChunks).Stats().KeyN; return nil })
		return n
	}
	if chunks() == 0 {
		t.Fatal("no chunks stored")
	}
	if err := s.DestroyAttachments(id); err != nil {
		t.Fatal(err)
	}
	if err := s.DestroyAttachments(id); err != nil {
		t.Fatalf("second destroy: %v", err)
	}
	if n := chunks(); n != 0 {
		t.Fatalf("%d chunks remain", n)
	}
	for i := 0; i < 2; i++ {
		r, att, err := s.OpenAttachment(id, i)
		if !errors.Is(err, ErrDestroyed) || r != nil {
			t.Fatalf("attachment %d: %v", i, err)
		}
		if att.Name == "" {
			t.Errorf("attachment %d lost its metadata", i)
		}
	}
	doc, err := s.Get(id)
	if err != nil || doc.Payload.Metadata.Subject != "Về việc thu hồi" {
		t.Fatalf("metadata after destroy: %v", err)
	}
	if p, err := s.Packet(id); err != nil || len(p) == 0 {
		t.Fatalf("packet after destroy: %v", err)
	}
	if err := s.DestroyAttachments("00000000000000000000000000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown document: %v", err)
	}
}
