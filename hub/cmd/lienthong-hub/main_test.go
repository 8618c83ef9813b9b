package main

import (
	"context"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"lienthong/certs"
	"lienthong/hub/control"
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
			return certs.Demo(env.WorkDir+"/pki", certs.ECDSAP256)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waithub": waitHub,
			"status":  scripttest.ExitStatus,
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
