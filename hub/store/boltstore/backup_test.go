package boltstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"lienthong/hub/store"
	"lienthong/hub/store/storetest"
)

func mustOpen(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestBackupWhileWriting takes a backup while writers accept documents
// with attachments: the restored store passes Verify, holds every blob its
// snapshot names, and its log is one the store had at some moment during
// the backup.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, t.TempDir())
	accept := func() error {
		data := storetest.RandomBytes(40_000)
		d := storetest.Digest(data)
		if _, err := s.PutBlob(ctx, storetest.Quangninh, d, bytes.NewReader(data), storetest.T0); err != nil {
			return err
		}
		sub := storetest.NewSubmission(storetest.Quangninh, 500, storetest.Nghean)
		sub.BlobDigests = []string{d}
		_, _, err := s.Accept(ctx, sub, nil)
		return err
	}
	for range 20 {
		if err := accept(); err != nil {
			t.Fatal(err)
		}
	}
	low, _ := s.LogSize(ctx)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := accept(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var buf bytes.Buffer
	info, err := s.Backup(ctx, &buf)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	high, _ := s.LogSize(ctx)
	if info.LogSize < low || info.LogSize > high {
		t.Fatalf("backup of log size %d, the store went from %d to %d", info.LogSize, low, high)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	got, err := Restore(ctx, bytes.NewReader(buf.Bytes()), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got != info {
		t.Fatalf("restore read %+v, backup wrote %+v", got, info)
	}
	r := mustOpen(t, dir)
	if err := r.Verify(ctx); err != nil {
		t.Fatalf("the restored store: %v", err)
	}
	if n, _ := r.LogSize(ctx); n != info.LogSize || int64(info.Blobs) != info.LogSize {
		t.Fatalf("restored log of %d entries and %d blobs, backup says %+v", n, info.Blobs, info)
	}

	t.Run("CutShort", func(t *testing.T) {
		whole := buf.Bytes()
		for _, n := range []int{0, 512, len(whole) / 2, len(whole) - 1024 - 512} {
			_, err := Restore(ctx, bytes.NewReader(whole[:n]), filepath.Join(t.TempDir(), "cut"))
			if !errors.Is(err, ErrBadBackup) {
				t.Errorf("a backup cut at %d of %d bytes: %v", n, len(whole), err)
			}
		}
	})
	t.Run("ChangedBlob", func(t *testing.T) {
		changed := bytes.Clone(buf.Bytes())
		i := int(info.DBBytes) + 512 + 512 + 100 // inside the first blob
		changed[i] ^= 1
		_, err := Restore(ctx, bytes.NewReader(changed), filepath.Join(t.TempDir(), "changed"))
		if !errors.Is(err, store.ErrDigestMismatch) {
			t.Fatalf("a backup with a changed blob: %v", err)
		}
	})
	t.Run("NotEmpty", func(t *testing.T) {
		if _, err := Restore(ctx, bytes.NewReader(buf.Bytes()), dir); err == nil {
			t.Fatal("restored over a store")
		}
	})
}

// TestCollectionWaitsForBackup: while a backup runs, the collection of
// old blobs removes their records but leaves their files, which a backup
// of an earlier snapshot may still copy; the next collection removes them.
func TestCollectionWaitsForBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := mustOpen(t, dir)
	data := storetest.RandomBytes(1000)
	d := storetest.Digest(data)
	if _, err := s.PutBlob(ctx, storetest.Caobang, d, bytes.NewReader(data), storetest.T0); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "blobs", "objects", d)
	s.backups.Add(1)
	if _, err := s.GCBlobs(ctx, storetest.T0.Add(time.Hour), time.Minute, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the file of a collected blob went during a backup: %v", err)
	}
	if granted, _ := s.BlobGranted(ctx, storetest.Caobang, d); granted {
		t.Fatal("the blob's record and grant stayed")
	}
	s.backups.Add(-1)
	// A file without a record goes once it is older than the TTL.
	if _, err := s.GCBlobs(ctx, time.Now().Add(time.Hour), time.Minute, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the next collection left the file: %v", err)
	}
}

// TestReadOnlyOpenWaitsForTheHub: why a backup of a running hub goes
// through the hub. bbolt's read-only open takes a shared lock of the file,
// which the hub's exclusive one refuses.
func TestReadOnlyOpenWaitsForTheHub(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir)
	_, err := bolt.Open(filepath.Join(dir, DBFile), 0o600, &bolt.Options{ReadOnly: true, Timeout: 50 * time.Millisecond})
	if !errors.Is(err, bolterrors.ErrTimeout) {
		t.Fatalf("read-only open of a store a hub holds: %v", err)
	}
}
