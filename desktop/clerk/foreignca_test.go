package clerk_test

import (
	"context"
	"crypto/x509"
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
