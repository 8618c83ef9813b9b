package pades

import (
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"lienthong/certs"
)

// The external validators. A missing tool fails the test: these checks
// are part of what "signed correctly" means here.

const installHint = "install the cross-checking tools: apt-get install -y poppler-utils qpdf libnss3-tools"

func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found in PATH: %s", name, installHint)
	}
	return p
}

// trustStore holds the roots as an NSS database (for pdfsig) and a
// directory of PEM files (for pdfcpu).
type trustStore struct {
	nss     string
	pemDir  string
	roots   *x509.CertPool
	rootsPE string // all roots in one PEM file
}

func newTrustStore(t testing.TB, roots ...*x509.Certificate) *trustStore {
	t.Helper()
	certutil := needTool(t, "certutil")
	dir := t.TempDir()
	ts := &trustStore{nss: filepath.Join(dir, "nss"), pemDir: filepath.Join(dir, "pem"), roots: x509.NewCertPool()}
	if err := os.MkdirAll(ts.nss, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(ts.pemDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(certutil, "-N", "-d", "sql:"+ts.nss, "--empty-password").CombinedOutput(); err != nil {
		t.Fatalf("certutil -N: %v\n%s", err, out)
	}
	var all []byte
	for i, c := range roots {
		ts.roots.AddCert(c)
		p := certs.EncodeCertificatesPEM(c)
		all = append(all, p...)
		f := filepath.Join(ts.pemDir, "root"+strconv.Itoa(i)+".pem")
		if err := os.WriteFile(f, p, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(certutil, "-A", "-d", "sql:"+ts.nss, "-n", "root"+strconv.Itoa(i), "-t", "CT,C,C", "-i", f).CombinedOutput(); err != nil {
			t.Fatalf("certutil -A: %v\n%s", err, out)
		}
	}
	ts.rootsPE = filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(ts.rootsPE, all, 0o644); err != nil {
		t.Fatal(err)
	}
	return ts
}

var sigValidRE = regexp.MustCompile(`Signature Validation: (.*)`)
var certValidRE = regexp.MustCompile(`Certificate Validation: (.*)`)

// checkPdfsig runs poppler's pdfsig and reads its text: it exits 0 even
// when a digest does not match.
func checkPdfsig(t testing.TB, ts *trustStore, path string, wantSigs int) {
	t.Helper()
	pdfsig := needTool(t, "pdfsig")
	out, err := exec.Command(pdfsig, "-nssdir", "sql:"+ts.nss, path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfsig %s: %v\n%s", filepath.Base(path), err, out)
	}
	text := string(out)
	sv := sigValidRE.FindAllStringSubmatch(text, -1)
	cv := certValidRE.FindAllStringSubmatch(text, -1)
	if len(sv) != wantSigs || len(cv) != wantSigs {
		t.Fatalf("pdfsig %s: found %d signatures, want %d\n%s", filepath.Base(path), len(sv), wantSigs, text)
	}
	for i := range sv {
		if strings.TrimSpace(sv[i][1]) != "Signature is Valid." {
			t.Errorf("pdfsig %s: signature %d: %s\n%s", filepath.Base(path), i+1, sv[i][1], text)
		}
		if strings.TrimSpace(cv[i][1]) != "Certificate is Trusted." {
			t.Errorf("pdfsig %s: certificate %d: %s\n%s", filepath.Base(path), i+1, cv[i][1], text)
		}
	}
}

// pdfsigSaysValid reports whether pdfsig calls every signature valid, for
// showing what it misses.
func pdfsigSaysValid(t testing.TB, ts *trustStore, path string) bool {
	t.Helper()
	out, _ := exec.Command(needTool(t, "pdfsig"), "-nssdir", "sql:"+ts.nss, path).CombinedOutput()
	sv := sigValidRE.FindAllStringSubmatch(string(out), -1)
	for _, m := range sv {
		if strings.TrimSpace(m[1]) != "Signature is Valid." {
			return false
		}
	}
	return len(sv) > 0
}

func checkQpdf(t testing.TB, path string) {
	t.Helper()
	out, err := exec.Command(needTool(t, "qpdf"), "--check", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No syntax or stream encoding errors found") {
		t.Errorf("qpdf --check %s: %v\n%s", filepath.Base(path), err, out)
	}
}

var pdfcpuMu sync.Mutex

// checkPdfcpu runs pdfcpu's structural validator and its signature
// validation with ts as the local certificate store.
func checkPdfcpu(t testing.TB, ts *trustStore, path string, wantSigs int) {
	t.Helper()
	pdfcpuMu.Lock()
	defer pdfcpuMu.Unlock()
	api.DisableConfigDir()
	if err := api.ValidateFile(path, model.NewDefaultConfiguration()); err != nil {
		t.Errorf("pdfcpu validate %s: %v", filepath.Base(path), err)
	}
	model.TrustedCertDir = ts.pemDir
	conf := model.NewDefaultConfiguration()
	// The test CAs publish their CRLs on loopback.
	conf.AllowedRevocationHosts = []string{"127.0.0.1"}
	res, err := api.ValidateSignatures(path, true, conf)
	if err != nil {
		t.Fatalf("pdfcpu validate signatures %s: %v", filepath.Base(path), err)
	}
	if len(res) != wantSigs {
		t.Fatalf("pdfcpu found %d signatures in %s, want %d", len(res), filepath.Base(path), wantSigs)
	}
	for i, r := range res {
		foreign := false
		for _, s := range r.Details.Signers {
			if s.Certificate != nil && s.Certificate.SelfSigned {
				foreign = true // poppler's self-signed third-party signature
			}
		}
		if foreign && r.Status == model.SignatureStatusUnknown && r.Reason == model.SignatureReasonUnknown {
			continue
		}
		if r.Status != model.SignatureStatusValid {
			var probs []string
			for _, s := range r.Details.Signers {
				probs = append(probs, s.Problems...)
			}
			t.Errorf("pdfcpu %s: signature %d: %v (%v) %v %v", filepath.Base(path), i+1, r.Status, r.Reason, r.Problems, probs)
		}
		if r.DocModified != 0 && i == len(res)-1 {
			t.Errorf("pdfcpu %s: last signature reports the document modified (%d)", filepath.Base(path), r.DocModified)
		}
	}
}
