package certs_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/shared/cms"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/receipt"
	"lienthong/shared/tsa"
)

const (
	quangNinh = "000.00.00.H49"
	ngheAn    = "000.00.00.H41"
)

var pdfDir = filepath.Join("..", "..", "shared", "testdata", "pdf")

// tokens are two agencies, a hub and a TSA whose keys of one algorithm sit in
// test tokens, with a PKI that trusts them.
type tokens struct {
	pki                         *certstest.PKI
	agency, recipient, hub, tsa *certstest.Token
	tsaURL                      string
	client                      *httptest.Server
}

func newTokens(t *testing.T, alg certs.KeyAlgorithm) *tokens {
	t.Helper()
	p := certstest.New(t)
	agency, err := p.Issuing.IssueAgency(certs.AgencyRequest{Code: quangNinh, Name: "Ủy ban nhân dân tỉnh Quảng Ninh"}, alg)
	if err != nil {
		t.Fatal(err)
	}
	recipient, err := p.Issuing.IssueAgency(certs.AgencyRequest{Code: ngheAn, Name: "Ủy ban nhân dân tỉnh Nghệ An"}, alg)
	if err != nil {
		t.Fatal(err)
	}
	hub, err := p.Issuing.IssueReceipt(certs.ReceiptRequest{Name: certs.DefaultReceiptSigner}, alg)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := p.Issuing.IssueTimestamping(certs.TimestampingRequest{CommonName: "Test TSA"}, alg)
	if err != nil {
		t.Fatal(err)
	}
	tk := &tokens{pki: p, agency: certstest.NewToken(agency), recipient: certstest.NewToken(recipient), hub: certstest.NewToken(hub), tsa: certstest.NewToken(ts)}
	srv := &tsa.Server{Signer: tk.tsa, Logger: slog.New(slog.DiscardHandler)}
	if err := srv.Validate(); err != nil {
		t.Fatal(err)
	}
	tk.client = httptest.NewServer(srv)
	t.Cleanup(tk.client.Close)
	return tk
}

func (tk *tokens) timestamp(ctx context.Context, digest []byte) ([]byte, error) {
	return tsa.Request(ctx, tk.client.Client(), tk.client.URL, digest, crypto.SHA256)
}

func (tk *tokens) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(tk.pki.Root.Cert)
	return pool
}

func sampleMetadata() *document.Metadata {
	return &document.Metadata{
		Version:      document.SchemaVersion,
		From:         document.Organ{Code: quangNinh, Name: "Ủy ban nhân dân tỉnh Quảng Ninh"},
		CodeNumber:   "567",
		CodeNotation: "QĐ-UBND",
		Promulgation: document.Promulgation{Place: "Quảng Ninh", Date: document.NewDate(2026, 11, 23)},
		Type:         document.TypeQuyetDinh,
		Subject:      "Về việc ban hành Quy chế quản lý văn bản điện tử",
		Signer:       document.Signer{Competence: "KT. CHỦ TỊCH", Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
		To:           []document.Recipient{{Code: ngheAn, Name: "Ủy ban nhân dân tỉnh Nghệ An"}},
		Business:     document.Business{Type: document.BusinessNew},
	}
}

func documentPayload(t *testing.T) []byte {
	t.Helper()
	d := &envelope.Document{
		Kind:        envelope.KindDocument,
		MessageID:   envelope.NewMessageID(),
		Created:     time.Now(),
		Metadata:    sampleMetadata(),
		Attachments: []envelope.Attachment{{Name: "567-QD-UBND.pdf", ContentType: "application/pdf", Size: 53113, SHA256: strings.Repeat("ab", 32)}},
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func statusPayload(t *testing.T) []byte {
	t.Helper()
	s := &envelope.Status{Kind: envelope.KindStatus, MessageID: envelope.NewMessageID(), Regarding: envelope.NewMessageID(),
		Update: document.StatusUpdate{Document: sampleMetadata().ID(), From: ngheAn, Code: document.StatusArrived, Time: time.Now()}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleReceipt() *receipt.Receipt {
	return &receipt.Receipt{Event: receipt.EventAccepted, MessageID: envelope.NewMessageID(), EnvelopeSHA256: strings.Repeat("cd", 32),
		Sender: quangNinh, Recipients: []string{ngheAn}, At: time.Now().Truncate(time.Second), Hub: "hub"}
}

// TestEverySignatureThroughOneSigner is the proof that signing takes its
// key in one place: keys that are not *ecdsa or *rsa keys, as a PKCS#11
// token's are not, sign a PDF (with a timestamp from a TSA whose key is in
// a token too), a document packet, a status packet, a receipt and a
// timestamp, each once per signature, and the existing verifiers accept
// every one.
func TestEverySignatureThroughOneSigner(t *testing.T) {
	for _, alg := range []certs.KeyAlgorithm{certs.RSA2048, certs.ECDSAP256, certs.ECDSAP384} {
		t.Run(string(alg), func(t *testing.T) {
			tk := newTokens(t, alg)
			ctx := context.Background()
			v := tk.pki.Verifier(t)

			out := filepath.Join(t.TempDir(), "signed.pdf")
			opts := pades.Options{Signer: tk.agency, Name: "Văn thư", Timestamp: tk.timestamp}
			if err := pades.SignFile(ctx, filepath.Join(pdfDir, "cong-van.pdf"), out, opts); err != nil {
				t.Fatalf("pades: %v", err)
			}
			rep := verifyPDF(t, out, tk.roots())
			if !rep.Valid() || len(rep.Signatures) != 1 || rep.Signatures[0].Level != "B-T" {
				t.Fatalf("pades report: valid %v, %+v", rep.Valid(), rep.Signatures[0])
			}
			wantCalls(t, "pdf", tk.agency, 1, tk.tsa, 1)

			doc, err := envelope.Seal(documentPayload(t), tk.agency)
			if err != nil {
				t.Fatalf("document packet: %v", err)
			}
			if _, signer, err := envelope.OpenDocument(doc, v, 0); err != nil || signer.Agency != quangNinh {
				t.Fatalf("open document packet: %v", err)
			}
			st, err := envelope.Seal(statusPayload(t), tk.recipient)
			if err != nil {
				t.Fatalf("status packet: %v", err)
			}
			if _, signer, err := envelope.OpenStatus(st, v); err != nil || signer.Agency != ngheAn {
				t.Fatalf("open status packet: %v", err)
			}
			wantCalls(t, "packets", tk.agency, 2, tk.recipient, 1)

			rec, err := receipt.Sign(sampleReceipt(), tk.hub)
			if err != nil {
				t.Fatalf("receipt: %v", err)
			}
			if _, hubCert, err := receipt.Verify(rec, v, certs.DefaultReceiptSigner); err != nil || !hubCert.Equal(tk.hub.Certificates()[0]) {
				t.Fatalf("verify receipt: %v", err)
			}
			wantCalls(t, "receipt", tk.hub, 1, tk.tsa, 1)

			data := []byte("chữ ký số")
			digest := crypto.SHA256.New()
			digest.Write(data)
			raw, err := tk.timestamp(ctx, digest.Sum(nil))
			if err != nil {
				t.Fatalf("timestamp: %v", err)
			}
			tok, err := tsa.ParseToken(raw)
			if err != nil {
				t.Fatal(err)
			}
			if err := tok.Verify(tk.roots()); err != nil {
				t.Fatalf("verify timestamp: %v", err)
			}
			if err := tok.Covers(data); err != nil {
				t.Fatal(err)
			}
			wantCalls(t, "timestamp", tk.agency, 2, tk.tsa, 2)
		})
	}
}

func wantCalls(t *testing.T, after string, a *certstest.Token, na int, b *certstest.Token, nb int) {
	t.Helper()
	if a.Calls() != na || b.Calls() != nb {
		t.Errorf("after the %s: %d and %d signatures, want %d and %d", after, a.Calls(), b.Calls(), na, nb)
	}
}

func verifyPDF(t *testing.T, path string, roots *x509.CertPool) *pades.Report {
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
	rep, err := pades.Verify(f, st.Size(), pades.VerifyOptions{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

var errRemoved = errors.New("token removed")

// TestBrokenToken checks that a token that fails mid-signing (pulled out)
// or returns a wrong signature makes every signing function fail and write
// nothing: no packet, no receipt, no token, no PDF and no temporary file.
func TestBrokenToken(t *testing.T) {
	for _, mode := range []string{"removed", "wrong signature"} {
		t.Run(mode, func(t *testing.T) {
			tk := newTokens(t, certs.ECDSAP256)
			wantErr := errRemoved
			for _, token := range []*certstest.Token{tk.agency, tk.recipient, tk.hub, tk.tsa} {
				if mode == "removed" {
					token.Fail(errRemoved)
				} else {
					token.Corrupt()
					wantErr = cms.ErrBadSignature
				}
			}
			ctx := context.Background()
			dir := t.TempDir()
			for name, opts := range map[string]pades.Options{
				"pdf":                        {Signer: tk.agency},
				"pdf timestamped by the tsa": {Signer: certstest.NewToken(tk.pki.Agency(t, quangNinh, "UBND")), Timestamp: tk.timestamp},
			} {
				err := pades.SignFile(ctx, filepath.Join(pdfDir, "cong-van.pdf"), filepath.Join(dir, "out.pdf"), opts)
				if err == nil {
					t.Fatalf("%s: signed with a broken token", name)
				}
				if opts.Timestamp == nil && !errors.Is(err, wantErr) {
					t.Errorf("%s: err = %v, want %v", name, err, wantErr)
				}
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("files left behind: %v", left)
			}
			if out, err := envelope.Seal(documentPayload(t), tk.agency); err == nil || out != nil || !errors.Is(err, wantErr) {
				t.Errorf("document packet: %d bytes, err %v", len(out), err)
			}
			if out, err := envelope.Seal(statusPayload(t), tk.recipient); err == nil || out != nil || !errors.Is(err, wantErr) {
				t.Errorf("status packet: %d bytes, err %v", len(out), err)
			}
			if out, err := receipt.Sign(sampleReceipt(), tk.hub); err == nil || out != nil || !errors.Is(err, wantErr) {
				t.Errorf("receipt: %d bytes, err %v", len(out), err)
			}
			if out, err := tk.timestamp(ctx, make([]byte, 32)); err == nil || out != nil || !errors.Is(err, tsa.ErrRejected) {
				t.Errorf("timestamp: %d bytes, err %v", len(out), err)
			}
		})
	}
}

func TestOpenSigner(t *testing.T) {
	p := certstest.New(t)
	kp := p.Agency(t, quangNinh, "UBND tỉnh Quảng Ninh")
	other := p.Agency(t, ngheAn, "UBND tỉnh Nghệ An")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	plain, err := certs.EncodeKeyPEM(kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := certs.EncryptKeyPEM(kp.Key, []byte("mật khẩu"))
	if err != nil {
		t.Fatal(err)
	}
	p12, err := certs.EncodePKCS12(kp, "mật khẩu")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := certs.EncodeKeyPEM(other.Key)
	if err != nil {
		t.Fatal(err)
	}
	crt := write("qn.crt", kp.CertificatePEM())
	key := write("qn.key", plain)
	enc := write("qn-enc.key", sealed)
	p12Path := write("qn.p12", p12)
	wrongKey := write("na.key", otherKey)
	pass := []byte("mật khẩu")

	tests := []struct {
		name    string
		ref     certs.SignerRef
		wantErr error  // sentinel, when there is one
		errText string // otherwise, part of the message
	}{
		{name: "key file", ref: certs.SignerRef{Cert: crt, Key: key}},
		{name: "encrypted key file", ref: certs.SignerRef{Cert: crt, Key: enc, Passphrase: pass}},
		{name: "encrypted key without passphrase", ref: certs.SignerRef{Cert: crt, Key: enc}, wantErr: certs.ErrPassphraseNeeded},
		{name: "encrypted key, wrong passphrase", ref: certs.SignerRef{Cert: crt, Key: enc, Passphrase: []byte("sai")}, wantErr: certs.ErrWrongPassphrase},
		{name: "pkcs12", ref: certs.SignerRef{P12: p12Path, Passphrase: pass}},
		{name: "pkcs12, wrong passphrase", ref: certs.SignerRef{P12: p12Path, Passphrase: []byte("sai")}, wantErr: certs.ErrWrongPassphrase},
		{name: "pkcs12 missing", ref: certs.SignerRef{P12: filepath.Join(dir, "none.p12"), Passphrase: pass}, wantErr: os.ErrNotExist},
		{name: "key of another certificate", ref: certs.SignerRef{Cert: crt, Key: wrongKey}, errText: "does not match"},
		{name: "pkcs11 URI", ref: certs.SignerRef{Cert: crt, Key: "pkcs11:token=VNPT-CA;object=ky-so"}, wantErr: certs.ErrTokenUnsupported},
		{name: "pkcs12 and key", ref: certs.SignerRef{P12: p12Path, Key: key, Passphrase: pass}, errText: "not both"},
		{name: "key without certificate", ref: certs.SignerRef{Key: key}, errText: "no signing key named"},
		{name: "nothing", errText: "no signing key named"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := certs.OpenSigner(tt.ref)
			if tt.wantErr == nil && tt.errText == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !got.Leaf.Equal(kp.Leaf) || !certs.SameKey(got, kp.Leaf.PublicKey) || len(got.Certificates()) != len(kp.Certificates()) {
					t.Errorf("opened %q with %d certificates", got.Leaf.Subject.CommonName, len(got.Certificates()))
				}
				return
			}
			if err == nil {
				t.Fatal("opened")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("err = %v, want it to say %q", err, tt.errText)
			}
		})
	}
}

// TestSignatureAlgorithm checks the decision table, and that it looks at the
// public key only: a key in a token decides as the same key in memory.
func TestSignatureAlgorithm(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name     string
		key      crypto.Signer
		hash     crypto.Hash
		want     x509.SignatureAlgorithm
		wantHash crypto.Hash
	}{
		{"p-256 sha-256", p256, crypto.SHA256, x509.ECDSAWithSHA256, crypto.SHA256},
		{"p-384 sha-256", p384, crypto.SHA256, x509.ECDSAWithSHA256, crypto.SHA384},
		{"p-384 sha-384", p384, crypto.SHA384, x509.ECDSAWithSHA384, crypto.SHA384},
		{"p-521 sha-512", p521, crypto.SHA512, x509.ECDSAWithSHA512, crypto.SHA512},
		{"rsa sha-256", rsa2048, crypto.SHA256, x509.SHA256WithRSA, crypto.SHA256},
		{"rsa sha-384", rsa2048, crypto.SHA384, x509.SHA384WithRSA, crypto.SHA256},
		{"rsa sha-512", rsa2048, crypto.SHA512, x509.SHA512WithRSA, crypto.SHA256},
		{"rsa-1024", rsa1024, crypto.SHA256, x509.UnknownSignatureAlgorithm, crypto.SHA256},
		{"ed25519", ed, crypto.SHA256, x509.UnknownSignatureAlgorithm, crypto.SHA256},
		{"sha-1", p256, crypto.SHA1, x509.UnknownSignatureAlgorithm, crypto.SHA256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := certstest.NewToken(&certs.KeyPair{Key: tt.key})
			for _, pub := range []crypto.PublicKey{tt.key.Public(), token.Public()} {
				got, err := certs.SignatureAlgorithm(pub, tt.hash)
				if tt.want == x509.UnknownSignatureAlgorithm {
					if !errors.Is(err, certs.ErrUnsupportedKey) {
						t.Errorf("err = %v, want ErrUnsupportedKey", err)
					}
					continue
				}
				if err != nil || got != tt.want {
					t.Errorf("SignatureAlgorithm = %v, %v; want %v", got, err, tt.want)
				}
				if h := certs.SigningHash(pub); h != tt.wantHash {
					t.Errorf("SigningHash = %v, want %v", h, tt.wantHash)
				}
			}
		})
	}
}

func TestNeedsSignatureCheck(t *testing.T) {
	p := certstest.New(t)
	kp := p.Agency(t, quangNinh, "UBND tỉnh Quảng Ninh")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	token := certstest.NewToken(kp)
	tests := []struct {
		name   string
		signer crypto.Signer
		want   bool
	}{
		{"ecdsa key in memory", kp.Key, false},
		{"rsa key in memory", rsaKey, false},
		{"key pair of a key in memory", kp, false},
		{"token", token, true},
		{"key pair of a token's key", &certs.KeyPair{Leaf: kp.Leaf, Key: token}, true},
	}
	for _, tt := range tests {
		if got := certs.NeedsSignatureCheck(tt.signer); got != tt.want {
			t.Errorf("%s: NeedsSignatureCheck = %v, want %v", tt.name, got, tt.want)
		}
	}
}
