package pades

import (
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
)

// TestProvenSigningTime: revocation and validity are judged at the time a
// timestamp proves, else now; never at the signer's claimed time.
func TestProvenSigningTime(t *testing.T) {
	p := getPKI(t)
	tsf := startTSA(t)
	crl := func(at time.Time, kps ...*certs.KeyPair) *x509.RevocationList {
		var rv []certs.Revocation
		for _, kp := range kps {
			rv = append(rv, certs.Revocation{Serial: kp.Leaf.SerialNumber, Time: at, Reason: 1})
		}
		der, err := p.issuing.CRL(rv, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	issue := func(t *testing.T, validFrom time.Time, validity time.Duration) *certs.KeyPair {
		ca := *p.issuing
		ca.Now = func() time.Time { return validFrom }
		kp, err := ca.IssuePerson(certs.PersonRequest{FullName: "Nguyễn Văn An", Position: "Giám đốc", Agency: "000.00.00.H49", Validity: validity}, certs.ECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		return kp
	}
	sign := func(t *testing.T, kp *certs.KeyPair, stamped bool) string {
		opts := optsFor(kp)
		if stamped {
			opts.Timestamp = tsf
		}
		return signTestFile(t, "testdata/cong-van.pdf", filepath.Join(t.TempDir(), "signed.pdf"), opts)
	}

	t.Run("revoked after the timestamp: valid, reported revoked later", func(t *testing.T) {
		kp := issue(t, time.Now(), 0)
		out := sign(t, kp, true)
		rep := verifyFile(t, out, VerifyOptions{Roots: p.roots, CRLs: []*x509.RevocationList{crl(time.Now().Add(time.Minute), kp)}, Now: time.Now().Add(time.Hour)})
		s := rep.Signatures[0]
		if !rep.Valid() || s.Revocation != RevocationRevokedLater || s.RevokedAt == nil || s.TimestampTime == nil {
			t.Fatalf("valid=%v revocation=%q revokedAt=%v problems=%v", rep.Valid(), s.Revocation, s.RevokedAt, s.Problems)
		}
	})
	t.Run("revoked before the timestamp: invalid", func(t *testing.T) {
		kp := issue(t, time.Now().Add(-time.Hour), 0)
		out := sign(t, kp, true)
		rep := verifyFile(t, out, VerifyOptions{Roots: p.roots, CRLs: []*x509.RevocationList{crl(time.Now().Add(-time.Minute), kp)}})
		if s := rep.Signatures[0]; rep.Valid() || s.Revocation != RevocationRevoked {
			t.Fatalf("valid=%v revocation=%q", rep.Valid(), s.Revocation)
		}
	})
	t.Run("revoked, no timestamp: invalid whatever the claimed time", func(t *testing.T) {
		kp := issue(t, time.Now(), 0)
		out := sign(t, kp, false)
		rep := verifyFile(t, out, VerifyOptions{Roots: p.roots, CRLs: []*x509.RevocationList{crl(time.Now().Add(time.Minute), kp)}, Now: time.Now().Add(time.Hour)})
		if s := rep.Signatures[0]; rep.Valid() || s.Revocation != RevocationRevoked {
			t.Fatalf("valid=%v revocation=%q", rep.Valid(), s.Revocation)
		}
	})
	t.Run("expired certificate, no timestamp: indeterminate", func(t *testing.T) {
		// Signed while valid (the claimed time is inside the validity),
		// verified after expiry: nothing proves when it was signed.
		kp := issue(t, time.Now().Add(-time.Minute), 24*time.Hour)
		out := sign(t, kp, false)
		rep := verifyFile(t, out, VerifyOptions{Roots: p.roots, Now: time.Now().Add(48 * time.Hour)})
		s := rep.Signatures[0]
		if rep.Valid() || !s.Indeterminate || len(s.Problems) != 1 || !strings.HasPrefix(s.Problems[0], "indeterminate:") {
			t.Fatalf("valid=%v indeterminate=%v problems=%v", rep.Valid(), s.Indeterminate, s.Problems)
		}
		// The same file with a timestamp made while the certificate was
		// valid stays valid after expiry.
		out = sign(t, kp, true)
		if rep := verifyFile(t, out, VerifyOptions{Roots: p.roots, Now: time.Now().Add(48 * time.Hour)}); !rep.Valid() {
			t.Fatalf("timestamped signature after expiry: %v", rep.Signatures[0].Problems)
		}
	})
}

// TestOnlyDocumentSignersSign: a hub's, a timestamping authority's or the
// receipt identity's certificate, chained to the same root, signs no
// document.
func TestOnlyDocumentSignersSign(t *testing.T) {
	p := getPKI(t)
	hub, err := p.issuing.IssueHub(certs.HubRequest{DNSNames: []string{"localhost"}}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	tsaKP, err := p.issuing.IssueTimestamping(certs.TimestampingRequest{CommonName: "TSA"}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	receipts, err := p.issuing.IssueReceipt(certs.ReceiptRequest{Name: certs.DefaultReceiptSigner}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		kp    *certs.KeyPair
		valid bool
	}{{"person", p.person, true}, {"agency", p.agency, true}, {"hub", hub, false}, {"tsa", tsaKP, false}, {"receipts", receipts, false}} {
		t.Run(tt.name, func(t *testing.T) {
			out := signTestFile(t, "testdata/cong-van.pdf", filepath.Join(t.TempDir(), "signed.pdf"), optsFor(tt.kp))
			rep := verifyFile(t, out, VerifyOptions{Roots: p.roots})
			if rep.Valid() != tt.valid {
				t.Fatalf("valid = %v, want %v: %v", rep.Valid(), tt.valid, rep.Signatures[0].Problems)
			}
			if !tt.valid && !strings.Contains(strings.Join(rep.Signatures[0].Problems, "; "), "not a document signer") {
				t.Fatalf("problems %v do not say why", rep.Signatures[0].Problems)
			}
		})
	}
}
