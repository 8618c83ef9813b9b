package main

import (
	"testing"

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
	})
}
