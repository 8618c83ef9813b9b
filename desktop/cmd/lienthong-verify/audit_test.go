package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
)

// auditorFiles writes what an auditor holds: a certificate to reach the
// hub, the roots, and the hub's log verifier key.
func auditorFiles(t *testing.T, h *hubtest.Hub) []string {
	t.Helper()
	dir := t.TempDir()
	kp := h.Agencies["000.00.00.G22"].Key
	keyPEM, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"auditor.crt": kp.CertificatePEM(), "auditor.key": keyPEM, "roots.pem": h.PKI.RootPEM(), "log.pub": []byte(h.LogKey + "\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"--hub", h.Addr, "--cert", filepath.Join(dir, "auditor.crt"), "--key", filepath.Join(dir, "auditor.key"),
		"--roots", filepath.Join(dir, "roots.pem"), "--log-key", filepath.Join(dir, "log.pub"), "--origin", h.LogOrigin}
}

// send makes one real document from Quảng Ninh to Nghệ An, delivered.
func send(t *testing.T, h *hubtest.Hub) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pdf, err := os.ReadFile("../../../shared/pades/testdata/cong-van.pdf")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	digest := hex.EncodeToString(sum[:])
	qn, na := h.Client(t, "000.00.00.H49", false), h.Client(t, "000.00.00.H41", false)
	if err := qn.Upload(ctx, digest, bytes.NewReader(pdf), int64(len(pdf)), 0, nil); err != nil {
		t.Fatal(err)
	}
	d := &envelope.Document{Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: time.Now(),
		Metadata: &document.Metadata{Version: document.SchemaVersion, From: document.Organ{Code: "000.00.00.H49", Name: "UBND tỉnh Quảng Ninh"},
			CodeNumber: "7", CodeNotation: "UBND-VP", Type: document.TypeCongVan, Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.DateOf(time.Now())},
			Subject: "Về việc kiểm tra", Signer: document.Signer{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
			To: []document.Recipient{{Code: "000.00.00.H41", Name: "UBND tỉnh Nghệ An"}}},
		Attachments: []envelope.Attachment{{Name: "cv.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: digest}}}
	payload, _ := json.Marshal(d)
	kp := h.Agencies["000.00.00.H49"].Key
	packet, err := envelope.Seal(payload, kp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := qn.Submit(ctx, packet); err != nil {
		t.Fatal(err)
	}
	if _, err := na.Ack(ctx, d.MessageID); err != nil {
		t.Fatal(err)
	}
}

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func TestAuditCommands(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	fork := hubtest.Start(t, hubtest.Options{PKI: h.PKI, LogSignerKey: h.LogSignerKey})
	auth := auditorFiles(t, h)
	forkAuth := auditorFiles(t, fork)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	send(t, h)
	send(t, fork)
	send(t, fork)

	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"first checkpoint", append([]string{"log", "--state", a}, auth...), 0, "OK: first checkpoint"},
		{"nothing new", append([]string{"log", "--state", a}, auth...), 0, "the same history"},
		{"the other auditor on the fork", append([]string{"log", "--state", b}, forkAuth...), 0, "OK: first checkpoint"},
		{"comparing exposes the fork", append([]string{"compare", a, b}, auth...), 1, ""},
		{"the first auditor on the forked hub", append([]string{"log", "--state", a}, forkAuth...), 1, ""},
		{"honest statistics", append([]string{"stats"}, auth...), 0, "000.00.00.H41"},
		{"missing state flag", append([]string{"log"}, auth...), 2, ""},
	}
	for _, s := range steps {
		code, out, errOut := runCmd(s.args...)
		if code != s.wantCode || !strings.Contains(out, s.wantOut) {
			t.Fatalf("%s: exit %d (want %d)\nstdout: %s\nstderr: %s", s.name, code, s.wantCode, out, errOut)
		}
		if s.wantCode == 1 && !strings.Contains(errOut, "rewritten or forked") {
			t.Fatalf("%s: stderr does not say the history was forked: %s", s.name, errOut)
		}
	}
}
