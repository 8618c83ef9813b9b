package pgtest

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// BaseBackup takes a base backup of the running cluster with
// pg_basebackup (over its unix socket, the WAL streamed alongside, so that
// writes may go on meanwhile) and starts a second cluster on it, with
// PostgreSQL's own recovery from the backup's WAL. The caller stops it.
// The cluster's defaults allow it: wal_level replica, max_wal_senders 10,
// and initdb's "local replication all trust".
func (c *Cluster) BaseBackup() (*Cluster, error) {
	dir, err := os.MkdirTemp("", "pgtest-backup")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	b := &Cluster{dir: dir, bin: c.bin, runAs: c.runAs, hasTpl: c.hasTpl}
	if c.runAs != "" {
		u, err := user.Lookup(c.runAs)
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("pg_basebackup", "-h", c.dir, "-U", "postgres", "-D", data,
		"-X", "stream", "--checkpoint=fast", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: pg_basebackup: %w: %s", err, out)
	}
	if err := b.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return b, nil
}
