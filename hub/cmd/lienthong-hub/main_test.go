package main

import (
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"lienthong/certs"
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
			"waitfile": waitFile,
		},
	})
}

// waitFile waits up to a minute for a file to appear: "waitfile PATH".
func waitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile PATH")
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
			return
		}
	}
	ts.Fatalf("%s did not appear within a minute", args[0])
}
