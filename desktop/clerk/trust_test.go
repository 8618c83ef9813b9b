package clerk_test

import (
	"context"
	"crypto"
	"net/http"
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
	return h.Requests(t, "route", "GET /v1/pki/crl")
}

// TestClerkTrustPolicy: the real clerk refuses a document signed by a
// certificate that is no person's or agency's (the hub's own, under the
// same root), and calls an untimestamped signature whose certificate has
// expired since indeterminate rather than trusting the signer's date.
func TestClerkTrustPolicy(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	c := newClerk(t, h, ngheAn)
	sign := func(kp *certs.KeyPair, at time.Time) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "signed.pdf")
		if err := pades.SignFile(context.Background(), pdf("cong-van.pdf"), out, pades.Options{Signer: kp, Time: at}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// A certificate valid for a day, used today; the clerk judges it two
	// days later, when the signer's own date is still inside the validity.
	shortLived, err := h.PKI.Issuing.IssuePerson(certs.PersonRequest{FullName: "Đỗ Thị Cúc", Position: "Phó Giám đốc", Agency: quangNinh, Validity: 24 * time.Hour}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "later")
	initClerk(t, h, quangNinh, home)
	later, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), Now: func() time.Time { return time.Now().Add(48 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { later.Close() })
	rep, err := later.VerifyFile(sign(shortLived, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Signatures[0]; rep.Valid() || !s.Indeterminate {
		t.Fatalf("expired since, no timestamp: valid=%v indeterminate=%v problems=%v", rep.Valid(), s.Indeterminate, s.Problems)
	}
	for _, tt := range []struct {
		name, path    string
		indeterminate bool
	}{
		{"signed by the hub's TLS certificate", sign(h.Identity, time.Now()), false},
		{"signed by the hub's receipt identity", sign(h.Receipts, time.Now()), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := c.VerifyFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if s := rep.Signatures[0]; rep.Valid() || s.Indeterminate != tt.indeterminate {
				t.Fatalf("valid=%v indeterminate=%v problems=%v", rep.Valid(), s.Indeterminate, s.Problems)
			}
		})
	}
	// A person of the agency signs.
	if rep, err := c.VerifyFile(sign(h.PKI.Person(t, "Nguyễn Văn Hùng", "Phó Chủ tịch", quangNinh), time.Now())); err != nil || !rep.Valid() {
		t.Fatalf("a person's signature: %v %v", err, rep.Signatures[0].Problems)
	}
}

// TestClerkPinsReceiptIdentity: a clerk counts the hub's receipts only from
// the receipt identity it is configured with; one configured with another
// name shows no receipt and no "delivered" (01) from them, while a clerk
// with the hub's name shows both.
func TestClerkPinsReceiptIdentity(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	p12, err := certs.EncodePKCS12(h.Agencies[quangNinh].Key, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "qn")
	if err := clerk.Init(clerk.InitOptions{Home: home, Passphrase: passphrase, P12: p12, P12Passphrase: "p12-pass",
		HubAddr: h.Addr, ServerName: "localhost", RootsPEM: h.PKI.RootPEM(), ReceiptSigner: "another-hub"}); err != nil {
		t.Fatal(err)
	}
	pinnedElsewhere, na := openClerk(t, home), newClerk(t, h, ngheAn)
	toNA, err := pinnedElsewhere.Issue(ctx, draft(t, "cong-van.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	toQN, err := na.Issue(ctx, draft(t, "bao-cao.pdf", quangNinh))
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, pinnedElsewhere, na, pinnedElsewhere, na)
	mine, err := pinnedElsewhere.Document(toNA)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.Receipts) != 0 || len(mine.Recipients[0].History) != 0 {
		t.Fatalf("receipts of an identity the clerk does not pin: %d receipts, %d statuses", len(mine.Receipts), len(mine.Recipients[0].History))
	}
	theirs, err := na.Document(toQN)
	if err != nil {
		t.Fatal(err)
	}
	if len(theirs.Receipts) != 2 || len(theirs.Recipients[0].History) == 0 {
		t.Fatalf("the hub's receipts under its own name: %d receipts, %d statuses", len(theirs.Receipts), len(theirs.Recipients[0].History))
	}
}

// TestCRLFromDistributionPoint: when the hub cannot answer, the clerk
// fetches the CRL from its certificate's distribution point.
func TestCRLFromDistributionPoint(t *testing.T) {
	pki := certstest.New(t)
	var hits atomic.Int64
	cdp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write(certs.EncodeCRLPEM(pki.CRL(t).Raw))
	}))
	t.Cleanup(cdp.Close)
	pki.Issuing.CRLURL = cdp.URL + "/ca.crl" // written into the agencies' certificates
	h := hubtest.Start(t, hubtest.Options{PKI: pki})
	home := filepath.Join(t.TempDir(), "clerk")
	initClerk(t, h, ngheAn, home)
	h.Stop()
	c, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), DisableQUIC: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fired := pki.Person(t, "Trần Thị Bình", "Giám đốc", quangNinh)
	pki.Revoke(fired.Leaf)
	out := filepath.Join(t.TempDir(), "signed.pdf")
	if err := pades.SignFile(context.Background(), pdf("cong-van.pdf"), out, pades.Options{Signer: fired}); err != nil {
		t.Fatal(err)
	}
	rep, err := c.VerifyFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Signatures[0]; rep.Valid() || s.Revocation != pades.RevocationRevoked || hits.Load() != 1 {
		t.Fatalf("valid=%v revocation=%q distribution point fetched %d times", rep.Valid(), s.Revocation, hits.Load())
	}
}

// TestReceivedFromRevokedSigner: through the real receive path, a document
// whose competent person was revoked before signing arrives marked
// invalid, the report saying so; the agency's own signature stays valid.
func TestReceivedFromRevokedSigner(t *testing.T) {
	pki := certstest.New(t)
	person := pki.Person(t, "Trần Thị Bình", "Giám đốc", quangNinh)
	pki.Revoke(person.Leaf)
	crlFile := filepath.Join(t.TempDir(), "ca.crl")
	if err := os.WriteFile(crlFile, certs.EncodeCRLPEM(pki.CRL(t).Raw), 0o644); err != nil {
		t.Fatal(err)
	}
	h := hubtest.Start(t, hubtest.Options{PKI: pki, Configure: func(c *config.Config) { c.CRLs = []string{crlFile} }})
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	signed := filepath.Join(t.TempDir(), "cong-van.pdf")
	if err := pades.SignFile(ctx, pdf("cong-van.pdf"), signed, pades.Options{Signer: person}); err != nil {
		t.Fatal(err)
	}
	d := draft(t, "cong-van.pdf", ngheAn)
	d.Files = []string{signed}
	id, err := qn.Issue(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn, na)
	v, err := na.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Report == nil || len(v.Report.Signatures) != 2 || v.Report.Valid() {
		t.Fatalf("report of a document signed by a revoked person: %+v", v.Report)
	}
	if s := v.Report.Signatures[0]; s.Revocation != pades.RevocationRevoked || s.RevokedAt == nil {
		t.Fatalf("the person's signature: revocation %q", s.Revocation)
	}
	if s := v.Report.Signatures[1]; !s.Valid() || s.Revocation != pades.RevocationGood {
		t.Fatalf("the agency's signature: %v %q", s.Problems, s.Revocation)
	}
}
