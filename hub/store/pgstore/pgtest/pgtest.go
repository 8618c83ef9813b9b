// Package pgtest starts a throwaway PostgreSQL cluster for a test package
// and hands each test a fresh database.
//
// Start runs initdb and pg_ctl once (call it from TestMain), in a temporary
// directory, listening only on a unix socket in that directory. When the
// tests run as root the cluster runs as the user nobody (PostgreSQL refuses
// root), the directory chowned to it. The binaries are taken from
// /usr/lib/postgresql/*/bin, or from PATH. A missing PostgreSQL is an
// error, never a skip: install it with packaging/install-deps.sh.
//
// The cluster trades durability for speed (fsync off): it tests logic, not
// crashes. Each test's database is a copy of a template prepared once with
// the caller's schema (CREATE DATABASE … TEMPLATE), which takes a few
// milliseconds.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	dir    string // socket directory and data directory's parent
	bin    string
	runAs  string // "" or the user the server runs as
	seq    atomic.Int64
	hasTpl bool
}

const templateDB = "pgtest_template"

// Start initialises and starts a cluster, then creates the template
// database and runs prepare (the schema) on it, given its URL; prepare may
// be nil.
func Start(prepare func(url string) error) (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		c.runAs = "nobody"
		u, err := user.Lookup(c.runAs)
		if err != nil {
			return nil, fmt.Errorf("pgtest: running as root needs the user nobody: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %w: %s", err, out)
	}
	if err := c.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.exec("CREATE DATABASE " + templateDB); err != nil {
		c.Stop()
		return nil, err
	}
	if prepare != nil {
		if err := prepare(c.URL(templateDB)); err != nil {
			c.Stop()
			return nil, fmt.Errorf("pgtest: prepare the template: %w", err)
		}
	}
	c.hasTpl = true
	return c, nil
}

// start starts the server on the data folder in c.dir.
func (c *Cluster) start() error {
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200", c.dir)
	if out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("pgtest: pg_ctl start: %w: %s %s", err, out, log)
	}
	return nil
}

// URL returns the connection string of database name in the cluster.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("host=%s user=postgres dbname=%s sslmode=disable", c.dir, name)
}

// NewDatabase creates a fresh database from the template and returns its
// URL; it is dropped when t ends.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d", c.seq.Add(1))
	if err := c.exec("CREATE DATABASE " + name + " TEMPLATE " + templateDB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return c.URL(name)
}

// Stop stops the cluster and removes its directory.
func (c *Cluster) Stop() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	os.RemoveAll(c.dir)
	if err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

// Main is a TestMain body: it starts a cluster, runs the tests with it and
// stops it. A cluster that does not start fails the package.
func Main(m *testing.M, prepare func(url string) error, use func(*Cluster)) {
	c, err := Start(prepare)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	use(c)
	code := m.Run()
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func (c *Cluster) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("pgtest: %s: %w", sql, err)
	}
	return nil
}

func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// findBin returns the directory of PostgreSQL's server binaries: the
// newest /usr/lib/postgresql/*/bin, else the one holding pg_ctl on PATH.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("pgtest: PostgreSQL's server (pg_ctl, initdb) not found under /usr/lib/postgresql/*/bin or on PATH; run packaging/install-deps.sh")
}
