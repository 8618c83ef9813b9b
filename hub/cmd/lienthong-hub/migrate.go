package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	bolterrors "go.etcd.io/bbolt/errors"

	"lienthong/hub/control"
	"lienthong/hub/store/boltstore"
	"lienthong/hub/store/pgstore"
	"lienthong/hub/store/storecopy"
	"lienthong/internal/cli"
)

var migrateCmd = &cli.Command{
	Name:    "migrate",
	Summary: "copy a stopped hub's store between bbolt and PostgreSQL, and prove the copy",
	Help: `Copies the store at --from into the empty store at --to, each given as
bolt:DIR (a data folder) or postgres:URL (a libpq URL or key=value string):
the log with its hashes and signed checkpoints, receipts, statuses, the
directory with its history, grants, quotas, counters and attachments, record
for record, so that auditors' saved checkpoints verify against the copy. The
copy is then proven: the same records of every kind, the same attachment
bytes, and the log's tree head at its size and at its last signed checkpoint
identical in both. Partial uploads are not copied (agencies start them again).

Stop the hub (every hub node) first: the copy is a snapshot, and what a hub
commits after it would not be in the target. A bbolt store a running hub holds
cannot be opened at all (bbolt's file lock; even a read-only open waits for
it), and a PostgreSQL source that other sessions use (hub nodes) is refused.

A target that holds anything is refused. A copy that did not finish leaves the
target marked incomplete: the hub refuses to start on it and migrate to copy
into it; drop it (a new folder, a new database) and migrate again.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		from := fs.String("from", "", "the source `STORE`: bolt:DIR or postgres:URL (required)")
		to := fs.String("to", "", "the empty target `STORE`: bolt:DIR or postgres:URL (required)")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if *from == "" || *to == "" {
				return cli.Usagef("migrate: --from and --to are required")
			}
			if a, ok := strings.CutPrefix(*from, "bolt:"); ok {
				if b, ok := strings.CutPrefix(*to, "bolt:"); ok && filepath.Clean(a) == filepath.Clean(b) {
					return cli.Usagef("migrate: --from and --to are the same folder")
				}
			}
			ctx := env.Context()
			src, closeSrc, err := openEnd(ctx, *from, true)
			if err != nil {
				return err
			}
			defer closeSrc()
			dst, closeDst, err := openEnd(ctx, *to, false)
			if err != nil {
				return err
			}
			defer closeDst()
			log := slog.New(slog.NewJSONHandler(env.Stderr, nil))
			rep, err := storecopy.Copy(ctx, src, dst, storecopy.Options{Logger: log})
			if err != nil {
				if errors.Is(err, storecopy.ErrNotEmpty) {
					return cli.Hint(err, "migrate copies into an empty store only: give a new folder or database")
				}
				return err
			}
			return printReport(env.Stdout, *from, *to, rep)
		}
	},
}

func printReport(w io.Writer, from, to string, rep *storecopy.Report) error {
	s := rep.Target
	fmt.Fprintf(w, "copied %s to %s in %s and proved the copy:\n", kindOf(from), kindOf(to), rep.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "log tree head: %d entries, %s, identical\n", s.LogSize, s.TreeHash)
	if s.CheckpointSize > 0 {
		fmt.Fprintf(w, "signed checkpoint: %d entries, %s, identical\n", s.CheckpointSize, s.CheckpointHash)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for k := storecopy.KindCounter; k <= storecopy.KindReceipt; k++ {
		fmt.Fprintf(tw, "%s\t%d\n", k, s.Counts[k])
	}
	fmt.Fprintf(tw, "attachment bytes\t%d\n", s.BlobBytes)
	return tw.Flush()
}

// kindOf names an end without its connection string, which may hold a
// password.
func kindOf(end string) string {
	if dir, ok := strings.CutPrefix(end, "bolt:"); ok {
		return "bolt:" + dir
	}
	return "postgres"
}

// sink is what migrate needs of either end.
type sink interface {
	storecopy.Sink
	Close() error
}

// openEnd opens one end of a migration. A source must exist; a bbolt
// source must not be held by a running hub.
func openEnd(ctx context.Context, end string, source bool) (sink, func() error, error) {
	if url, ok := strings.CutPrefix(end, "postgres:"); ok {
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if source {
			if err := checkAlone(octx, url); err != nil {
				return nil, nil, err
			}
		}
		st, err := pgstore.Open(octx, url, pgstore.Options{})
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}
	dir, ok := strings.CutPrefix(end, "bolt:")
	if !ok || dir == "" {
		return nil, nil, cli.Usagef("migrate: %q is neither bolt:DIR nor postgres:URL", end)
	}
	running := cli.Hint(fmt.Errorf("a hub runs on %s", dir),
		"stop it first: a migration copies a snapshot, and what the hub commits afterwards would be lost")
	if cl, err := control.Dial(ctx, dir); err == nil {
		cl.Close()
		return nil, nil, running
	}
	if source {
		if _, err := os.Stat(filepath.Join(dir, boltstore.DBFile)); err != nil {
			return nil, nil, fmt.Errorf("source store: %w", err)
		}
	}
	st, err := boltstore.Open(dir, boltstore.Options{OpenTimeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, nil, running
		}
		return nil, nil, err
	}
	return st, st.Close, nil
}

// checkAlone refuses a PostgreSQL store that other sessions use: hub
// nodes that still run would commit what a migration misses, or hand out
// cursors that after-restore is moving. A hub that has just stopped has
// closed its connections, but their server processes leave
// pg_stat_activity a moment later: sessions are counted again for up to
// aloneSettle before they count against the store.
func checkAlone(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer conn.Close(ctx)
	deadline := time.Now().Add(aloneSettle)
	for {
		var n int
		err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n)
		if err != nil {
			return fmt.Errorf("open store: %w", err)
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return cli.Hint(fmt.Errorf("%d other sessions use the database", n), "stop every hub node first")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// aloneSettle is how long checkAlone lets the sessions of a hub that has
// just stopped take to end.
const aloneSettle = 3 * time.Second
