package cms_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"lienthong/shared/cms"
)

func needOpenSSL(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatal("openssl is needed for the interoperability tests: make deps installs it")
	}
	return p
}

func realPDF(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(pdfDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: the shared test data must sit beside the checkout (../shared/testdata/pdf): %v", name, err)
	}
	return p
}

// TestOpenSSLVerifiesOurs signs a real PDF file's bytes (detached) and has
// openssl cms -verify check the container against the file and the test root.
func TestOpenSSLVerifiesOurs(t *testing.T) {
	openssl := needOpenSSL(t)
	p := mustPKI(t)
	doc := realPDF(t, "cong-van.pdf")
	dir := t.TempDir()
	caFile := filepath.Join(dir, "root.pem")
	writeCertsPEM(t, caFile, p.root)
	tampered := filepath.Join(dir, "tampered.pdf")
	data, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x20
	if err := os.WriteFile(tampered, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ecdsa-p256", "ecdsa-p384", "rsa-2048"} {
		t.Run(name, func(t *testing.T) {
			s := p.signers[name]
			digest := digestOfFile(t, s.hash, doc)
			der, err := cms.Sign(digest, s.hash, s.signer())
			if err != nil {
				t.Fatal(err)
			}
			sigFile := filepath.Join(dir, name+".p7s")
			if err := os.WriteFile(sigFile, der, 0o600); err != nil {
				t.Fatal(err)
			}
			verify := func(content string) ([]byte, error) {
				return exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", sigFile,
					"-content", content, "-CAfile", caFile, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
			}
			if out, err := verify(doc); err != nil {
				t.Fatalf("openssl cms -verify rejected our signature: %v\n%s", err, out)
			}
			if out, err := verify(tampered); err == nil {
				t.Fatalf("openssl cms -verify accepted a tampered file:\n%s", out)
			}
			// openssl's own view of the attributes: no signing-time.
			out, err := exec.Command(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", sigFile).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl cms -print: %v\n%s", err, out)
			}
			for _, want := range []string{"contentType", "messageDigest", "id-smime-aa-signingCertificateV2"} {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("openssl does not see attribute %s", want)
				}
			}
			if bytes.Contains(out, []byte("signingTime")) {
				t.Error("openssl sees a signingTime attribute")
			}
		})
	}
}

func digestOfFile(t *testing.T, h crypto.Hash, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return digestOf(h, data)
}

// TestParseOpenSSLSigned parses what openssl cms -sign produces, with its
// usual attributes (signing-time, S/MIME capabilities), including RSA-PSS.
func TestParseOpenSSLSigned(t *testing.T) {
	openssl := needOpenSSL(t)
	p := mustPKI(t)
	doc := realPDF(t, "quyet-dinh.pdf")
	dir := t.TempDir()
	tests := []struct {
		name    string
		signer  string
		args    []string
		wantAlg x509.SignatureAlgorithm
	}{
		{"ecdsa p-256", "ecdsa-p256", nil, x509.ECDSAWithSHA256},
		{"rsa pkcs1 v1.5", "rsa-2048", nil, x509.UnknownSignatureAlgorithm}, // rsaEncryption
		{"rsa-pss", "rsa-2048", []string{"-keyopt", "rsa_padding_mode:pss"}, x509.SHA256WithRSAPSS},
		{"ecdsa p-384 sha-384", "ecdsa-p384", []string{"-md", "sha384"}, x509.ECDSAWithSHA384},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := p.signers[tt.signer]
			certFile := filepath.Join(dir, strconv.Itoa(i)+".crt")
			keyFile := filepath.Join(dir, strconv.Itoa(i)+".key")
			chainFile := filepath.Join(dir, strconv.Itoa(i)+".chain")
			out := filepath.Join(dir, strconv.Itoa(i)+".p7s")
			writeCertsPEM(t, certFile, s.chain[0])
			writeCertsPEM(t, chainFile, s.chain[1:]...)
			writeKeyPEM(t, keyFile, s.key)
			args := append([]string{"cms", "-sign", "-binary", "-in", doc, "-signer", certFile, "-inkey", keyFile,
				"-certfile", chainFile, "-outform", "DER", "-out", out}, tt.args...)
			if o, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
				t.Fatalf("openssl cms -sign: %v\n%s", err, o)
			}
			der, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := cms.Parse(der)
			if err != nil {
				t.Fatalf("Parse(openssl output): %v", err)
			}
			if !sd.HasSigningTime || sd.SigningTime.IsZero() {
				t.Error("openssl's signing-time not reported")
			}
			if sd.SignatureAlgorithm != tt.wantAlg {
				t.Errorf("SignatureAlgorithm = %v, want %v", sd.SignatureAlgorithm, tt.wantAlg)
			}
			if sd.Signer == nil || !sd.Signer.Equal(s.chain[0]) {
				t.Fatal("signer certificate not found")
			}
			if err := sd.Verify(digestOfFile(t, sd.Hash, doc)); err != nil {
				t.Errorf("Verify(openssl signature): %v", err)
			}
			if err := sd.Verify(digestOf(sd.Hash, []byte("other"))); !errors.Is(err, cms.ErrDigestMismatch) {
				t.Errorf("Verify(other content) = %v, want ErrDigestMismatch", err)
			}
		})
	}
}

// TestPopplerSignature reads the CMS container that poppler's pdfsig (NSS)
// put into a real PDF, and verifies it over the PDF's signed byte range.
func TestPopplerSignature(t *testing.T) {
	doc := realPDF(t, "cong-van-signed-poppler.pdf")
	data, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no /ByteRange")
	}
	var br [4]int
	for i := range br {
		br[i], _ = strconv.Atoi(string(m[i+1]))
	}
	if br[1]+2 > br[2] || br[2]+br[3] > len(data) {
		t.Fatalf("byte range %v out of the file", br)
	}
	hexContents := data[br[1]+1 : br[2]-1] // between < and >
	der := make([]byte, hex.DecodedLen(len(hexContents)))
	if _, err := hex.Decode(der, hexContents); err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(der) // zero-padded, as in every PDF
	if err != nil {
		t.Fatalf("Parse(poppler signature): %v", err)
	}
	certPEM, err := os.ReadFile(filepath.Join(pdfDir, "cong-van-signed-poppler.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(certPEM)
	want, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if sd.Signer == nil || !sd.Signer.Equal(want) {
		t.Fatalf("signer %v, want the poppler test certificate", sd.Signer)
	}
	h := sha256.New()
	h.Write(data[br[0] : br[0]+br[1]])
	h.Write(data[br[2] : br[2]+br[3]])
	if sd.Hash != crypto.SHA256 {
		t.Fatalf("hash %v", sd.Hash)
	}
	if err := sd.Verify(h.Sum(nil)); err != nil {
		t.Errorf("Verify(poppler signature): %v", err)
	}
	t.Logf("poppler: signing-time %v (%v), signing-cert-v2 %v/%v, algorithm %v",
		sd.HasSigningTime, sd.SigningTime, sd.HasSigningCertV2, sd.SigningCertV2Matches, sd.SignatureAlgorithm)
	if !sd.HasSigningCertV2 || !sd.SigningCertV2Matches {
		t.Error("poppler's signing-certificate-v2 not recognised")
	}
}
