package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"lienthong/hub/store"
	"lienthong/hub/store/pgstore"
	"lienthong/hub/store/storecopy"
	"lienthong/hub/store/storetest"
	"lienthong/shared/auditlog"
)

// TestBaseBackupWhileWriting takes a pg_basebackup of the cluster while
// writers go on accepting documents, starts a second cluster on the
// backup and opens the store there. The backup's log verifies (its stored
// hashes are exactly those its entries make), is a prefix of the live log
// of a size the store had while the backup ran, and holds exactly the
// documents whose log entries it holds: a consistent snapshot.
func TestBaseBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	url := cluster.NewDatabase(t)
	s := openAt(t, url)
	type accepted struct {
		id  string
		idx int64
	}
	var (
		mu   sync.Mutex
		done []accepted
	)
	accept := func() error {
		sub := storetest.NewSubmission(storetest.Quangninh, 2000, storetest.Nghean, storetest.Govoffice)
		res, _, err := s.Accept(ctx, sub, nil)
		if err == nil {
			mu.Lock()
			done = append(done, accepted{sub.MessageID, res.LogIndex})
			mu.Unlock()
		}
		return err
	}
	for range 50 {
		if err := accept(); err != nil {
			t.Fatal(err)
		}
	}
	low, err := s.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for range 2 {
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
	start := time.Now()
	bk, err := cluster.BaseBackup()
	took := time.Since(start)
	close(stop)
	wg.Wait()
	close(errs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := bk.Stop(); err != nil {
			t.Error(err)
		}
	})
	for err := range errs {
		t.Fatal(err)
	}
	high, err := s.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}

	name := strings.TrimPrefix(url[strings.LastIndex(url, "dbname="):], "dbname=")
	name, _, _ = strings.Cut(name, " ")
	b, err := pgstore.Open(ctx, bk.URL(name), pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	size, err := b.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pg_basebackup in %s while writing: log of %d entries in the backup, %d before it began, %d after it ended", took.Round(time.Millisecond), size, low, high)
	if size < low || size > high {
		t.Fatalf("the backup's log has %d entries; the store had %d before the backup and %d after", size, low, high)
	}
	verifyLog(t, b, size)
	got, err := tlog.TreeHash(size, b)
	if err != nil {
		t.Fatal(err)
	}
	want, err := tlog.TreeHash(size, s)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("the backup's tree of size %d is not the live log's", size)
	}
	for _, a := range done {
		_, err := b.Message(ctx, a.id)
		switch {
		case a.idx < size && err != nil:
			t.Fatalf("message at log index %d is missing from a backup of %d entries: %v", a.idx, size, err)
		case a.idx >= size && !errors.Is(err, store.ErrNotFound):
			t.Fatalf("message at log index %d is in a backup of %d entries: %v", a.idx, size, err)
		}
	}
	if _, err := storecopy.Summarize(ctx, b); err != nil {
		t.Fatalf("the backup's records: %v", err)
	}
}

// verifyLog recomputes the tree from the log's entries and checks the
// stored hashes against it.
func verifyLog(t *testing.T, s *pgstore.Store, size int64) {
	t.Helper()
	entries, err := s.LogEntries(context.Background(), 0, size)
	if err != nil {
		t.Fatal(err)
	}
	m := &auditlog.Memory{}
	for _, e := range entries {
		if _, err := auditlog.DecodeEntry(e); err != nil {
			t.Fatal(err)
		}
		m.Append(e)
	}
	want, err := tlog.TreeHash(size, m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tlog.TreeHash(size, s)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatal("the stored tree hashes are not those of the entries")
	}
}
