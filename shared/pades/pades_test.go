package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
)

// scanPath is the 5.4 MB scanned dossier, kept beside the checkout.
const scanPath = "../../../shared/testdata/pdf/ho-so-scan.pdf"

func testFile(t testing.TB, name string) string {
	t.Helper()
	if name == "ho-so-scan.pdf" {
		if _, err := os.Stat(scanPath); err != nil {
			t.Fatalf("%s is missing: the shared test data must sit beside the checkout (../shared/testdata/pdf): %v", scanPath, err)
		}
		return scanPath
	}
	return filepath.Join("testdata", name)
}

// acceptPoppler is the document-signer policy plus the poppler test
// file's self-signed certificate, which the policy refuses.
func acceptPoppler(t testing.TB) func(*x509.Certificate) error {
	pc, err := certs.ParseCertificatesPEM(popplerCert(t))
	if err != nil {
		t.Fatal(err)
	}
	return func(c *x509.Certificate) error {
		if c.Equal(pc[0]) {
			return nil
		}
		return certs.MayIssueDocuments(c)
	}
}

func popplerCert(t testing.TB) []byte {
	return readFile(t, "testdata/cong-van-signed-poppler.cert.pem")
}

func verifyFile(t testing.TB, path string, opts VerifyOptions) *Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(f, st.Size(), opts)
	if err != nil {
		t.Fatalf("Verify(%s): %v", filepath.Base(path), err)
	}
	return rep
}

func requireValid(t testing.TB, rep *Report, wantSigs int) {
	t.Helper()
	if len(rep.Signatures) != wantSigs {
		t.Fatalf("found %d signatures, want %d", len(rep.Signatures), wantSigs)
	}
	if !rep.Valid() {
		for _, s := range rep.Signatures {
			t.Errorf("signature %q: problems %v", s.Field, s.Problems)
		}
		t.Fatal("report not valid")
	}
}

// TestSignTestFiles signs every test PDF with the person's key, then the
// agency's, and checks each output with our Verify, pdfsig, qpdf and
// pdfcpu; files that must be refused leave no output.
func TestSignTestFiles(t *testing.T) {
	p := getPKI(t)
	popplerRoot, err := certs.ParseCertificatesPEM(popplerCert(t))
	if err != nil {
		t.Fatal(err)
	}
	ts := newTrustStore(t, p.root.Cert, popplerRoot[0])
	tests := []struct {
		file      string
		wantErr   error
		priorSigs int
		level     string
	}{
		{file: "cong-van.pdf"},
		{file: "quyet-dinh.pdf"},
		{file: "bao-cao.pdf"},
		{file: "bao-cao-objstm.pdf"},
		{file: "cong-van-linearized.pdf"},
		{file: "cong-van-signed-poppler.pdf", priorSigs: 1},
		{file: "ho-so-scan.pdf"},
		{file: "quyet-dinh-encrypted.pdf", wantErr: ErrEncrypted},
		{file: "quyet-dinh-truncated.pdf", wantErr: ErrDamaged},
		{file: "not-a-pdf.pdf", wantErr: ErrNotPDF},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := testFile(t, tt.file)
			dir := t.TempDir()
			out1 := filepath.Join(dir, "person.pdf")
			err := SignFile(context.Background(), in, out1, optsFor(p.person))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("SignFile = %v, want %v", err, tt.wantErr)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 0 {
					t.Fatalf("a refused file left output behind: %v", entries)
				}
				f, _ := os.Open(in)
				defer f.Close()
				st, _ := f.Stat()
				if _, err := Verify(f, st.Size(), VerifyOptions{Roots: ts.roots}); !errors.Is(err, tt.wantErr) {
					t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("SignFile: %v", err)
			}
			out2 := filepath.Join(dir, "agency.pdf")
			signTestFile(t, out1, out2, optsFor(p.agency))

			orig := readFile(t, in)
			for i, out := range []string{out1, out2} {
				got := readFile(t, out)
				if !bytes.HasPrefix(got, orig) {
					t.Fatalf("%s does not start with the original bytes unchanged", filepath.Base(out))
				}
				want := tt.priorSigs + i + 1
				rep := verifyFile(t, out, VerifyOptions{Roots: ts.roots, SignerPolicy: acceptPoppler(t)})
				requireValid(t, rep, want)
				last := rep.Signatures[len(rep.Signatures)-1]
				if !last.CoversWholeFile || last.Level != "B-B" || last.SigningCertV2 != SigningCertMatch {
					t.Errorf("last signature: whole=%v level=%q ess=%q", last.CoversWholeFile, last.Level, last.SigningCertV2)
				}
				checkPdfsig(t, ts, out, want)
				// qpdf --check decodes every image: on the 5 MB scan it
				// checks the final file only, which holds both revisions.
				if i == 1 || len(orig) < 1<<20 {
					checkQpdf(t, out)
				}
				checkPdfcpu(t, ts, out, want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 2 {
				t.Errorf("temporary files left behind: %v", entries)
			}
		})
	}
}

// TestPrepareFinish signs in two steps, as a remote signer or token would.
func TestPrepareFinish(t *testing.T) {
	p := getPKI(t)
	tests := []struct {
		name    string
		kp      *certs.KeyPair
		corrupt bool
	}{
		{name: "ecdsa person", kp: p.person},
		{name: "ecdsa agency", kp: p.agency},
		{name: "wrong signature refused", kp: p.person, corrupt: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := readFile(t, "testdata/quyet-dinh.pdf")
			out := filepath.Join(t.TempDir(), "out.pdf")
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			opts := optsFor(tt.kp)
			opts.Signer, opts.Chain = nil, tt.kp.Certificates() // the key lives elsewhere
			prep, err := Prepare(f, bytes.NewReader(src), int64(len(src)), opts)
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			digest := prep.DigestToSign()
			if len(digest) != 32 {
				t.Fatalf("digest of %d bytes", len(digest))
			}
			sig, err := tt.kp.Key.Sign(rand.Reader, digest, crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if tt.corrupt {
				sig[len(sig)/2] ^= 0xff
				if err := prep.Finish(context.Background(), sig); err == nil {
					t.Fatal("Finish accepted a signature that does not verify")
				}
				return
			}
			if err := prep.Finish(context.Background(), sig); err != nil {
				t.Fatalf("Finish: %v", err)
			}
			requireValid(t, verifyFile(t, out, VerifyOptions{Roots: p.roots}), 1)
		})
	}
}

func TestContentsTooSmall(t *testing.T) {
	p := getPKI(t)
	opts := optsFor(p.person)
	opts.ContentsSize = 200
	err := SignFile(context.Background(), "testdata/cong-van.pdf", filepath.Join(t.TempDir(), "out.pdf"), opts)
	if !errors.Is(err, ErrContentsTooSmall) {
		t.Fatalf("SignFile = %v, want ErrContentsTooSmall", err)
	}
}

func TestSignOptions(t *testing.T) {
	p := getPKI(t)
	tests := []struct {
		name    string
		mod     func(*Options)
		wantErr string
	}{
		{name: "page 2", mod: func(o *Options) { o.Page = 2 }},
		{name: "page out of range", mod: func(o *Options) { o.Page = 9 }, wantErr: "page 9 does not exist"},
		{name: "no chain", mod: func(o *Options) { o.Signer = certless{o.Signer} }, wantErr: "no signer certificate"},
		{name: "chain beside the signer", mod: func(o *Options) { o.Chain = o.Signer.Certificates() }, wantErr: "leave Chain empty"},
		{name: "fixed time and field name", mod: func(o *Options) {
			o.Time = time.Now().Add(time.Minute).Truncate(time.Second).In(VietnamTime)
			o.FieldName = "Chữ ký cơ quan"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := optsFor(p.person)
			tt.mod(&opts)
			out := filepath.Join(t.TempDir(), "out.pdf")
			err := SignFile(context.Background(), "testdata/quyet-dinh.pdf", out, opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SignFile = %v, want error containing %q", err, tt.wantErr)
				}
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Fatalf("output written despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rep := verifyFile(t, out, VerifyOptions{Roots: p.roots})
			requireValid(t, rep, 1)
			s := rep.Signatures[0]
			if opts.FieldName != "" && s.Field != opts.FieldName {
				t.Errorf("field %q, want %q", s.Field, opts.FieldName)
			}
			if !opts.Time.IsZero() && (s.ClaimedTime == nil || !s.ClaimedTime.Equal(opts.Time)) {
				t.Errorf("claimed time %v, want %v", s.ClaimedTime, opts.Time)
			}
			if s.Reason != opts.Reason || s.Location != opts.Location {
				t.Errorf("reason %q location %q", s.Reason, s.Location)
			}
		})
	}
}

// failingWriter fails after n bytes, like a full disk.
type failingWriter struct {
	memOutput
	n int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(f.b)+len(p) > f.n {
		return 0, errors.New("no space left on device")
	}
	return f.memOutput.Write(p)
}

// TestSignWriteError: a failing output is reported, not ignored, at every
// stage of the copy.
func TestSignWriteError(t *testing.T) {
	p := getPKI(t)
	src := readFile(t, "testdata/quyet-dinh.pdf")
	for _, n := range []int{0, 1000, len(src) - 1, len(src) + 10} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			err := Sign(context.Background(), &failingWriter{n: n}, bytes.NewReader(src), int64(len(src)), optsFor(p.person))
			if err == nil || !strings.Contains(err.Error(), "no space left") {
				t.Fatalf("Sign = %v, want the write error", err)
			}
		})
	}
}
