package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"lienthong/hub/config"
	"lienthong/hub/control"
	"lienthong/hub/store/boltstore"
	"lienthong/internal/cli"
)

var backupCmd = &cli.Command{
	Name:    "backup",
	Summary: "copy a bbolt hub's store and attachments, while it runs",
	Help: `Writes a consistent copy of the store of the configuration's data_dir into
--out (a new or empty folder), as a data folder a hub can start on: hub.db
from one bbolt read transaction, and the attachment files that snapshot holds,
each checked against its SHA-256. A running hub writes the copy through its
control socket and goes on serving; a stopped hub's store is opened directly.
The copy is then checked (lienthong-hub's store Verify). A PostgreSQL store is
backed up with PostgreSQL's tools (pg_basebackup, pgBackRest): see
docs/BACKUP.md, which also says what to do after a restore.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		out := fs.String("out", "", "the `folder` to write the backup to; new or empty (required)")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if *path == "" || *out == "" {
				return cli.Usagef("backup: --config and --out are required")
			}
			cfg, err := config.Load(*path)
			if err != nil {
				return err
			}
			if cfg.Store == config.StorePostgres {
				return cli.Hint(errors.New("backup: the store is PostgreSQL"), "back it up with pg_basebackup or pgBackRest; see docs/BACKUP.md")
			}
			ctx := env.Context()
			start := time.Now()
			info, via, err := backup(ctx, cfg.DataDir, *out)
			if err != nil {
				return err
			}
			st, err := boltstore.Open(*out, boltstore.Options{})
			if err != nil {
				return fmt.Errorf("check the backup: %w", err)
			}
			verr := st.Verify(ctx)
			if err := errors.Join(verr, st.Close()); err != nil {
				return fmt.Errorf("the backup in %s fails its check: %w", *out, err)
			}
			fmt.Fprintf(env.Stdout, "backed up %s (%s) to %s: log of %d entries, %d MB database, %d attachments (%d MB), in %s; checked\n",
				cfg.DataDir, via, *out, info.LogSize, info.DBBytes>>20, info.Blobs, info.BlobBytes>>20, time.Since(start).Round(time.Millisecond))
			return nil
		}
	},
}

// backup copies the store in dataDir to out: through the control socket of
// the hub that runs on it, or from the store itself when none does.
func backup(ctx context.Context, dataDir, out string) (boltstore.BackupInfo, string, error) {
	var write func(io.Writer) error
	via := "through the running hub"
	cl, err := control.Dial(ctx, dataDir)
	switch {
	case err == nil:
		defer cl.Close()
		write = func(w io.Writer) error { return cl.Backup(ctx, w) }
	case errors.Is(err, control.ErrNoHub):
		st, err := boltstore.Open(dataDir, boltstore.Options{OpenTimeout: 2 * time.Second})
		if err != nil {
			return boltstore.BackupInfo{}, "", cli.Hint(fmt.Errorf("open store %s: %w", dataDir, err),
				"another process holds the store and no hub answers on its control socket: is a hub starting?")
		}
		defer st.Close()
		via = "the hub is stopped"
		write = func(w io.Writer) error { _, err := st.Backup(ctx, w); return err }
	default:
		return boltstore.BackupInfo{}, "", err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	info, err := boltstore.Restore(ctx, pr, out)
	pr.CloseWithError(errors.New("restore ended"))
	if err != nil {
		return info, "", cli.Hint(fmt.Errorf("backup: %w", err), "delete "+out+" before trying again")
	}
	return info, via, nil
}
