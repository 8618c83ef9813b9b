package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"lienthong/hub/config"
	"lienthong/hub/control"
	"lienthong/hub/store/boltstore"
	"lienthong/hub/store/pgstore"
	"lienthong/internal/cli"
)

var checkCmd = &cli.Command{
	Name:    "check",
	Summary: "check a hub's store against its invariants",
	Help: `Reads the whole store of the configuration, in one snapshot, and checks what
every write keeps true: the log's entries against its stored tree hashes, every
message against its deliveries, statuses, receipts and counters, the
statistics against the records, every attachment's bytes against its SHA-256,
grants and quotas. Prints every violation found and exits 1 if there is one.
A PostgreSQL store is checked while hub nodes run on it; a bbolt store only
with its hub stopped (its backup command checks the copy it writes of a
running hub). Reading every attachment, it takes a while on a large store.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if *path == "" {
				return cli.Usagef("check: --config is required")
			}
			cfg, err := config.Load(*path)
			if err != nil {
				return err
			}
			ctx := env.Context()
			start := time.Now()
			verify, closeStore, err := openForCheck(ctx, cfg)
			if err != nil {
				return err
			}
			verr := verify(ctx)
			if err := errors.Join(verr, closeStore()); err != nil {
				return fmt.Errorf("the store fails its check: %w", err)
			}
			fmt.Fprintf(env.Stdout, "store checked in %s: no violation\n", time.Since(start).Round(time.Millisecond))
			return nil
		}
	},
}

// openForCheck opens the configuration's store for its Verify.
func openForCheck(ctx context.Context, cfg config.Config) (func(context.Context) error, func() error, error) {
	if cfg.Store == config.StorePostgres {
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		st, err := pgstore.Open(octx, cfg.PostgresURL, pgstore.Options{})
		if err != nil {
			return nil, nil, err
		}
		return st.Verify, st.Close, nil
	}
	if cl, err := control.Dial(ctx, cfg.DataDir); err == nil {
		cl.Close()
		return nil, nil, cli.Hint(fmt.Errorf("a hub runs on %s", cfg.DataDir),
			"stop it first, or take a backup (lienthong-hub backup checks the copy it writes)")
	}
	st, err := boltstore.Open(cfg.DataDir, boltstore.Options{OpenTimeout: 2 * time.Second})
	if err != nil {
		return nil, nil, fmt.Errorf("open store %s: %w", cfg.DataDir, err)
	}
	return st.Verify, st.Close, nil
}
