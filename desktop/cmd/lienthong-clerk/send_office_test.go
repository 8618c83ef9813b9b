package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/internal/cli"
	"lienthong/shared/envelope/officetest"
)

// TestSendOfficeAppendix: `send MAIN.pdf APPENDIX.docx` sends the appendix
// as a Word file to a hub that allows them; to a hub that keeps the
// default (PDF only) the hub returns the document, and send says so (the
// hub's refusal, invalid_document naming attachments[1].content_type, is
// tested in hub/server).
func TestSendOfficeAppendix(t *testing.T) {
	for _, tt := range []struct {
		name  string
		types []string
		code  int
		want  string // on stdout (sent) or stderr (returned)
	}{
		{"allowed", []string{"pdf", "docx"}, 0, " sent\n"},
		{"refused", []string{"pdf"}, 1, "error: Bị trục trả lại, chưa gửi được: Máy chủ liên thông từ chối văn bản vì thông tin chưa đúng quy định."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) { c.AttachmentTypes = tt.types }})
			dir := t.TempDir()
			p12, err := certs.EncodePKCS12(h.Agencies["000.00.00.H49"].Key, "p12-pass")
			if err != nil {
				t.Fatal(err)
			}
			pdf, err := os.ReadFile(filepath.Join(clerkPDFs, "cong-van.pdf"))
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{"qn.p12": p12, "p12pass.txt": []byte("p12-pass\n"), "pass.txt": []byte("mật khẩu\n"),
				"roots.pem": h.PKI.RootPEM(), "cong-van.pdf": pdf, "Phu-luc.docx": officetest.DOCX("Phụ lục")}
			for name, data := range files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			at := func(name string) string { return filepath.Join(dir, name) }
			home := []string{"--home", at("qn"), "--passphrase-file", at("pass.txt")}
			run := func(args ...string) (int, string, string) {
				var out, errb bytes.Buffer
				code := program.Main(append(args, home...), &cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Ctx: t.Context()})
				return code, out.String(), errb.String()
			}
			if code, _, errs := run("init", "--p12", at("qn.p12"), "--p12-passphrase-file", at("p12pass.txt"),
				"--hub", h.Addr, "--server-name", "localhost", "--roots", at("roots.pem")); code != 0 {
				t.Fatalf("init: exit %d: %s", code, errs)
			}
			if code, _, errs := run("sync"); code != 0 {
				t.Fatalf("sync: exit %d: %s", code, errs)
			}
			code, out, errs := run("send", "--to", "000.00.00.G22", "--type", "cong_van", "--notation", "UBND-VP",
				"--subject", "Gửi phụ lục số liệu", "--place", "Hạ Long", "--signer", "Nguyễn Văn Hùng", "--position", "CHỦ TỊCH",
				at("cong-van.pdf"), at("Phu-luc.docx"))
			if code != tt.code {
				t.Fatalf("send: exit %d: %s", code, errs)
			}
			if !strings.Contains(out+errs, tt.want) {
				t.Errorf("send printed %q, stderr %q; want %q", out, errs, tt.want)
			}
		})
	}
}
