package pgtest

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// StartStandby makes a hot standby of c (pg_basebackup -R, streaming from
// c) and starts it, listening on a unix socket in a directory of its own;
// its databases are c's, read-only. Stop it with Stop, before c.
func (c *Cluster) StartStandby() (*Cluster, error) {
	dir, err := os.MkdirTemp("", "pgtest-standby")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	s := &Cluster{dir: dir, bin: c.bin, runAs: c.runAs}
	if s.runAs != "" {
		u, err := user.Lookup(s.runAs)
		if err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("pg_basebackup", "-D", data, "-h", c.dir, "-U", "postgres", "-R", "-X", "stream", "-c", "fast", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: pg_basebackup: %w: %s", err, out)
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -c fsync=off -c hot_standby=on -c max_connections=200", dir)
	if out, err := s.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		s.Stop() // a server started but not ready
		return nil, fmt.Errorf("pgtest: pg_ctl start the standby: %w: %s %s", err, out, log)
	}
	return s, nil
}
