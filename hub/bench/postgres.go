package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
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
// the server it is given, and drops at the end; or the one it is given,
// empty, whose objects it drops at the end.
type database struct {
	server string // the server's connection string, as given
	name   string
	url    string // the run's database
	// existing is set when the run uses the database server names.
	existing bool
	// pids are the server's postmasters (one per machine of a cluster),
	// whose CPU time (with their children's: the sessions, the WAL
	// writer and sender, the checkpointer) the run reports; none when
	// unknown.
	pids []int
}

// ErrDatabaseNotEmpty is returned when a run told to use an existing
// database finds objects in it: the run drops what it made at the end, so
// it starts only on an empty one.
var ErrDatabaseNotEmpty = errors.New("bench: the database is not empty")

// createDatabase creates a fresh database on the server that server (a
// libpq URL or key=value string) connects to, whose role must be allowed
// to create databases; or, with existing, uses the database server names
// as is, which must be empty (no relation outside the system's schemas).
// pids name the server's postmasters; when none and the server is reached
// through a local unix socket, its postmaster is read from the socket's
// lock file.
func createDatabase(ctx context.Context, server string, pids []int, existing bool) (*database, error) {
	cfg, err := pgx.ParseConfig(server)
	if err != nil {
		return nil, fmt.Errorf("bench: --postgres: %w", err)
	}
	db := &database{server: server, pids: pids, existing: existing}
	if len(db.pids) == 0 && strings.HasPrefix(cfg.Host, "/") {
		if pid := socketPID(filepath.Join(cfg.Host, fmt.Sprintf(".s.PGSQL.%d.lock", cfg.Port))); pid != 0 {
			db.pids = []int{pid}
		}
	}
	if existing {
		db.name, db.url = cfg.Database, server
		return db, db.checkEmpty(ctx)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	db.name = "lienthong_bench_" + hex.EncodeToString(b[:])
	if db.url, err = withDatabase(server, db.name); err != nil {
		return nil, err
	}
	if err := db.exec(ctx, "CREATE DATABASE "+db.name); err != nil {
		return nil, err
	}
	return db, nil
}

// checkEmpty fails with ErrDatabaseNotEmpty when the database holds a
// relation (table, sequence, view, index) outside the system's schemas.
func (db *database) checkEmpty(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, db.server)
	if err != nil {
		return fmt.Errorf("bench: postgres: %w", err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
		WHERE s.nspname <> 'information_schema' AND s.nspname NOT LIKE 'pg\_%'`).Scan(&n)
	if err != nil {
		return fmt.Errorf("bench: postgres: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: %q holds %d relations", ErrDatabaseNotEmpty, db.name, n)
	}
	return nil
}

// drop removes the run's database, closing what sessions remain; or, in a
// database the run was given, what the run's role owns in it (all the run
// made: it started empty).
func (db *database) drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if db.existing {
		return db.exec(ctx, "DROP OWNED BY CURRENT_USER")
	}
	return db.exec(ctx, "DROP DATABASE IF EXISTS "+db.name+" WITH (FORCE)")
}

// exec runs sql on the server: in the database given with existing, else
// in the connection string's (the server's maintenance database).
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

// cpu is the CPU time the server's postmasters have used so far, summed;
// 0 when they are unknown.
func (db *database) cpu() (time.Duration, error) {
	if db == nil {
		return 0, nil
	}
	var sum time.Duration
	for _, pid := range db.pids {
		cpu, err := treeCPU(pid)
		if err != nil {
			return 0, fmt.Errorf("the PostgreSQL server's CPU time (postmaster %d): %w", pid, err)
		}
		sum += cpu
	}
	return sum, nil
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
