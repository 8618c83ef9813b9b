package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// database is the PostgreSQL database a run creates for its hub nodes on
// the server it is given, and drops at the end.
type database struct {
	server string // the server's connection string, as given
	name   string
	url    string // the run's database
	// pid is the server's postmaster, whose CPU time (with its
	// children's: the sessions, the WAL writer, the checkpointer) the run
	// reports; 0 when unknown.
	pid int
}

// createDatabase creates a fresh database on the server that server (a
// libpq URL or key=value string) connects to, whose role must be allowed
// to create databases. pid names the server's postmaster; when 0 and the
// server is reached through a local unix socket, it is read from the
// socket's lock file.
func createDatabase(ctx context.Context, server string, pid int) (*database, error) {
	cfg, err := pgx.ParseConfig(server)
	if err != nil {
		return nil, fmt.Errorf("bench: --postgres: %w", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	db := &database{server: server, name: "lienthong_bench_" + hex.EncodeToString(b[:]), pid: pid}
	if db.url, err = withDatabase(server, db.name); err != nil {
		return nil, err
	}
	if db.pid == 0 && strings.HasPrefix(cfg.Host, "/") {
		db.pid = socketPID(filepath.Join(cfg.Host, fmt.Sprintf(".s.PGSQL.%d.lock", cfg.Port)))
	}
	if err := db.exec(ctx, "CREATE DATABASE "+db.name); err != nil {
		return nil, err
	}
	return db, nil
}

// drop removes the run's database, closing what sessions remain.
func (db *database) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return db.exec(ctx, "DROP DATABASE IF EXISTS "+db.name+" WITH (FORCE)")
}

func (db *database) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, db.server)
	if err != nil {
		return fmt.Errorf("bench: postgres: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("bench: postgres: %s: %w", sql, err)
	}
	return nil
}

// cpu is the CPU time the server has used so far; 0 when its postmaster
// is unknown.
func (db *database) cpu() (time.Duration, error) {
	if db == nil || db.pid == 0 {
		return 0, nil
	}
	cpu, err := treeCPU(db.pid)
	if err != nil {
		return 0, fmt.Errorf("the PostgreSQL server's CPU time: %w", err)
	}
	return cpu, nil
}

// withDatabase returns the connection string server with its database
// replaced by name.
func withDatabase(server, name string) (string, error) {
	if strings.HasPrefix(server, "postgres://") || strings.HasPrefix(server, "postgresql://") {
		u, err := url.Parse(server)
		if err != nil {
			return "", fmt.Errorf("bench: --postgres: %w", err)
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	// In the key=value form, a key given twice takes its last value.
	return server + " dbname=" + name, nil
}

// socketPID reads the postmaster's pid from the first line of a unix
// socket's lock file; 0 when it cannot.
func socketPID(lock string) int {
	b, err := os.ReadFile(lock)
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
