package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"lienthong/hub/config"
	"lienthong/hub/control"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
	"lienthong/hub/store/pgstore"
	"lienthong/internal/cli"
)

// DefaultCursorGap is how far after-restore moves the cursors: more
// deliveries than a hub queues to one agency between a backup and its
// restore, and small beside 2^64.
const DefaultCursorGap = 1_000_000_000

var afterRestoreCmd = &cli.Command{
	Name:    "after-restore",
	Summary: "prepare a store restored from a backup, before the hub starts on it",
	Help: `Run once on a store restored from a backup (lienthong-hub backup, or
pg_basebackup / pgBackRest for PostgreSQL), with every hub stopped, before
any hub starts on it. Clients keep the cursors of their inbox and status
queues; a restored store would hand out again cursors they already passed,
and they would never list what is queued under those. This moves every
agency's queue, status-queue and sent cursor forward by --gap. It then prints
the restored log's head and latest signed checkpoint, for the announcement
to auditors: their checkpoints saved after the backup are now ahead of the
hub's log (see docs/BACKUP.md).`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		gap := fs.Uint64("gap", DefaultCursorGap, "how far to move the cursors `forward`")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if *path == "" || *gap == 0 {
				return cli.Usagef("after-restore: --config is required and --gap must be positive")
			}
			cfg, err := config.Load(*path)
			if err != nil {
				return err
			}
			ctx := env.Context()
			if cl, err := control.Dial(ctx, cfg.DataDir); err == nil {
				cl.Close()
				return cli.Hint(fmt.Errorf("a hub runs on %s", cfg.DataDir), "stop every hub on the restored store first")
			}
			st, err := openRestored(ctx, &cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.AdvanceCursors(ctx, *gap); err != nil {
				return err
			}
			size, err := st.LogSize(ctx)
			if err != nil {
				return err
			}
			var head tlog.Hash
			if size > 0 {
				if head, err = tlog.TreeHash(size, st); err != nil {
					return err
				}
			}
			fmt.Fprintf(env.Stdout, "cursors moved forward by %d\nrestored log: %d entries, tree hash %s\n", *gap, size, head)
			ckSize, signed, err := st.LatestCheckpoint(ctx)
			if err != nil {
				return err
			}
			if ckSize > 0 {
				fmt.Fprintf(env.Stdout, "latest signed checkpoint, of %d entries:\n%s", ckSize, signed)
			}
			return nil
		}
	},
}

// restoredStore is what after-restore needs of a store.
type restoredStore interface {
	store.Log
	tlog.HashReader
	AdvanceCursors(ctx context.Context, gap uint64) error
	Close() error
}

func openRestored(ctx context.Context, cfg *config.Config) (restoredStore, error) {
	if cfg.Store == config.StorePostgres {
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := checkAlone(octx, cfg.PostgresURL); err != nil {
			return nil, err
		}
		return pgstore.Open(octx, cfg.PostgresURL, pgstore.Options{})
	}
	st, err := boltstore.Open(cfg.DataDir, boltstore.Options{OpenTimeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open store %s (is a hub starting on it?): %w", cfg.DataDir, err)
	}
	return st, nil
}
