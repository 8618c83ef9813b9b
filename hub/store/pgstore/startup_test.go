package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lienthong/hub/store/pgstore"
)

// TestOpenRefuses: a database the hub cannot use is refused when the
// store opens, with a message saying what is wrong and what to do, and
// nothing left running.
func TestOpenRefuses(t *testing.T) {
	standby, err := cluster.StartStandby()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := standby.Stop(); err != nil {
			t.Error(err)
		}
	})
	silent := silentServer(t)
	readOnly := cluster.NewDatabase(t)
	exec(t, cluster.URL("postgres"), `ALTER DATABASE `+dbname(t, readOnly)+` SET default_transaction_read_only = on`)
	newer := cluster.NewDatabase(t)
	exec(t, newer, `UPDATE lienthong_schema SET version = 99`)

	for _, tc := range []struct {
		name, url string
		err       error
		want      []string
	}{
		{name: "no URL", url: " ", want: []string{"no database URL", "postgres_url"}},
		{name: "URL does not parse", url: "postgres://hub:s3cr3t@db.example:port/lienthong",
			want: []string{"does not parse", "postgres://user@host:port/dbname"}},
		{name: "nothing listens", url: "host=127.0.0.1 port=" + closedPort(t) + " user=hub dbname=lienthong",
			want: []string{"cannot reach the database at 127.0.0.1:", "check the host and port in postgres_url"}},
		{name: "no answer", url: "host=127.0.0.1 port=" + silent + " user=hub dbname=lienthong connect_timeout=1",
			want: []string{"no answer from the database at 127.0.0.1:" + silent + " within 1s", "firewall", "connect_timeout"}},
		{name: "unknown user", url: cluster.URL("postgres") + " user=nosuchrole",
			want: []string{`refused user "nosuchrole"`, "pg_hba.conf"}},
		{name: "no such database", url: cluster.URL("nosuchdb"),
			want: []string{`database "nosuchdb" does not exist`, "createdb"}},
		{name: "standby", url: standby.URL("postgres"), err: pgstore.ErrStandby,
			want: []string{"pg_is_in_recovery", "target_session_attrs=read-write"}},
		{name: "read-only database", url: readOnly, err: pgstore.ErrReadOnly,
			want: []string{"default_transaction_read_only"}},
		{name: "schema of a newer hub", url: newer, err: pgstore.ErrSchema,
			want: []string{"database has version 99", "this hub is older than the database"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s, err := pgstore.Open(ctx, tc.url, pgstore.Options{})
			if err == nil {
				s.Close()
				t.Fatal("opened")
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("error is not %v: %v", tc.err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error shows the password: %v", err)
			}
			t.Logf("%v", err)
			settled(t, before)
		})
	}
}

// TestOpenFindsThePrimary: given a standby and its primary with
// target_session_attrs=read-write, the store opens on the primary.
func TestOpenFindsThePrimary(t *testing.T) {
	url := cluster.NewDatabase(t) // before the standby's copy
	standby, err := cluster.StartStandby()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := standby.Stop(); err != nil {
			t.Error(err)
		}
	})
	name := dbname(t, url)
	both := fmt.Sprintf("host=%s,%s user=postgres dbname=%s sslmode=disable target_session_attrs=read-write",
		host(t, standby.URL(name)), host(t, url), name)
	s, err := pgstore.Open(context.Background(), both, pgstore.Options{})
	if err != nil {
		t.Fatalf("open with the standby listed first: %v", err)
	}
	s.Close()
}

// settled waits until the goroutines are back to n at most: a refused
// Open leaves nothing running.
func settled(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left running, %d before:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// silentServer accepts TCP connections and never answers, as a host
// behind a firewall dropping the replies would look; it returns its port.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// closedPort returns a loopback TCP port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

func exec(t *testing.T, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func dbname(t *testing.T, url string) string {
	t.Helper()
	c, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return c.Database
}

func host(t *testing.T, url string) string {
	t.Helper()
	c, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return c.Host
}

// TestOpenWarnsOfLostDurability: a database whose commits return before
// they are flushed opens, with a warning in the log.
func TestOpenWarnsOfLostDurability(t *testing.T) {
	for _, tc := range []struct {
		setting string
		warned  bool
	}{{"off", true}, {"on", false}} {
		t.Run("synchronous_commit="+tc.setting, func(t *testing.T) {
			url := cluster.NewDatabase(t)
			exec(t, cluster.URL("postgres"), `ALTER DATABASE `+dbname(t, url)+` SET synchronous_commit = `+tc.setting)
			var logs strings.Builder
			s, err := pgstore.Open(context.Background(), url, pgstore.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			if got := strings.Contains(logs.String(), "synchronous_commit is off"); got != tc.warned {
				t.Fatalf("warned %v, want %v:\n%s", got, tc.warned, &logs)
			}
		})
	}
}

// TestKeepalivesUnlessSet: every connection asks for the TCP keepalives
// that find out a vanished holder of the log lock, at startup (no
// statement), unless the URL sets its own.
func TestKeepalivesUnlessSet(t *testing.T) {
	for _, tc := range []struct{ name, url, idle string }{
		{"default", "host=/tmp dbname=x", "10"},
		{"the URL's", "host=/tmp dbname=x tcp_keepalives_idle=60", "60"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := pgstore.RuntimeParams(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if p["tcp_keepalives_idle"] != tc.idle || p["tcp_keepalives_interval"] != "5" || p["tcp_keepalives_count"] != "3" {
				t.Fatalf("startup settings %v, want keepalives idle %s, interval 5, count 3", p, tc.idle)
			}
		})
	}
}
