package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/internal/cli"
)

// TestInboxListsRefused: inbox lists, after the received documents, those
// the clerk set aside as refused, marked, with the reason the sender was
// told; --json marks them too.
func TestInboxListsRefused(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	home := filepath.Join(t.TempDir(), "na")
	p12, err := certs.EncodePKCS12(h.Agencies["000.00.00.H41"].Key, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	pass := []byte("mật khẩu")
	if err := clerk.Init(clerk.InitOptions{Home: home, Passphrase: pass, P12: p12, P12Passphrase: "p12-pass", HubAddr: h.Addr,
		ServerName: "localhost", RootsPEM: h.PKI.RootPEM()}); err != nil {
		t.Fatal(err)
	}
	c, err := clerk.Open(home, pass, clerk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const id = "0123456789abcdef0123456789abcdef"
	const reason = "Hệ thống của cơ quan nhận không tiếp nhận được văn bản: chữ ký số trên gói tin không hợp lệ."
	err = c.Store().SetAside(store.Refusal{MessageID: id, Sender: "000.00.00.H49", Cause: store.CauseSignature, Reason: reason,
		At: time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)}, "3")
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	passFile := filepath.Join(t.TempDir(), "pass.txt")
	if err := os.WriteFile(passFile, append(pass, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		args = append(args, "--home", home, "--passphrase-file", passFile)
		if code := program.Main(args, &cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Ctx: t.Context()}); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	text := run("inbox")
	if !strings.Contains(text, id) || !strings.Contains(text, refusedMarker) || !strings.Contains(text, reason) || !strings.Contains(text, "telling the sender") {
		t.Fatalf("inbox:\n%s", text)
	}
	var rows []row
	if err := json.Unmarshal([]byte(run("inbox", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !rows[0].Refused || rows[0].Reason != reason || rows[0].Status != "02" || rows[0].Told {
		t.Fatalf("inbox --json = %+v", rows)
	}
	if text := run("inbox", "--unread"); strings.Contains(text, id) {
		t.Fatalf("inbox --unread lists the refused document:\n%s", text)
	}
}
