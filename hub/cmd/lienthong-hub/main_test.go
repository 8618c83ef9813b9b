package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/control"
	"lienthong/hub/store/pgstore/pgtest"
	"lienthong/internal/scripttest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"lienthong-hub": main,
	})
}

// TestScripts runs the operator's commands on a real store over a demo
// PKI made by the certs package.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// The directory samples the operator's documentation shows,
			// so that a script keeps them importable.
			for _, name := range []string{"agencies-2024.csv", "successions-2025.csv"} {
				data, err := os.ReadFile("../../../packaging/directory/" + name)
				if err != nil {
					return err
				}
				if err := os.WriteFile(env.WorkDir+"/sample-"+name, data, 0o644); err != nil {
					return err
				}
			}
			return certs.Demo(env.WorkDir+"/pki", certs.ECDSAP256)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waithub":   waitHub,
			"status":    scripttest.ExitStatus,
			"pgdb":      pgDB(t),
			"pgconfig":  pgConfig,
			"foreignca": foreignCA(t),
		},
	})
}

// waitHub waits up to a minute for a hub to answer on the control socket
// of a data folder: "waithub DIR". A killed hub's socket file is there
// before the next hub listens on it.
func waitHub(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waithub DIR")
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cl, err := control.Dial(context.Background(), ts.MkAbs(args[0])); err == nil {
			cl.Close()
			return
		}
	}
	ts.Fatalf("no hub answered on the control socket in %s within a minute", args[0])
}

// pgDB makes "pgdb FILE": a fresh database in a PostgreSQL cluster
// started on first use (and stopped when the scripts end), its URL in
// $PGURL, and FILE a hub configuration on it.
func pgDB(t *testing.T) func(ts *testscript.TestScript, neg bool, args []string) {
	var (
		once    sync.Once
		cluster *pgtest.Cluster
		err     error
	)
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: pgdb FILE")
		}
		once.Do(func() {
			cluster, err = pgtest.Start(nil)
			if err == nil {
				t.Cleanup(func() { cluster.Stop() })
			}
		})
		ts.Check(err)
		url := cluster.NewDatabase(t)
		ts.Setenv("PGURL", url)
		pgConfig(ts, false, []string{args[0], "pgdata"})
	}
}

// pgConfig is "pgconfig FILE DIR": FILE a hub configuration on the
// database of $PGURL with data folder DIR, as a hub node elsewhere has.
func pgConfig(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || ts.Getenv("PGURL") == "" {
		ts.Fatalf("usage: pgconfig FILE DIR, after pgdb")
	}
	cfg := map[string]any{
		"listen": "127.0.0.1:0", "ops_listen": "", "data_dir": ts.MkAbs(args[1]), "store": "postgres", "postgres_url": ts.Getenv("PGURL"),
		"tls_cert": "pki/hub.crt", "tls_key": "pki/hub.key", "receipt_cert": "pki/receipt.crt", "receipt_key": "pki/receipt.key",
		"roots": "pki/ca.crt", "crls": []string{"pki/ca.crl"},
	}
	data, _ := json.Marshal(cfg)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

// foreignCA makes "foreignca DIR": a CA outside our PKI (certstest's
// ForeignCA) with DIR/root.pem, DIR/seal.pem (an organisation's
// certificate followed by its issuing CA), DIR/seal-alone.pem (without
// it), DIR/person.pem and $SEAL_SHA256, $PERSON_SHA256.
func foreignCA(t *testing.T) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: foreignca DIR")
		}
		dir := ts.MkAbs(args[0])
		ts.Check(os.MkdirAll(dir, 0o755))
		ca := certstest.NewForeign(t, "Ban Cơ yếu Chính phủ")
		seal := ca.Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng UBND tỉnh", "5700100256")
		person := ca.Person(t, "Nguyễn Văn An", "Ủy ban nhân dân tỉnh Quảng Ninh", "022080000123")
		for name, list := range map[string][]*x509.Certificate{
			"root.pem": {ca.Root}, "seal.pem": seal.Certificates(), "seal-alone.pem": {seal.Leaf}, "person.pem": person.Certificates(),
		} {
			ts.Check(os.WriteFile(filepath.Join(dir, name), certs.EncodeCertificatesPEM(list...), 0o644))
		}
		ts.Setenv("SEAL_SHA256", certs.FingerprintOf(seal.Leaf).String())
		ts.Setenv("PERSON_SHA256", certs.FingerprintOf(person.Leaf).String())
	}
}
