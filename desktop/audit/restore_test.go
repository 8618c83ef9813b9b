package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"lienthong/hub/control"
	"lienthong/hub/hubtest"
	"lienthong/hub/store/boltstore"
	"lienthong/shared/auditlog"
)

// TestRestoredBackupIsOlder: a backup taken through a running hub's
// control socket is restored and a hub started on it. Its log verifies
// and extends what auditors saw before the backup, but an auditor who
// saved a checkpoint after the backup is told the log went back (and,
// once the restored hub has logged as much again, that it forked): a
// restore is never accepted silently.
func TestRestoredBackupIsOlder(t *testing.T) {
	ctx := context.Background()
	h := hubtest.Start(t, hubtest.Options{})
	l := Log{Origin: h.LogOrigin, Key: h.LogKey}
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before.json"), filepath.Join(dir, "after.json")

	exchange(t, h, 2)
	if _, err := Follow(ctx, auditor(t, h), l, before); err != nil {
		t.Fatal(err)
	}
	exchange(t, h, 1)
	bk := filepath.Join(dir, "backup")
	cl, err := control.Dial(ctx, h.Dir)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(cl.Backup(ctx, pw)) }()
	info, err := boltstore.Restore(ctx, pr, bk)
	cl.Close()
	if err != nil {
		t.Fatal(err)
	}
	if info.Blobs != 1 || info.LogSize == 0 {
		t.Fatalf("backup: %+v", info)
	}
	exchange(t, h, 2) // lost with the machine
	res, err := Follow(ctx, auditor(t, h), l, after)
	if err != nil {
		t.Fatal(err)
	}
	lost := res.Latest.Size
	h.Stop()

	st, err := boltstore.Open(bk, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Verify(ctx); err != nil {
		t.Fatalf("the backup fails the store's checks: %v", err)
	}
	if err := st.AdvanceCursors(ctx, 1_000_000_000); err != nil { // lienthong-hub after-restore
		t.Fatal(err)
	}
	st.Close()

	restored := hubtest.Start(t, hubtest.Options{Dir: bk, PKI: h.PKI, LogSignerKey: h.LogSignerKey, Receipts: h.Receipts})
	if res, err := Follow(ctx, auditor(t, restored), l, before); err != nil || res.Latest.Size != info.LogSize {
		t.Fatalf("an auditor of before the backup follows the restored log: size %v, %v (backup of %d)", res, err, info.LogSize)
	}
	res, err = Follow(ctx, auditor(t, restored), l, after)
	// The auditor is told in so many words (ErrForked carries
	// auditlog.ErrRollback's text, not the error itself).
	shrank := fmt.Sprintf("%v: size went from %d down to %d", auditlog.ErrRollback, lost, info.LogSize)
	if !errors.Is(err, ErrForked) || !strings.Contains(err.Error(), shrank) {
		t.Fatalf("an auditor of after the backup on the restored hub: %v, want %q", err, shrank)
	}
	if res.Latest.Size >= lost {
		t.Fatalf("the restored log has %d entries, the lost one %d", res.Latest.Size, lost)
	}
	if saved, _ := LoadState(after); saved.Size != lost {
		t.Fatalf("the auditor's evidence was replaced: %+v", saved)
	}
	// The restored hub logs new events in place of the lost ones: once
	// it is as long again, its log is a fork of what the auditor saw.
	exchange(t, restored, 3)
	if _, err := Follow(ctx, auditor(t, restored), l, after); !errors.Is(err, ErrForked) {
		t.Fatalf("an auditor of after the backup, once the restored log grew: %v", err)
	}
}
