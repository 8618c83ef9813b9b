package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"lienthong/internal/scripttest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"lienthong-certs": main,
	})
}

// TestScripts runs the command as a user would, from the scripts in
// testdata/script, cross-checking its output with openssl.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", os.Getenv("PATH"))
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status": scripttest.ExitStatus,
		},
	})
}
