package service

import (
	"context"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/note"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/store/pgstore"
)

// TestOpenRefusesBadDatabases: a hub given a database it cannot use stops
// at start with an error saying what is wrong and what to do, and leaves
// nothing running (no goroutine, no listener).
func TestOpenRefusesBadDatabases(t *testing.T) {
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	if err := certs.Demo(pki, certs.ECDSAP256); err != nil {
		t.Fatal(err)
	}
	standby, err := cluster.StartStandby()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := standby.Stop(); err != nil {
			t.Error(err)
		}
	})
	newer := cluster.NewDatabase(t)
	execSQL(t, newer, `UPDATE lienthong_schema SET version = 99`)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	listen := freeUDPPort(t)

	base := config.Default()
	base.Listen, base.OpsListen, base.DataDir = listen, "", filepath.Join(dir, "data")
	base.TLSCert, base.TLSKey = filepath.Join(pki, "hub.crt"), filepath.Join(pki, "hub.key")
	base.ReceiptCert, base.ReceiptKey = filepath.Join(pki, "receipt.crt"), filepath.Join(pki, "receipt.key")
	base.Roots = filepath.Join(pki, "ca.crt")
	base.Store = config.StorePostgres
	for _, tc := range []struct {
		name, url string
		want      []string
	}{
		{"standby as the write address", standby.URL("postgres"), []string{"read-only standby", "target_session_attrs=read-write"}},
		{"schema of a newer hub", newer, []string{"database has version 99", "this hub is older than the database"}},
		{"unknown user", cluster.URL("postgres") + " user=nosuchrole", []string{`refused user "nosuchrole"`}},
		{"nothing listens", "host=127.0.0.1 port=" + strconv.Itoa(refused) + " dbname=lienthong", []string{"cannot reach the database at 127.0.0.1:", "postgres_url"}},
		{"URL does not parse", "postgres://hub@db.example:port/lienthong", []string{"does not parse"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			cfg := base
			cfg.PostgresURL = tc.url
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			h, err := Open(cfg, nil)
			if err == nil {
				h.Close()
				t.Fatal("opened")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q: %v", w, err)
				}
			}
			if strings.Count(err.Error(), "open store") != 1 {
				t.Errorf("error does not say once that the store did not open: %v", err)
			}
			t.Logf("%v", err)
			for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					buf := make([]byte, 1<<20)
					t.Fatalf("goroutines left running:\n%s", buf[:runtime.Stack(buf, true)])
				}
			}
			// The agencies' address is free for the hub started once the
			// database is mended.
			pc, err := net.ListenPacket("udp", listen)
			if err != nil {
				t.Fatalf("the refused hub still holds its address: %v", err)
			}
			pc.Close()
		})
	}
}

func freeUDPPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().String()
}

func execSQL(t *testing.T, url, sql string) {
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

// TestOpenRefusesAnotherLogKey: a node whose log key or log origin is not
// the one that signed the checkpoints in the shared store is refused at
// start; the right pair opens.
func TestOpenRefusesAnotherLogKey(t *testing.T) {
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	if err := certs.Demo(pki, certs.ECDSAP256); err != nil {
		t.Fatal(err)
	}
	skey, err := os.ReadFile(filepath.Join(pki, "log.key"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _, err := note.GenerateKey(rand.Reader, ours.Name())
	if err != nil {
		t.Fatal(err)
	}
	other, err := note.NewSigner(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	checkpointBy := func(s note.Signer, origin string) string {
		url := cluster.NewDatabase(t)
		st, err := pgstore.Open(context.Background(), url, pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		signed, err := note.Sign(&note.Note{Text: origin + "\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"}, s)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutCheckpoint(context.Background(), 0, signed); err != nil {
			t.Fatal(err)
		}
		return url
	}

	base := config.Default()
	base.Listen, base.OpsListen, base.DataDir = "127.0.0.1:0", "", filepath.Join(dir, "data")
	base.TLSCert, base.TLSKey = filepath.Join(pki, "hub.crt"), filepath.Join(pki, "hub.key")
	base.ReceiptCert, base.ReceiptKey = filepath.Join(pki, "receipt.crt"), filepath.Join(pki, "receipt.key")
	base.Roots = filepath.Join(pki, "ca.crt")
	base.Store = config.StorePostgres
	base.LogKey, base.LogOrigin = filepath.Join(pki, "log.key"), "localhost/log"
	for _, tc := range []struct {
		name, url, want string
	}{
		{"another key", checkpointBy(other, "localhost/log"), "log_key: the log's checkpoints in the store are signed by"},
		{"another origin", checkpointBy(ours, "example/log"), `log_origin "localhost/log": the log's checkpoints in the store name it "example/log"`},
		{"the same key and origin", checkpointBy(ours, "localhost/log"), ""},
		{"no checkpoint yet", cluster.NewDatabase(t), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.PostgresURL = tc.url
			h, err := Open(cfg, nil)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				h.Close()
				return
			}
			if err == nil {
				h.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error does not say %q: %v", tc.want, err)
			}
			t.Log(err)
		})
	}
}
