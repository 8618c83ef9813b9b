package main

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"lienthong/certs"
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
			"waithub":  waitHub,
			"status":   scripttest.ExitStatus,
			"pgdb":     pgDB(t),
			"pgconfig": pgConfig,
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
