package main

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"lienthong/shared/tsa"

	"lienthong/internal/scripttest"

	"lienthong/certs"
	"lienthong/shared/pades"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"lienthong-verify": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv)) },
	})
}

// pdfDir holds the test PDFs, in the pades package's testdata.
const pdfDir = "../../../shared/pades/testdata"

func TestScript(t *testing.T) {
	fx := makeFixtures(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			for name, data := range fx {
				if err := os.WriteFile(filepath.Join(env.WorkDir, name), data, 0o644); err != nil {
					return err
				}
			}
			// The locale is set by each script.
			env.Setenv("LANG", "")
			env.Setenv("LC_ALL", "")
			env.Setenv("LC_MESSAGES", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status": scripttest.ExitStatus,
		},
	})
}

// makeFixtures builds a PKI and signed, tampered and broken documents.
func makeFixtures(t *testing.T) map[string][]byte {
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
	agency, err := issuing.IssueAgency(certs.AgencyRequest{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh"}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	other, err := certs.NewRoot(certs.CAName{CommonName: "Other Root"}, certs.ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sign := func(in, out string, kp *certs.KeyPair) string {
		t.Helper()
		out = filepath.Join(dir, out)
		if err := pades.SignFile(context.Background(), in, out, pades.Options{Signer: kp}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	p1 := sign(filepath.Join(pdfDir, "cong-van.pdf"), "person.pdf", person)
	p2 := sign(p1, "signed.pdf", agency)
	poppler := sign(filepath.Join(pdfDir, "cong-van-signed-poppler.pdf"), "poppler-plus.pdf", agency)
	signed := read(t, p2)
	flipped := bytes.Clone(signed)
	flipped[bytes.Index(flipped, []byte("/Producer"))+1] = 'p'
	revoked, err := issuing.CRL([]certs.Revocation{{Serial: agency.Leaf.SerialNumber, Time: time.Now().Add(-time.Hour), Reason: 1}}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := issuing.CRL(nil, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	trust := trustFixtures(t, issuing, dir)
	fx := map[string][]byte{
		"root.pem":         certs.EncodeCertificatesPEM(root.Cert),
		"roots-all.pem":    append(certs.EncodeCertificatesPEM(root.Cert), read(t, filepath.Join(pdfDir, "cong-van-signed-poppler.cert.pem"))...),
		"other-root.pem":   certs.EncodeCertificatesPEM(other.Cert),
		"revoked.crl":      certs.EncodeCRLPEM(revoked),
		"empty.crl":        empty,
		"signed.pdf":       signed,
		"poppler-plus.pdf": read(t, poppler),
		"flipped.pdf":      flipped,
		"replaced.pdf":     replaceContent(t, signed),
		"unsigned.pdf":     read(t, filepath.Join(pdfDir, "cong-van.pdf")),
		"encrypted.pdf":    read(t, filepath.Join(pdfDir, "quyet-dinh-encrypted.pdf")),
		"truncated.pdf":    read(t, filepath.Join(pdfDir, "quyet-dinh-truncated.pdf")),
		"not-a-pdf.pdf":    read(t, filepath.Join(pdfDir, "not-a-pdf.pdf")),
	}
	maps.Copy(fx, trust)
	return fx
}

// trustFixtures are the documents of the trust policy: a timestamped
// signature whose signer is revoked after the timestamp, the same signer
// revoked before, a document signed by a hub's TLS certificate, and an
// untimestamped signature by a certificate that has expired since.
func trustFixtures(t *testing.T, issuing *certs.Authority, dir string) map[string][]byte {
	t.Helper()
	tsaKP, err := issuing.IssueTimestamping(certs.TimestampingRequest{CommonName: "Test TSA"}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	ts := &tsa.Server{Signer: tsaKP, Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	stamp := func(ctx context.Context, digest []byte) ([]byte, error) {
		return tsa.Request(ctx, srv.Client(), srv.URL, digest, crypto.SHA256)
	}
	sign := func(out string, opts pades.Options) []byte {
		t.Helper()
		out = filepath.Join(dir, out)
		if err := pades.SignFile(context.Background(), filepath.Join(pdfDir, "cong-van.pdf"), out, opts); err != nil {
			t.Fatal(err)
		}
		return read(t, out)
	}
	person, err := issuing.IssuePerson(certs.PersonRequest{FullName: "Lê Văn Bình", Position: "Giám đốc", Agency: "000.00.00.H49"}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	hub, err := issuing.IssueHub(certs.HubRequest{DNSNames: []string{"localhost"}}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	past := *issuing
	past.Now = func() time.Time { return time.Now().Add(-72 * time.Hour) }
	expired, err := past.IssuePerson(certs.PersonRequest{FullName: "Đỗ Thị Cúc", Position: "Phó Giám đốc", Agency: "000.00.00.H49", Validity: 24 * time.Hour}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	stamped := sign("stamped.pdf", pades.Options{Signer: person, Timestamp: stamp})
	crl := func(at time.Time) []byte {
		der, err := issuing.CRL([]certs.Revocation{{Serial: person.Leaf.SerialNumber, Time: at, Reason: 1}}, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		return certs.EncodeCRLPEM(der)
	}
	return map[string][]byte{
		"stamped.pdf":        stamped,
		"revoked-later.crl":  crl(time.Now().Add(2 * time.Second)), // CRL times are whole seconds
		"revoked-before.crl": crl(time.Now().Add(-time.Hour)),
		"by-hub.pdf":         sign("by-hub.pdf", pades.Options{Signer: hub}),
		"expired.pdf":        sign("expired.pdf", pades.Options{Signer: expired, Time: time.Now().Add(-48 * time.Hour)}),
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	contentsRE  = regexp.MustCompile(`/Contents (\d+) 0 R`)
	startxrefRE = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	sizeRE      = regexp.MustCompile(`/Size (\d+)`)
	rootRE      = regexp.MustCompile(`/Root (\d+ \d+ R)`)
)

// replaceContent appends, without signing, an incremental update that
// replaces page 1's content stream: what pdfsig, pdfcpu and qpdf accept.
func replaceContent(t *testing.T, signed []byte) []byte {
	t.Helper()
	orig := read(t, filepath.Join(pdfDir, "cong-van.pdf"))
	cm := contentsRE.FindSubmatch(orig)
	sm := startxrefRE.FindSubmatch(signed)
	sizes := sizeRE.FindAllSubmatch(signed, -1)
	roots := rootRE.FindAllSubmatch(signed, -1)
	if cm == nil || sm == nil || sizes == nil || roots == nil {
		t.Fatal("cannot find the page content, startxref, /Size or /Root")
	}
	content := "BT /F1 36 Tf 72 700 Td (DA SUA NOI DUNG) Tj ET"
	var b bytes.Buffer
	b.Write(signed)
	off := b.Len()
	fmt.Fprintf(&b, "%s 0 obj\n<</Length %d>>\nstream\n%s\nendstream\nendobj\n", cm[1], len(content), content)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n%s 1\n%010d 00000 n\r\ntrailer\n<</Size %s/Root %s/Prev %s>>\nstartxref\n%d\n%%%%EOF\n",
		cm[1], off, sizes[len(sizes)-1][1], roots[len(roots)-1][1], sm[1], xref)
	return b.Bytes()
}
