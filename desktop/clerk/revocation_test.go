package clerk_test

import (
	"context"
	"crypto"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/desktop/clerk"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/pades"
	"lienthong/shared/tsa"
)

// TestRevocationAtProvenTime runs the real clerk against a real hub that
// serves the PKI's CRL: the clerk fetches it, keeps it until its next
// update, and judges each signer's revocation at the proven signing time.
func TestRevocationAtProvenTime(t *testing.T) {
	pki := certstest.New(t)
	crlFile := filepath.Join(t.TempDir(), "ca.crl")
	publish := func() {
		t.Helper()
		if err := os.WriteFile(crlFile, certs.EncodeCRLPEM(pki.CRL(t).Raw), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	publish()
	h := hubtest.Start(t, hubtest.Options{PKI: pki, Configure: func(c *config.Config) { c.CRLs = []string{crlFile} }})
	reload := func() {
		t.Helper()
		publish()
		if err := h.ReloadCRLs(); err != nil {
			t.Fatal(err)
		}
	}

	// A TSA of the same PKI.
	ts := &tsa.Server{Signer: pki.TSA(t), Logger: testLogger(t)}
	if err := ts.Validate(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ts)
	t.Cleanup(srv.Close)
	stampFunc := func(ctx context.Context, digest []byte) ([]byte, error) {
		return tsa.Request(ctx, srv.Client(), srv.URL, digest, crypto.SHA256)
	}
	sign := func(kp *certs.KeyPair, stamped bool) string {
		t.Helper()
		opts := pades.Options{Signer: kp, Reason: "Ký ban hành"}
		if stamped {
			opts.Timestamp = stampFunc
		}
		out := filepath.Join(t.TempDir(), "signed.pdf")
		if err := pades.SignFile(context.Background(), pdf("cong-van.pdf"), out, opts); err != nil {
			t.Fatal(err)
		}
		return out
	}

	signer := pki.Person(t, "Nguyễn Văn Hùng", "Phó Chủ tịch", quangNinh)
	stamped, unstamped := sign(signer, true), sign(signer, false)
	fired := pki.Person(t, "Trần Thị Bình", "Giám đốc", quangNinh)
	pki.Revoke(fired.Leaf) // a second ago
	byFired := sign(fired, false)
	reload()

	var skew atomic.Int64 // the clerk's clock runs this far ahead
	home := filepath.Join(t.TempDir(), "clerk")
	initClerk(t, h, ngheAn, home)
	c, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	verify := func(path string) *pades.SignatureReport {
		t.Helper()
		rep, err := c.VerifyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Signatures[0]
	}

	// A signer revoked before it signed: invalid. The first verification
	// fetched the CRL from the hub.
	if s := verify(byFired); s.Valid() || s.Revocation != pades.RevocationRevoked {
		t.Fatalf("signed by an already revoked signer: valid=%v revocation=%q problems=%v", s.Valid(), s.Revocation, s.Problems)
	}
	if n := crlRequests(t, h); n != 1 {
		t.Fatalf("CRL fetched %v times, want 1", n)
	}
	if s := verify(stamped); !s.Valid() || s.Revocation != pades.RevocationGood {
		t.Fatalf("before the revocation: valid=%v revocation=%q problems=%v", s.Valid(), s.Revocation, s.Problems)
	}

	// The signer is revoked after the timestamp (CRL times are whole
	// seconds: two seconds after it). The clerk's cached list is current,
	// so it does not ask again until its next update.
	pki.RevokeAt(signer.Leaf, time.Now().Add(2*time.Second))
	reload()
	if s := verify(stamped); s.Revocation != pades.RevocationGood || crlRequests(t, h) != 1 {
		t.Fatalf("refetched before the next update: revocation=%q fetches=%v", s.Revocation, crlRequests(t, h))
	}
	// The cache survives a restart of the clerk.
	c.Close()
	c, err = clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if verify(stamped); crlRequests(t, h) != 1 {
		t.Fatalf("a reopened clerk refetched a current CRL: %v fetches", crlRequests(t, h))
	}

	// Past the next update the clerk fetches the new list: the timestamp
	// proves the signature came first, so it stays valid, revoked later;
	// without a timestamp nothing proves that, and it is invalid.
	skew.Store(int64(certs.CRLValidity + time.Hour))
	s := verify(stamped)
	if !s.Valid() || s.Revocation != pades.RevocationRevokedLater || s.RevokedAt == nil || crlRequests(t, h) != 2 {
		t.Fatalf("revoked after the timestamp: valid=%v revocation=%q revokedAt=%v problems=%v fetches=%v", s.Valid(), s.Revocation, s.RevokedAt, s.Problems, crlRequests(t, h))
	}
	if s := verify(unstamped); s.Valid() || s.Revocation != pades.RevocationRevoked {
		t.Fatalf("revoked, no timestamp: valid=%v revocation=%q", s.Valid(), s.Revocation)
	}
}

// crlRequests counts the CRL requests the hub answered.
func crlRequests(t *testing.T, h *hubtest.Hub) float64 {
	t.Helper()
	families, err := h.Server.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() != "lienthong_hub_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && l.GetValue() == "GET /v1/pki/crl" {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}
