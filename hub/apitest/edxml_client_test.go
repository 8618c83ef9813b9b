package apitest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEdXMLClient is the real hub test of edXML: a third-party-style
// client, docs/examples/edxml-client.sh (bash, curl over HTTP/2, xmlsec1,
// xmllint, openssl, python3; no Lienthong code), speaks for Quảng Ninh's
// document system to a Lienthong clerk of Nghệ An, the lienthong-clerk
// binary, through a real lienthong-hub. The client sends a signed edXML
// document; the clerk receives it, verifies the sender's XML signature and
// registers it; the client reads the clerk's 03 back as an edXML status
// packet signed by Nghệ An and verifies it with xmlsec1. Then the clerk
// sends a document the other way, which the client reads from the edXML
// inbox and acknowledges. The script's steps run between the clerk's
// commands, so nothing waits on a clock.
func TestEdXMLClient(t *testing.T) {
	const vendor, nghean = "000.00.00.H49", "000.00.00.H41"
	addr, pki := startHub(t)
	script, err := filepath.Abs("../../docs/examples/edxml-client.sh")
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := filepath.Abs("../server/testdata/cong-van.pdf")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{script, pdf} { // read, for go test's cache
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	state, home := filepath.Join(dir, "state"), filepath.Join(dir, "clerk")

	// run runs a command in its own process group, killed with it when
	// the test's time for it runs out, and returns its stdout; stderr is
	// logged. Any failure fails the test.
	run := func(env []string, name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(os.Environ(), env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		t.Logf("%s %s:\n%s%s", filepath.Base(name), args[0], out, stderr.String())
		if err != nil {
			t.Fatalf("%s %s: %v", filepath.Base(name), strings.Join(args, " "), err)
		}
		return string(out)
	}
	client := func(args ...string) string {
		t.Helper()
		return run([]string{"HUB=" + addr, "PKI=" + pki, "STATE=" + state, "WAIT=60", "VENDOR=" + vendor, "CLERK=" + nghean},
			"bash", append([]string{script}, args...)...)
	}
	lc := func(args ...string) string {
		t.Helper()
		args = slices.Insert(args, 1, "--home", home)
		return run([]string{"LIENTHONG_PASSPHRASE=mật khẩu văn thư"}, filepath.Join(bin, "lienthong-clerk"), args...)
	}
	// printed returns the message id the script printed after word.
	printed := func(out, word string) string {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + word + ` ([0-9a-f]{32})$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("the script did not print %q and a message id", word)
		}
		return m[1]
	}
	type shown struct {
		Box      string `json:"box"`
		Statuses []struct {
			Agency string `json:"agency"`
			Code   string `json:"code"`
		} `json:"statuses"`
		Receipts []string `json:"receipts"`
		EdXML    *struct {
			Verified bool   `json:"verified"`
			Method   string `json:"method"`
			Signer   string `json:"signer"`
		} `json:"edxml"`
	}
	show := func(id string) shown {
		t.Helper()
		var s shown
		if err := json.Unmarshal([]byte(lc("show", id, "--json")), &s); err != nil {
			t.Fatalf("show --json: %v", err)
		}
		return s
	}
	codes := func(s shown) string {
		var c []string
		for _, st := range s.Statuses {
			c = append(c, st.Agency+":"+st.Code)
		}
		return strings.Join(c, " ")
	}

	agency := filepath.Join(pki, "agencies", nghean)
	lc("init", "--p12", agency+".p12", "--p12-passphrase-file", agency+".pass", "--hub", addr, "--roots", filepath.Join(pki, "ca.crt"))

	// The document system sends a signed edXML document to Nghệ An.
	id := printed(client("send", pdf), "sent")

	// The clerk receives it: the sender's XML signature verified.
	if out := lc("sync"); !strings.Contains(out, "0 waiting to send") {
		t.Fatalf("sync: %s", out)
	}
	var inbox []struct {
		ID         string `json:"id"`
		AgencyCode string `json:"agency_code"`
		Status     string `json:"status"`
	}
	if err := json.Unmarshal([]byte(lc("inbox", "--json")), &inbox); err != nil {
		t.Fatalf("inbox --json: %v", err)
	}
	if len(inbox) != 1 || inbox[0].ID != id || inbox[0].AgencyCode != vendor || inbox[0].Status != "01" {
		t.Fatalf("the clerk's inbox is %+v, want %s from %s at 01", inbox, id, vendor)
	}
	s := show(id)
	if s.Box != "incoming" || s.EdXML == nil || !s.EdXML.Verified || s.EdXML.Method != "xmldsig" || !strings.Contains(s.EdXML.Signer, vendor) {
		t.Fatalf("the clerk filed %s in %q with the check %+v, want incoming, verified by its XML signature from %s", id, s.Box, s.EdXML, vendor)
	}

	// It registers it: 03 goes back, signed by Nghệ An, and nothing stays queued.
	if out := lc("status", "--staff", "Phan Thị G", id, "03"); !strings.Contains(out, "số đến 1") {
		t.Fatalf("status 03: %s", out)
	}
	if out := lc("sync"); !strings.Contains(out, "0 waiting to send") {
		t.Fatalf("sync after 03: %s", out)
	}
	if got := codes(show(id)); got != nghean+":01 "+nghean+":03" {
		t.Fatalf("the clerk's history of %s: %s", id, got)
	}
	// The document system reads the 03 as an edXML status packet.
	if got := printed(client("status"), "registered"); got != id {
		t.Fatalf("the 03 the script read is about %s, want %s", got, id)
	}

	// The other way: the clerk sends a document to the document system,
	// which reads it as edXML and acknowledges it.
	var sent struct {
		ID   string `json:"id"`
		Sent bool   `json:"sent"`
	}
	out := lc("send", "--json", "--to", vendor, "--type", "cong_van", "--notation", "UBND-VP", "--place", "Vinh",
		"--subject", "Về việc trả lời thử nghiệm kết nối edXML", "--signer", "Lê Văn A", "--position", "CHỦ TỊCH",
		"--competence", "TM. ỦY BAN NHÂN DÂN", pdf)
	if err := json.Unmarshal([]byte(out), &sent); err != nil || !sent.Sent {
		t.Fatalf("send: %v: %s", err, out)
	}
	if got := printed(client("receive", sent.ID), "received"); got != sent.ID {
		t.Fatalf("the script received %s, want %s", got, sent.ID)
	}
	lc("sync")
	s = show(sent.ID)
	if got := codes(s); got != vendor+":01" || !slices.Equal(s.Receipts, []string{"accepted", "delivered"}) {
		t.Fatalf("the clerk's sent %s: statuses %s, receipts %v; want %s:01, accepted and delivered", sent.ID, got, s.Receipts, vendor)
	}
}
