package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"lienthong/internal/scripttest"

	"lienthong/certs"
	"lienthong/shared/pades"
	"lienthong/shared/stamp"
	"lienthong/shared/tsa"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"lienthong-clerk": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// pdfDir holds the test PDFs, in the pades package's testdata.
const pdfDir = "../../../shared/pades/testdata"

// scanPath is the 5.4 MB scanned dossier beside the checkout.
const scanPath = "../../../../shared/testdata/pdf/ho-so-scan.pdf"

const passphrase = "mật khẩu thử nghiệm"

type fixtures struct {
	files map[string][]byte
	roots *x509.CertPool
	tsa   string
}

func TestScript(t *testing.T) {
	fx := makeFixtures(t)
	for _, tool := range []string{"pdfsig", "certutil", "pdftoppm", "qpdf"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install -y poppler-utils qpdf libnss3-tools", tool)
		}
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			for name, data := range fx.files {
				if err := os.WriteFile(filepath.Join(env.WorkDir, name), data, 0o644); err != nil {
					return err
				}
			}
			nss := filepath.Join(env.WorkDir, ".nss")
			if err := os.Mkdir(nss, 0o700); err != nil {
				return err
			}
			if out, err := exec.Command("certutil", "-N", "-d", "sql:"+nss, "--empty-password").CombinedOutput(); err != nil {
				return errors.New(string(out))
			}
			if out, err := exec.Command("certutil", "-A", "-d", "sql:"+nss, "-n", "root", "-t", "CT,C,C", "-i", filepath.Join(env.WorkDir, "root.pem")).CombinedOutput(); err != nil {
				return errors.New(string(out))
			}
			env.Setenv("NSSDB", "sql:"+nss)
			env.Setenv("TSA_URL", fx.tsa)
			abs, err := filepath.Abs(scanPath)
			if err != nil {
				return err
			}
			if _, err := os.Stat(abs); err != nil {
				return fmt.Errorf("%s is missing: the shared test data must sit beside the checkout (../shared/testdata/pdf): %w", scanPath, err)
			}
			env.Setenv("SCAN", abs)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":    scripttest.ExitStatus,
			"verifypdf": fx.cmdVerify,
			"pdfsigok":  cmdPdfsig,
			"inkat":     cmdInk,
		},
	})
}

func makeFixtures(t *testing.T) *fixtures {
	t.Helper()
	root, err := certs.NewRoot(certs.CAName{CommonName: "Lienthong Test Root CA"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	issuing, err := root.NewIssuing(certs.CAName{CommonName: "Lienthong Test Issuing CA"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	person, err := issuing.IssuePerson(certs.PersonRequest{FullName: "Nguyễn Văn An", Position: "Phó Chủ tịch", Agency: "000.00.00.H49", AgencyName: "Ủy ban nhân dân tỉnh Quảng Ninh"}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	agency, err := issuing.IssueAgency(certs.AgencyRequest{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh"}, certs.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	tsaKP, err := issuing.IssueTimestamping(certs.TimestampingRequest{CommonName: "Lienthong Test TSA"}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	other, err := certs.NewRoot(certs.CAName{CommonName: "Other Root"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := &tsa.Server{Signer: tsaKP, Logger: slog.New(slog.DiscardHandler)}
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	keyPEM := func(kp *certs.KeyPair) []byte {
		b, err := certs.EncodeKeyPEM(kp.Key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	encKey, err := certs.EncryptKeyPEM(person.Key, []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	p12, err := certs.EncodePKCS12(agency, passphrase)
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixtures{files: map[string][]byte{
		"root.pem":       certs.EncodeCertificatesPEM(root.Cert),
		"other-root.pem": certs.EncodeCertificatesPEM(other.Cert),
		"person.pem":     person.CertificatePEM(),
		"person.key":     keyPEM(person),
		"person-enc.key": encKey,
		"agency.pem":     agency.CertificatePEM(),
		"agency.key":     keyPEM(agency),
		"tsa.pem":        tsaKP.CertificatePEM(),
		"tsa.key":        keyPEM(tsaKP),
		"agency.p12":     p12,
		"pass.txt":       []byte(passphrase + "\n"),
		"wrong-pass.txt": []byte("sai\n"),
		"signature.png":  stamp.DemoSignature("Nguyễn Văn An"),
		"seal.png":       stamp.DemoSeal("Ủy ban nhân dân tỉnh Quảng Ninh", 400),
		"not-a-png.png":  []byte("no"),
	}, roots: x509.NewCertPool(), tsa: hs.URL}
	fx.roots.AddCert(root.Cert)
	for _, name := range []string{"cong-van.pdf", "quyet-dinh.pdf", "bao-cao-objstm.pdf", "cong-van-signed-poppler.pdf", "quyet-dinh-encrypted.pdf", "quyet-dinh-truncated.pdf", "not-a-pdf.pdf"} {
		b, err := os.ReadFile(filepath.Join(pdfDir, name))
		if err != nil {
			t.Fatal(err)
		}
		fx.files[name] = b
	}
	return fx
}

// cmdVerify checks a signed file with pades.Verify:
// verifypdf FILE NSIGS LEVEL
func (fx *fixtures) cmdVerify(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: verifypdf FILE NSIGS LEVEL")
	}
	f, err := os.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer f.Close()
	st, err := f.Stat()
	ts.Check(err)
	rep, err := pades.Verify(f, st.Size(), pades.VerifyOptions{Roots: fx.roots})
	ts.Check(err)
	n, _ := strconv.Atoi(args[1])
	ok := rep.Valid() && len(rep.Signatures) == n && rep.Signatures[n-1].Level == args[2]
	if ok == neg {
		for _, s := range rep.Signatures {
			ts.Logf("%s level=%s problems=%v", s.Field, s.Level, s.Problems)
		}
		ts.Fatalf("verifypdf %s: valid=%v signatures=%d, want %s signature(s), last at %s (negated: %v)", args[0], rep.Valid(), len(rep.Signatures), args[1], args[2], neg)
	}
}

var pdfsigValid = regexp.MustCompile(`Signature Validation: (.*)`)

// cmdPdfsig runs poppler's pdfsig with the test root trusted and reads its
// text (it exits 0 even on a digest mismatch): pdfsigok FILE NSIGS
func cmdPdfsig(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: pdfsigok FILE NSIGS")
	}
	out, err := exec.Command("pdfsig", "-nssdir", ts.Getenv("NSSDB"), ts.MkAbs(args[0])).CombinedOutput()
	if err != nil {
		ts.Fatalf("pdfsig: %v\n%s", err, out)
	}
	m := pdfsigValid.FindAllStringSubmatch(string(out), -1)
	want, _ := strconv.Atoi(args[1])
	if len(m) != want || strings.Count(string(out), "Certificate is Trusted.") != want {
		ts.Fatalf("pdfsig: want %d valid, trusted signatures:\n%s", want, out)
	}
	for _, x := range m {
		if strings.TrimSpace(x[1]) != "Signature is Valid." {
			ts.Fatalf("pdfsig: %s\n%s", x[1], out)
		}
	}
}

// cmdInk renders page 1 at 72 dpi with pdftoppm and requires ink inside a
// rectangle given in PDF points: inkat FILE x1,y1,x2,y2 PAGEHEIGHT
func cmdInk(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: inkat FILE x1,y1,x2,y2 PAGEHEIGHT")
	}
	prefix := ts.MkAbs("render")
	if out, err := exec.Command("pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile", ts.MkAbs(args[0]), prefix).CombinedOutput(); err != nil {
		ts.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, err := os.Open(prefix + ".png")
	ts.Check(err)
	defer f.Close()
	img, err := png.Decode(f)
	ts.Check(err)
	var r [4]float64
	for i, p := range strings.Split(args[1], ",") {
		r[i], _ = strconv.ParseFloat(p, 64)
	}
	h, _ := strconv.ParseFloat(args[2], 64)
	ink := 0
	for y := int(h - r[3]); y < int(h-r[1]); y++ {
		for x := int(r[0]); x < int(r[2]); x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr>>8 < 180 || cg>>8 < 180 || cb>>8 < 180 {
				ink++
			}
		}
	}
	if (ink >= 30) == neg {
		ts.Fatalf("inkat: %d inked pixels in %v (negated: %v)", ink, r, neg)
	}
}
