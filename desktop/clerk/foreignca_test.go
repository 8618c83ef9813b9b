package clerk_test

import (
	"context"
	"crypto/x509"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
	"lienthong/shared/pades"
)

// signPDF signs src with each signer in turn (the person first, then the
// seal, as ND30 orders them) and returns the signed file's path.
func signPDF(t *testing.T, src string, signers ...certs.Signer) string {
	t.Helper()
	for i, s := range signers {
		out := filepath.Join(t.TempDir(), "signed.pdf")
		if err := pades.SignFile(context.Background(), src, out, pades.Options{Signer: s, Name: s.Certificates()[0].Subject.CommonName}); err != nil {
			t.Fatalf("signature %d: %v", i+1, err)
		}
		src = out
	}
	return src
}

// TestForeignSigners: a receiving clerk verifies the PDF signatures of a
// person and an agency whose certificates come from another CA
// (Ban Cơ yếu style, no urn:lienthong: name) with what the hub's
// directory gives it: the foreign root and the registrations. Before it
// has synced the directory, and for a certificate nobody registered, the
// signatures are not valid; a registration removed at the hub stops
// counting at the clerk's next directory refresh.
func TestForeignSigners(t *testing.T) {
	bcy := certstest.NewForeign(t, "Ban Cơ yếu Chính phủ")
	h := hubtest.Start(t, hubtest.Options{ForeignRoots: []*x509.Certificate{bcy.Root}})
	ctx := ctxT(t)
	seal := bcy.Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng UBND tỉnh", "5700100256")
	person := bcy.Person(t, "Nguyễn Văn An", "Ủy ban nhân dân tỉnh Quảng Ninh", "022080000123")
	stranger := bcy.Person(t, "Trần Văn Bình", "Ủy ban nhân dân tỉnh Quảng Ninh", "022080000999")
	setRegistrations(t, h, quangNinh,
		certs.Registration{SHA256: certs.FingerprintOf(seal.Leaf), Role: certs.RoleAgency},
		certs.Registration{SHA256: certs.FingerprintOf(person.Leaf), Role: certs.RolePerson, Person: "Nguyễn Văn An"})
	signed := signPDF(t, pdf("cong-van.pdf"), person, seal)
	unregistered := signPDF(t, pdf("cong-van.pdf"), stranger)

	c := newClerk(t, h, vpcp)
	verify := func(path string) *pades.Report {
		t.Helper()
		rep, err := c.VerifyFile(path)
		if err != nil || len(rep.Signatures) == 0 {
			t.Fatalf("verify: %v", err)
		}
		return rep
	}
	if rep := verify(signed); rep.Valid() {
		t.Fatal("before the directory is synced, another CA's signatures are valid")
	}
	mustSync(t, ctx, c)
	rep := verify(signed)
	if !rep.Valid() || len(rep.Signatures) != 2 {
		t.Fatalf("after the sync: valid=%v, %d signatures: %+v", rep.Valid(), len(rep.Signatures), problems(rep))
	}
	// ND30's roles, decided by the one rule (certs.Identify with the
	// directory's registrations).
	signers := c.Signers(rep)
	if signers[0].Role != clerk.RolePerson || signers[0].Agency != quangNinh || signers[0].Name != "Nguyễn Văn An" ||
		signers[1].Role != clerk.RoleAgency || signers[1].Agency != quangNinh || signers[1].AgencyName == "" {
		t.Fatalf("signers = %+v", signers)
	}
	rep = verify(unregistered)
	if rep.Valid() || !strings.Contains(strings.Join(problems(rep), " "), "not registered") {
		t.Fatalf("an unregistered signer: valid=%v, problems %q", rep.Valid(), problems(rep))
	}
	if s := c.Signers(rep)[0]; s.Role != clerk.RoleOther || s.Agency != "" || !strings.Contains(s.AgencyError, "not registered") {
		t.Fatalf("an unregistered signer: %+v", s)
	}

	// The clerk keeps what it synced: a clerk opened again verifies offline.
	c.Close()
	c = openClerk(t, c.Home())
	if rep := verify(signed); !rep.Valid() {
		t.Fatalf("reopened: %q", problems(rep))
	}

	// The operator removes the person's registration; the clerk's next
	// directory refresh (hourly, and at a start) takes it.
	setRegistrations(t, h, quangNinh, certs.Registration{SHA256: certs.FingerprintOf(seal.Leaf), Role: certs.RoleAgency})
	c.Close()
	c = openClerk(t, c.Home())
	mustSync(t, ctx, c)
	rep = verify(signed)
	if rep.Valid() || rep.Signatures[0].Valid() || !rep.Signatures[1].Valid() {
		t.Fatalf("after the person's removal: person valid=%v, seal valid=%v", rep.Signatures[0].Valid(), rep.Signatures[1].Valid())
	}
}

func problems(rep *pades.Report) []string {
	var out []string
	for _, s := range rep.Signatures {
		out = append(out, s.Problems...)
	}
	return out
}

func setRegistrations(t *testing.T, h *hubtest.Hub, code string, regs ...certs.Registration) {
	t.Helper()
	ctx := context.Background()
	a, err := h.Store.Agency(ctx, certs.AgencyCode(code))
	if err != nil {
		t.Fatal(err)
	}
	a.Certificates = regs
	if _, err := h.Store.UpsertAgency(ctx, &a, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestForeignClerk: an agency whose only certificate comes from another
// CA (no urn:lienthong: name) runs a clerk: init with the agency it is
// registered for, issue, send; the recipient's clerk shows the seal as
// the agency's. Init refuses such a certificate without --agency, and an
// agency given for one of ours.
func TestForeignClerk(t *testing.T) {
	bcy := certstest.NewForeign(t, "Ban Cơ yếu Chính phủ")
	h := hubtest.Start(t, hubtest.Options{ForeignRoots: []*x509.Certificate{bcy.Root}})
	ctx := ctxT(t)
	seal := bcy.Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng UBND tỉnh", "5700100256")
	setRegistrations(t, h, quangNinh, certs.Registration{SHA256: certs.FingerprintOf(seal.Leaf), Role: certs.RoleAgency})

	p12, err := certs.EncodePKCS12(seal, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	opts := clerk.InitOptions{Home: filepath.Join(t.TempDir(), "qn"), Passphrase: passphrase, P12: p12, P12Passphrase: "p12-pass",
		HubAddr: h.Addr, ServerName: "localhost", RootsPEM: h.PKI.RootPEM()}
	if err := clerk.Init(opts); !errors.Is(err, clerk.ErrAgencyNeeded) {
		t.Fatalf("init without the agency: %v, want ErrAgencyNeeded", err)
	}
	ours := opts
	ours.Home, ours.Agency = filepath.Join(t.TempDir(), "g22"), vpcp
	if ours.P12, err = certs.EncodePKCS12(h.Agencies[vpcp].Key, "p12-pass"); err != nil {
		t.Fatal(err)
	}
	if err := clerk.Init(ours); !errors.Is(err, clerk.ErrAgencyNeeded) {
		t.Fatalf("init of our certificate with an agency: %v, want ErrAgencyNeeded", err)
	}
	opts.Agency = quangNinh
	if err := clerk.Init(opts); err != nil {
		t.Fatal(err)
	}
	qn := openClerk(t, opts.Home)
	if code, _ := qn.Agency(); code != quangNinh {
		t.Fatalf("the foreign clerk is %s", code)
	}
	gov := newClerk(t, h, vpcp)
	mustSync(t, ctx, qn, gov)
	hello, err := qn.TestConnection(ctx)
	if err != nil || hello.Agency != quangNinh {
		t.Fatalf("hello = %+v, %v", hello, err)
	}
	id, err := qn.Issue(ctx, draft(t, "cong-van.pdf", vpcp))
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	mustSync(t, ctx, qn, gov)
	v, err := gov.Document(id)
	if err != nil {
		t.Fatalf("the recipient: %v", err)
	}
	if v.Report == nil || !v.Report.Valid() || len(v.Signers) != 1 || v.Signers[0].Role != clerk.RoleAgency || v.Signers[0].Agency != quangNinh {
		t.Fatalf("the recipient's view: report valid=%v, signers %+v", v.Report != nil && v.Report.Valid(), v.Signers)
	}
}
