package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"image"
	"image/png"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/shared/stamp"
	"lienthong/shared/tsa"
)

// startTSA runs a real RFC 3161 server on loopback with a timestamping
// certificate from the test PKI.
func startTSA(t testing.TB) TimestampFunc {
	t.Helper()
	p := getPKI(t)
	kp, err := p.issuing.IssueTimestamping(certs.TimestampingRequest{CommonName: "Lienthong Test TSA"}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	srv := &tsa.Server{Signer: kp, Logger: slog.New(slog.DiscardHandler)}
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return func(ctx context.Context, digest []byte) ([]byte, error) {
		return tsa.Request(ctx, hs.Client(), hs.URL, digest, crypto.SHA256)
	}
}

func TestTimestampBT(t *testing.T) {
	p := getPKI(t)
	ts := newTrustStore(t, p.root.Cert)
	dir := t.TempDir()
	opts := optsFor(p.person)
	opts.Timestamp = startTSA(t)
	out := signTestFile(t, "testdata/quyet-dinh.pdf", filepath.Join(dir, "bt.pdf"), opts)
	rep := verifyFile(t, out, VerifyOptions{Roots: p.roots})
	requireValid(t, rep, 1)
	s := rep.Signatures[0]
	if s.Level != "B-T" || s.TimestampTime == nil {
		t.Fatalf("level %q timestamp %v, want B-T with a time", s.Level, s.TimestampTime)
	}
	if d := time.Since(*s.TimestampTime); d < 0 || d > time.Minute {
		t.Errorf("timestamp time %v is not now", s.TimestampTime)
	}
	if !s.ChainCheckedAt.Equal(*s.TimestampTime) {
		t.Errorf("chain checked at %v, want the timestamp time", s.ChainCheckedAt)
	}
	checkPdfsig(t, ts, out, 1)
	checkQpdf(t, out)
	checkPdfcpu(t, ts, out, 1)

	// A certs.Verifier as Trust checks the timestamp's chain too.
	trust, err := certs.NewVerifier([]*x509.Certificate{p.root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if rep := verifyFile(t, out, VerifyOptions{Trust: trust}); !rep.Valid() || rep.Signatures[0].Level != "B-T" {
		t.Fatalf("with Trust: valid %v, level %q: %v", rep.Valid(), rep.Signatures[0].Level, rep.Signatures[0].Problems)
	}

	// Without the TSA's root the timestamp cannot be trusted.
	other, err := certs.NewRoot(certs.CAName{CommonName: "Other Root"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(other.Cert)
	if rep := verifyFile(t, out, VerifyOptions{Roots: pool}); rep.Valid() || rep.Signatures[0].TimestampTime != nil {
		t.Fatalf("timestamp accepted without its root: %+v", rep.Signatures[0])
	}
}

func TestRevocation(t *testing.T) {
	p := getPKI(t)
	out := signTestFile(t, "testdata/cong-van.pdf", filepath.Join(t.TempDir(), "s.pdf"), optsFor(p.person))
	crlOf := func(serials ...*certs.KeyPair) *x509.RevocationList {
		var rv []certs.Revocation
		for _, kp := range serials {
			rv = append(rv, certs.Revocation{Serial: kp.Leaf.SerialNumber, Time: time.Now().Add(-time.Hour), Reason: 1})
		}
		der, err := p.issuing.CRL(rv, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		return crl
	}
	forged, err := certs.NewRoot(certs.CAName{CommonName: "Lienthong Test Issuing CA"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	forgedDER, err := forged.CRL([]certs.Revocation{{Serial: p.person.Leaf.SerialNumber, Time: time.Now().Add(-time.Hour)}}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	forgedCRL, _ := x509.ParseRevocationList(forgedDER)
	tests := []struct {
		name  string
		crls  []*x509.RevocationList
		want  string
		valid bool
	}{
		{name: "no CRL", want: RevocationUnknown, valid: true},
		{name: "CRL without the signer", crls: []*x509.RevocationList{crlOf(p.agency)}, want: RevocationGood, valid: true},
		{name: "signer revoked", crls: []*x509.RevocationList{crlOf(p.person)}, want: RevocationRevoked},
		{name: "CRL signed by an impostor is ignored", crls: []*x509.RevocationList{forgedCRL}, want: RevocationUnknown, valid: true},
	}
	// The same answers with x509 and Roots, and with a certs.Verifier as
	// Trust, which remembers chains and CRL signatures between documents.
	trust, err := certs.NewVerifier([]*x509.Certificate{p.root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		for _, with := range []struct {
			name string
			opts VerifyOptions
		}{{"roots", VerifyOptions{Roots: p.roots, CRLs: tt.crls}}, {"trust", VerifyOptions{Trust: trust, CRLs: tt.crls}}} {
			t.Run(tt.name+"/"+with.name, func(t *testing.T) {
				rep := verifyFile(t, out, with.opts)
				if got := rep.Signatures[0].Revocation; got != tt.want {
					t.Errorf("revocation %q, want %q", got, tt.want)
				}
				if rep.Valid() != tt.valid || !rep.Signatures[0].Trusted {
					t.Errorf("Valid() = %v, want %v; trusted %v (%v)", rep.Valid(), tt.valid, rep.Signatures[0].Trusted, rep.Signatures[0].Problems)
				}
			})
		}
	}
}

func TestUntrusted(t *testing.T) {
	p := getPKI(t)
	out := signTestFile(t, "testdata/cong-van.pdf", filepath.Join(t.TempDir(), "s.pdf"), optsFor(p.person))
	other, err := certs.NewRoot(certs.CAName{CommonName: "Other Root"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(other.Cert)
	otherTrust, err := certs.NewVerifier([]*x509.Certificate{other.Cert})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts VerifyOptions
		want string
	}{
		{name: "no roots", want: "no trusted roots"},
		{name: "another root", opts: VerifyOptions{Roots: pool}, want: "does not chain to a trusted root"},
		{name: "trust in another root", opts: VerifyOptions{Trust: otherTrust}, want: "does not chain to a trusted root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := verifyFile(t, out, tt.opts)
			s := rep.Signatures[0]
			if rep.Valid() || s.Trusted || !strings.Contains(strings.Join(s.Problems, " "), tt.want) {
				t.Fatalf("valid=%v trusted=%v problems=%v", rep.Valid(), s.Trusted, s.Problems)
			}
			if !s.DigestValid || !s.SignatureValid {
				t.Errorf("an untrusted signature is still intact: digest=%v signature=%v", s.DigestValid, s.SignatureValid)
			}
		})
	}
}

func TestNoSignatures(t *testing.T) {
	rep := verifyFile(t, "testdata/cong-van.pdf", VerifyOptions{})
	if rep.Valid() || len(rep.Signatures) != 0 {
		t.Fatalf("unsigned document: valid=%v signatures=%d", rep.Valid(), len(rep.Signatures))
	}
}

// TestVisible signs with the agency's text stamp at the top right of page 1
// and the person's signature image with the agency's seal, renders the page
// with poppler and checks that ink appears where each stamp was placed.
func TestVisible(t *testing.T) {
	p := getPKI(t)
	ts := newTrustStore(t, p.root.Cert)
	pdftoppm := needTool(t, "pdftoppm")
	dir := t.TempDir()
	signedAt := time.Now().Truncate(time.Second).In(VietnamTime)

	text, err := stamp.AgencyText("1234", "UBND-VP", signedAt)
	if err != nil {
		t.Fatal(err)
	}
	img, err := stamp.ImageStamp(stamp.DemoSignature("Nguyễn Văn An"), stamp.DemoSeal("Ủy ban nhân dân tỉnh Quảng Ninh", 400), 180, 90)
	if err != nil {
		t.Fatal(err)
	}
	box, err := pageBox(t, "testdata/cong-van.pdf", 1)
	if err != nil {
		t.Fatal(err)
	}
	textRect := TopRight(box, text.Width, text.Height, 20)
	imgRect := [4]float64{330, 120, 510, 210}

	o1 := optsFor(p.person)
	o1.Appearance, o1.Rect = img, imgRect
	person := signTestFile(t, "testdata/cong-van.pdf", filepath.Join(dir, "person.pdf"), o1)
	o2 := optsFor(p.agency)
	o2.Appearance, o2.Rect, o2.Time = text, textRect, signedAt
	final := signTestFile(t, person, filepath.Join(dir, "final.pdf"), o2)

	requireValid(t, verifyFile(t, final, VerifyOptions{Roots: p.roots}), 2)
	checkPdfsig(t, ts, final, 2)
	checkQpdf(t, final)
	checkPdfcpu(t, ts, final, 2)

	const dpi = 72
	prefix := filepath.Join(dir, "page")
	if out, err := exec.Command(pdftoppm, "-png", "-r", "72", "-f", "1", "-l", "1", "-singlefile", final, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pic, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("PADES_KEEP_RENDER"); keep != "" {
		data, _ := os.ReadFile(prefix + ".png")
		os.WriteFile(keep, data, 0o644)
		os.WriteFile(keep+".pdf", readFile(t, final), 0o644)
	}
	pageH := box[3] - box[1]
	toPix := func(r [4]float64) image.Rectangle {
		return image.Rect(int(r[0]-box[0])*dpi/72, int(pageH-(r[3]-box[1]))*dpi/72, int(r[2]-box[0])*dpi/72, int(pageH-(r[1]-box[1]))*dpi/72)
	}
	count := func(r image.Rectangle, pred func(r, g, b uint32) bool) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				cr, cg, cb, _ := pic.At(x, y).RGBA()
				if pred(cr>>8, cg>>8, cb>>8) {
					n++
				}
			}
		}
		return n
	}
	dark := func(r, g, b uint32) bool { return r < 100 && g < 100 && b < 100 }
	red := func(r, g, b uint32) bool { return r > 150 && g < 100 && b < 100 }
	blue := func(r, g, b uint32) bool { return b > 120 && r < 100 && b > g+40 }
	tr, ir := toPix(textRect), toPix(imgRect)
	if n := count(tr, dark); n < 50 {
		t.Errorf("text stamp at %v: only %d dark pixels", tr, n)
	}
	if n := count(ir, red); n < 50 {
		t.Errorf("seal at %v: only %d red pixels", ir, n)
	}
	if n := count(ir, blue); n < 20 {
		t.Errorf("signature image at %v: only %d blue pixels", ir, n)
	}
	// Small: outlines and compressed images, no embedded font.
	if grow := len(readFile(t, final)) - len(readFile(t, "testdata/cong-van.pdf")); grow > 300<<10 {
		t.Errorf("two visible signatures added %d bytes", grow)
	}
}

func pageBox(t testing.TB, path string, page int) ([4]float64, error) {
	b := readFile(t, path)
	return PageBox(bytes.NewReader(b), int64(len(b)), page)
}

// TestVerifyPoppler checks the third party's document as it comes: a
// poppler (NSS) adbe.pkcs7.detached signature with a self-signed RSA
// certificate.
func TestVerifyPoppler(t *testing.T) {
	certsPEM, err := certs.ParseCertificatesPEM(popplerCert(t))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(certsPEM[0])
	// The project's policy refuses a self-signed CA certificate as a
	// document signer, and says so as the only problem.
	rep := verifyFile(t, "testdata/cong-van-signed-poppler.pdf", VerifyOptions{Roots: pool})
	if s := rep.Signatures[0]; rep.Valid() || len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "not a document signer") || !s.Trusted || !s.SignatureValid {
		t.Fatalf("poppler signature under the project's policy: %+v", s)
	}
	rep = verifyFile(t, "testdata/cong-van-signed-poppler.pdf", VerifyOptions{Roots: pool, SignerPolicy: acceptPoppler(t)})
	requireValid(t, rep, 1)
	s := rep.Signatures[0]
	if s.Level != "PKCS7" || !s.CoversWholeFile || !strings.Contains(s.Signer, "Van thu VPCP") {
		t.Errorf("level %q whole %v signer %q", s.Level, s.CoversWholeFile, s.Signer)
	}
	if rep := verifyFile(t, "testdata/cong-van-signed-poppler.pdf", VerifyOptions{}); rep.Valid() {
		t.Error("valid without trusting the poppler certificate")
	}
}

// TestDocumentTimestamp adds a document timestamp over a signed file (the
// B-LTA step) and checks it with our Verify, pdfsig and qpdf.
func TestDocumentTimestamp(t *testing.T) {
	p := getPKI(t)
	ts := newTrustStore(t, p.root.Cert)
	dir := t.TempDir()
	tsf := startTSA(t)
	signed := signTestFile(t, "testdata/bao-cao.pdf", filepath.Join(dir, "signed.pdf"), optsFor(p.person))
	out := filepath.Join(dir, "stamped.pdf")
	if err := TimestampFile(context.Background(), signed, out, tsf, Options{}); err != nil {
		t.Fatal(err)
	}
	rep := verifyFile(t, out, VerifyOptions{Roots: p.roots})
	requireValid(t, rep, 2)
	d := rep.Signatures[1]
	if d.Level != "DocTimeStamp" || d.TimestampTime == nil || !d.CoversWholeFile || !strings.Contains(d.Signer, "Lienthong Test TSA") {
		t.Fatalf("document timestamp: %+v", d)
	}
	// poppler 22.12 cannot validate ETSI.RFC3161 ("Unimplemented Feature");
	// it must still find both and keep the signature under the timestamp valid.
	pdfsigOut, err := exec.Command(needTool(t, "pdfsig"), "-nssdir", "sql:"+ts.nss, out).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, pdfsigOut)
	}
	parts := strings.Split(string(pdfsigOut), "Signature #2:")
	if len(parts) != 2 || !strings.Contains(parts[0], "Signature is Valid.") || !strings.Contains(parts[0], "Certificate is Trusted.") || !strings.Contains(parts[1], "Total document signed") {
		t.Fatalf("pdfsig:\n%s", pdfsigOut)
	}
	checkQpdf(t, out)
	checkPdfcpu(t, ts, out, 2)

	// A byte changed under the timestamp is caught.
	b := readFile(t, out)
	b[100] ^= 1
	bad := filepath.Join(dir, "bad.pdf")
	os.WriteFile(bad, b, 0o644)
	if rep := verifyFile(t, bad, VerifyOptions{Roots: p.roots}); rep.Valid() || rep.Signatures[1].DigestValid {
		t.Fatal("changed byte not detected under the document timestamp")
	}
	if err := TimestampFile(context.Background(), signed, filepath.Join(dir, "x.pdf"), nil, Options{}); err == nil {
		t.Fatal("no TSA accepted")
	}
}
