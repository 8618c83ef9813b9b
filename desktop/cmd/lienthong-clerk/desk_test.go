//go:build cgo

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/internal/cli"
)

// desk is two clerks' stores (qn: Quảng Ninh, na: Nghệ An) made with init
// against a test hub, in one folder with the files the token tests use,
// and the command run in-process as a clerk types it.
type desk struct {
	t   *testing.T
	dir string
}

const deskQN, deskNA = "000.00.00.H49", "000.00.00.H41"

// newDesk writes the common files and extra ones, and inits both stores.
func newDesk(t *testing.T, h *hubtest.Hub, extra map[string][]byte) *desk {
	d := &desk{t: t, dir: t.TempDir()}
	pdf, err := os.ReadFile(filepath.Join(clerkPDFs, "cong-van.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"p12pass.txt": []byte("p12-pass\n"), "pass.txt": []byte("mật khẩu\n"),
		"roots.pem": h.PKI.RootPEM(), "cong-van.pdf": pdf}
	for name, code := range map[string]string{"qn.p12": deskQN, "na.p12": deskNA} {
		if files[name], err = certs.EncodePKCS12(h.Agencies[code].Key, "p12-pass"); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range extra {
		files[name] = data
	}
	for name, data := range files {
		if err := os.WriteFile(d.at(name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(closeTokens)
	for _, who := range []string{"qn", "na"} {
		d.must("init", "--home", d.at(who), "--passphrase-file", d.at("pass.txt"), "--p12", d.at(who+".p12"), "--p12-passphrase-file", d.at("p12pass.txt"),
			"--hub", h.Addr, "--server-name", "localhost", "--roots", d.at("roots.pem"))
	}
	return d
}

func (d *desk) at(name string) string { return filepath.Join(d.dir, name) }

// home are the flags that open a clerk's store.
func (d *desk) home(who string) []string {
	return []string{"--home", d.at(who), "--passphrase-file", d.at("pass.txt")}
}

// run runs the command and closes the tokens it opened.
func (d *desk) run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := program.Main(args, &cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Ctx: d.t.Context()})
	closeTokens()
	return code, out.String(), errb.String()
}

// must runs the command, fails the test unless it succeeds, and returns
// its stdout.
func (d *desk) must(args ...string) string {
	d.t.Helper()
	code, out, errs := d.run(args...)
	if code != 0 {
		d.t.Fatalf("%s: exit %d: %s", args[0], code, errs)
	}
	return out
}
