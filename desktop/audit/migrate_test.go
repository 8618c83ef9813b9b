package audit

import (
	"context"
	"path/filepath"
	"testing"

	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/hub/store/boltstore"
	"lienthong/hub/store/pgstore"
	"lienthong/hub/store/pgstore/pgtest"
	"lienthong/hub/store/storecopy"
)

// TestMigratedHubContinuesTheLog: a bbolt hub's store is migrated to
// PostgreSQL (lienthong-hub migrate) and the hub started there, then
// migrated back. An auditor who saved a checkpoint before each migration
// follows the migrated hub without a complaint: the log came across
// record for record and goes on from where it stopped.
func TestMigratedHubContinuesTheLog(t *testing.T) {
	ctx := context.Background()
	cluster, err := pgtest.Start(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.Stop(); err != nil {
			t.Error(err)
		}
	})
	h := hubtest.Start(t, hubtest.Options{})
	l := Log{Origin: h.LogOrigin, Key: h.LogKey}
	state := filepath.Join(t.TempDir(), "state.json")
	exchange(t, h, 3)
	saved, err := Follow(ctx, auditor(t, h), l, state)
	if err != nil {
		t.Fatal(err)
	}
	h.Stop()

	src, err := boltstore.Open(h.Dir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	url := cluster.NewDatabase(t)
	dst, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = storecopy.Copy(ctx, src, dst, storecopy.Options{})
	src.Close()
	dst.Close()
	if err != nil {
		t.Fatal(err)
	}

	pg := hubtest.Start(t, hubtest.Options{PKI: h.PKI, LogSignerKey: h.LogSignerKey, Receipts: h.Receipts,
		Configure: func(c *config.Config) { c.Store, c.PostgresURL = config.StorePostgres, url }})
	res, err := Follow(ctx, auditor(t, pg), l, state)
	if err != nil || res.Latest.Size != saved.Latest.Size || res.Latest.Root != saved.Latest.Root {
		t.Fatalf("the auditor on the migrated hub: %v (saved %+v, now %+v)", err, saved.Latest, res)
	}
	exchange(t, pg, 2)
	res, err = Follow(ctx, auditor(t, pg), l, state)
	if err != nil || res.Latest.Size <= saved.Latest.Size {
		t.Fatalf("the auditor after the migrated hub went on: %v", err)
	}
	pg.Stop()

	// And back to bbolt, with what the hub did on PostgreSQL.
	pgSrc, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	backDir := t.TempDir()
	back, err := boltstore.Open(backDir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = storecopy.Copy(ctx, pgSrc, back, storecopy.Options{})
	pgSrc.Close()
	if err == nil {
		err = back.Verify(ctx)
	}
	back.Close()
	if err != nil {
		t.Fatal(err)
	}
	again := hubtest.Start(t, hubtest.Options{Dir: backDir, PKI: h.PKI, LogSignerKey: h.LogSignerKey, Receipts: h.Receipts})
	exchange(t, again, 1)
	if _, err := Follow(ctx, auditor(t, again), l, state); err != nil {
		t.Fatalf("the auditor on the hub migrated back to bbolt: %v", err)
	}
}
