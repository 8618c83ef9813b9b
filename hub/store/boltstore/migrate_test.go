package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/storetest"
	"lienthong/shared/document"
)

// TestMigrateGrants opens a schema-1 store (messages, no blob records or
// grants) and checks that the parties of its messages keep their
// attachments, a withdrawn recipient does not, and the records count what
// retention needs.
func TestMigrateGrants(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const qn, vp, na certs.AgencyCode = storetest.Quangninh, storetest.Govoffice, storetest.Nghean
	blob := storetest.RandomBytes(5000)
	d := storetest.Digest(blob)
	if _, err := s.PutBlob(ctx, qn, d, bytes.NewReader(blob), storetest.T0); err != nil {
		t.Fatal(err)
	}
	orig := storetest.NewSubmission(qn, 300, vp, na)
	orig.BlobDigests = []string{d}
	recall := storetest.NewSubmission(qn, 300, vp, na)
	recall.Kind, recall.Targets = document.BusinessRecall, []string{orig.MessageID}
	for i, sub := range []*store.Submission{orig, recall} {
		if _, _, err := s.Accept(ctx, sub, nil); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, _, err := s.Ack(ctx, vp, orig.MessageID, "", storetest.T0.Add(time.Hour), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Close()
	// Back to schema 1: what a hub before issue 14 wrote.
	db, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketBlobs, bucketGrants, bucketPending} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, 1))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	for agency, want := range map[certs.AgencyCode]bool{qn: true, vp: true, na: false, storetest.Caobang: false} {
		if got, err := s.BlobGranted(ctx, agency, d); err != nil || got != want {
			t.Fatalf("after migration %s holds the attachment: %v %v, want %v", agency, got, err, want)
		}
	}
	// Settled by the recall: retention applies from it.
	res, err := s.GCBlobs(ctx, storetest.T0.Add(48*time.Hour), time.Hour, 24*time.Hour)
	if err != nil || res.Expired != 1 {
		t.Fatalf("retention after migration: %+v %v", res, err)
	}
	if _, err := s.OpenBlob(ctx, d); !errors.Is(err, store.ErrGone) {
		t.Fatalf("open after retention: %v", err)
	}
}
