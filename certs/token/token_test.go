//go:build cgo

package token_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/certs/token"
	"lienthong/certs/token/tokentest"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
)

const testPDF = "../../shared/pades/testdata/cong-van.pdf"

// pin answers with the token's PIN and counts the prompts.
func pin(tok *tokentest.Token, asked *int) token.PINPrompt {
	return token.PINFunc(func(label string) ([]byte, error) {
		if label != tok.Label {
			return nil, errors.New("asked for another token")
		}
		*asked++
		return []byte(tok.PIN), nil
	})
}

func agency(t *testing.T, p *certstest.PKI, code string, alg certs.KeyAlgorithm) *certs.KeyPair {
	t.Helper()
	kp, err := p.Issuing.IssueAgency(certs.AgencyRequest{Code: certs.AgencyCode(code), Name: "Sở Tư pháp"}, alg)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// TestSignOnToken signs a PDF and an envelope with RSA-2048 and ECDSA
// P-256 keys kept in SoftHSM2 and verifies both with the test PKI.
func TestSignOnToken(t *testing.T) {
	for _, alg := range []certs.KeyAlgorithm{certs.RSA2048, certs.ECDSAP256} {
		t.Run(string(alg), func(t *testing.T) {
			p := certstest.New(t)
			want := agency(t, p, "000.00.01.H01", alg)
			tok := tokentest.New(t, "Con dau")
			tok.Import(t, want, "con-dau", 1, true)
			asked := 0
			kp, err := token.Open(tok.URI("con-dau"), token.Options{PIN: pin(tok, &asked)})
			if err != nil {
				t.Fatal(err)
			}
			defer kp.Key.(*token.Key).Close()
			if asked != 1 {
				t.Errorf("PIN asked %d times, want 1", asked)
			}
			if !kp.Leaf.Equal(want.Leaf) || len(kp.Chain) != len(want.Chain) {
				t.Fatalf("certificates from the token: leaf %q, chain of %d; want %q and %d", kp.Leaf.Subject, len(kp.Chain), want.Leaf.Subject, len(want.Chain))
			}
			if !certs.NeedsSignatureCheck(kp) {
				t.Error("a token's signatures must be checked by their users")
			}

			out := filepath.Join(t.TempDir(), "signed.pdf")
			if err := pades.SignFile(context.Background(), testPDF, out, pades.Options{Signer: kp, Name: "Sở Tư pháp"}); err != nil {
				t.Fatal(err)
			}
			signed, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AddCert(p.Root.Cert)
			rep, err := pades.Verify(bytes.NewReader(signed), int64(len(signed)), pades.VerifyOptions{Roots: roots})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Valid() {
				t.Fatalf("the PDF signed on the token is not valid: %+v", rep.Signatures[0].Problems)
			}

			packet, err := envelope.Seal([]byte(`{"kind":"test"}`), kp)
			if err != nil {
				t.Fatal(err)
			}
			pk, err := envelope.Decode(packet)
			if err != nil {
				t.Fatal(err)
			}
			s, err := pk.Verify(p.Verifier(t), time.Time{})
			if err != nil {
				t.Fatalf("the envelope sealed on the token: %v", err)
			}
			if s.Agency != "000.00.01.H01" {
				t.Errorf("envelope signed by %q", s.Agency)
			}
		})
	}
}

// TestPSS signs RSASSA-PSS in the token when the options ask for it.
func TestPSS(t *testing.T) {
	p := certstest.New(t)
	want := agency(t, p, "000.00.01.H01", certs.RSA2048)
	tok := tokentest.New(t, "Con dau")
	tok.Import(t, want, "k", 1, true)
	asked := 0
	kp, err := token.Open(tok.URI(""), token.Options{PIN: pin(tok, &asked)})
	if err != nil {
		t.Fatal(err)
	}
	defer kp.Key.(*token.Key).Close()
	digest := sha256.Sum256([]byte("văn bản"))
	opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	sig, err := kp.Sign(rand.Reader, digest[:], opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(want.Leaf.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest[:], sig, opts); err != nil {
		t.Fatalf("PSS signature from the token: %v", err)
	}
}

// TestOpenRefuses checks each way Open refuses a token or key, with its
// sentinel, and that a refused open asks no PIN it should not.
func TestOpenRefuses(t *testing.T) {
	p := certstest.New(t)
	mine := agency(t, p, "000.00.01.H01", certs.ECDSAP256)
	other := agency(t, p, "000.00.01.H02", certs.ECDSAP256)
	tok := tokentest.New(t, "Con dau")
	tok.Import(t, mine, "con-dau", 1, true)
	tok.Import(t, other, "khong-ky", 2, true)
	tok.Import(t, other, "khong-chung-thu", 3, false)
	tok.DenySign(t, "khong-ky")
	wrongPIN := token.PINFunc(func(string) ([]byte, error) { return []byte("000000"), nil })
	asked := 0
	tests := []struct {
		name string
		uri  string
		opts token.Options
		want error
	}{
		{"wrong PIN", tok.URI("con-dau"), token.Options{PIN: wrongPIN}, token.ErrWrongPIN},
		{"no PIN prompt", tok.URI("con-dau"), token.Options{}, token.ErrPINNeeded},
		{"another token", "pkcs11:token=Khac?module-path=" + tok.Module, token.Options{PIN: pin(tok, &asked)}, token.ErrTokenNotFound},
		{"no such key", tok.URI("khong-co"), token.Options{PIN: pin(tok, &asked)}, token.ErrKeyNotFound},
		{"several keys", tok.URI(""), token.Options{PIN: pin(tok, &asked)}, token.ErrKeyAmbiguous},
		{"key may not sign", tok.URI("khong-ky"), token.Options{PIN: pin(tok, &asked)}, token.ErrKeyCannotSign},
		{"no certificate", tok.URI("khong-chung-thu"), token.Options{PIN: pin(tok, &asked)}, token.ErrNoCertificate},
		{"certificate of another key", tok.URI("con-dau"), token.Options{PIN: pin(tok, &asked), Certificates: other.Certificates()}, token.ErrCertMismatch},
		{"no module", "pkcs11:token=Con%20dau?module-path=/nonexistent/module.so", token.Options{PIN: pin(tok, &asked)}, token.ErrModule},
		{"PIN in the URI", tok.URI("con-dau") + "&pin-value=123456", token.Options{PIN: pin(tok, &asked)}, token.ErrBadURI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kp, err := token.Open(tt.uri, tt.opts)
			if !errors.Is(err, tt.want) {
				if kp != nil {
					kp.Key.(*token.Key).Close()
				}
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
		})
	}
	// A key without its certificate object opens with the certificate given.
	kp, err := token.Open(tok.URI("khong-chung-thu"), token.Options{PIN: pin(tok, &asked), Certificates: other.Certificates()})
	if err != nil {
		t.Fatalf("open with the certificate given: %v", err)
	}
	kp.Key.(*token.Key).Close()
}

// TestFaults drives the faults SoftHSM cannot make through a layer over
// the module: a locked PIN, and a token pulled out during a signature,
// which leaves no signed file behind.
func TestFaults(t *testing.T) {
	p := certstest.New(t)
	kp0 := agency(t, p, "000.00.01.H01", certs.ECDSAP256)
	tok := tokentest.New(t, "Con dau")
	tok.Import(t, kp0, "con-dau", 1, true)
	asked := 0

	t.Run("PIN locked", func(t *testing.T) {
		token.InjectFault(t, "login", pkcs11.CKR_PIN_LOCKED, 0)
		_, err := token.Open(tok.URI("con-dau"), token.Options{PIN: pin(tok, &asked)})
		var te *token.Error
		if !errors.Is(err, token.ErrPINLocked) || !errors.As(err, &te) || te.Code != pkcs11.CKR_PIN_LOCKED {
			t.Fatalf("Open = %v, want ErrPINLocked with its code", err)
		}
	})
	for _, code := range []uint{pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_PRESENT} {
		t.Run("removed mid-signature", func(t *testing.T) {
			token.InjectFault(t, "sign", code, 1) // Open's own check signs once
			kp, err := token.Open(tok.URI("con-dau"), token.Options{PIN: pin(tok, &asked)})
			if err != nil {
				t.Fatal(err)
			}
			defer kp.Key.(*token.Key).Close()
			out := filepath.Join(t.TempDir(), "signed.pdf")
			err = pades.SignFile(context.Background(), testPDF, out, pades.Options{Signer: kp})
			if !errors.Is(err, token.ErrTokenRemoved) {
				t.Fatalf("SignFile = %v, want ErrTokenRemoved", err)
			}
			entries, _ := os.ReadDir(filepath.Dir(out))
			if len(entries) != 0 {
				t.Errorf("a failed signature left %d files behind", len(entries))
			}
			if _, err := envelope.Seal([]byte(`{}`), kp); !errors.Is(err, token.ErrTokenRemoved) {
				t.Errorf("Seal after removal = %v, want ErrTokenRemoved", err)
			}
		})
	}
}
