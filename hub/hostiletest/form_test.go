package hostiletest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lienthong/certs/certstest"
	"lienthong/shared/pades/padestest"
)

// TestFormSignedTwice is issue 14's finding 15 with the real commands: a
// form laid out as LibreOffice exports it (/NeedAppearances true) and a
// pdfcpu form are signed by lienthong-clerk sign as ND30 does (the person,
// then the agency); lienthong-verify reports both signatures valid, as
// poppler's pdfsig does. Before the fix lienthong-verify called the first
// signature invalid ("the AcroForm asks viewers to regenerate
// appearances").
func TestFormSignedTwice(t *testing.T) {
	dir := t.TempDir()
	pki := certstest.New(t)
	const code = "000.00.00.H49"
	personCert, personKey := writeKeyPair(t, filepath.Join(dir, "person"), pki.Person(t, "Nguyễn Văn An", "Phó Chủ tịch", code))
	agencyCert, agencyKey := writeKeyPair(t, filepath.Join(dir, "agency"), pki.Agency(t, code, "Ủy ban nhân dân tỉnh Quảng Ninh"))
	roots := writeFile(t, filepath.Join(dir, "roots.pem"), pki.RootPEM())
	nss := filepath.Join(dir, "nss")
	if err := os.Mkdir(nss, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"certutil", "-N", "-d", "sql:" + nss, "--empty-password"}, {"certutil", "-A", "-d", "sql:" + nss, "-n", "root", "-t", "CT,C,C", "-i", roots}} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	for _, form := range []struct{ name, path string }{
		{"libreoffice", writeFile(t, filepath.Join(dir, "libreoffice.pdf"), padestest.LibreOfficeForm(true))},
		{"pdfcpu", "../../shared/pades/testdata/form-pdfcpu.pdf"},
	} {
		t.Run(form.name, func(t *testing.T) {
			one, two := filepath.Join(dir, form.name+"-1.pdf"), filepath.Join(dir, form.name+"-2.pdf")
			for _, args := range [][]string{
				{"sign", "--cert", personCert, "--key", personKey, form.path, one},
				{"sign", "--cert", agencyCert, "--key", agencyKey, one, two},
			} {
				if out, err := exec.Command(filepath.Join(bin, "lienthong-clerk"), args...).CombinedOutput(); err != nil {
					t.Fatalf("lienthong-clerk %v: %v\n%s", args, err, out)
				}
			}
			out, err := exec.Command(filepath.Join(bin, "lienthong-verify"), "--json", "--roots", roots, two).Output()
			var rep struct {
				Valid      bool `json:"valid"`
				Signatures []struct {
					Field    string   `json:"field"`
					Problems []string `json:"problems"`
				} `json:"signatures"`
			}
			if jerr := json.Unmarshal(out, &rep); jerr != nil {
				t.Fatalf("lienthong-verify: %v, %v\n%s", err, jerr, out)
			}
			if err != nil || !rep.Valid || len(rep.Signatures) != 2 {
				t.Fatalf("lienthong-verify: %v, valid %v, %d signatures: %+v", err, rep.Valid, len(rep.Signatures), rep.Signatures)
			}
			text, err := exec.Command("pdfsig", "-nssdir", "sql:"+nss, two).CombinedOutput()
			if err != nil || strings.Count(string(text), "Signature is Valid.") != 2 {
				t.Errorf("pdfsig: %v\n%s", err, text)
			}
		})
	}
}
