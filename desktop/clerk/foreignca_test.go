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
	"lienthong/desktop/i18n"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/hubclient"
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
	h.Register(t, quangNinh,
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
	h.Register(t, quangNinh, certs.Registration{SHA256: certs.FingerprintOf(seal.Leaf), Role: certs.RoleAgency})
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
	h.Register(t, quangNinh, certs.Registration{SHA256: certs.FingerprintOf(seal.Leaf), Role: certs.RoleAgency})

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

// initForeign inits a clerk for agency code from kp, a certificate of
// another CA, as `lienthong-clerk init --agency CODE` does.
func initForeign(t *testing.T, h *hubtest.Hub, kp *certs.KeyPair, code string) *clerk.Clerk {
	t.Helper()
	p12, err := certs.EncodePKCS12(kp, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "foreign")
	if err := clerk.Init(clerk.InitOptions{Home: home, Passphrase: passphrase, P12: p12, P12Passphrase: "p12-pass",
		HubAddr: h.Addr, ServerName: "localhost", RootsPEM: h.PKI.RootPEM(), Agency: certs.AgencyCode(code)}); err != nil {
		t.Fatal(err)
	}
	return openClerk(t, home)
}

// TestForeignEndToEnd: the whole path for an agency whose certificates
// come from another CA. The hub trusts the Ban Cơ yếu-style root
// (configuration) and the operator registers Quảng Ninh's seal and its
// leader's certificate by SHA-256. Quảng Ninh's clerk connects over mTLS,
// the leader signs at its desk, the clerk seals and sends to the
// Government Office (a Lienthong-CA agency), whose clerk verifies both
// signatures and names both signers as Quảng Ninh's. Refused, with the
// message that says what to register: a certificate of the trusted CA
// that nobody registered (at connect, and as a person's signature), a
// certificate of a CA the hub does not trust even when its fingerprint is
// registered, and the seal once its registration is removed.
func TestForeignEndToEnd(t *testing.T) {
	bcy := certstest.NewForeign(t, "Ban Cơ yếu Chính phủ")
	h := hubtest.Start(t, hubtest.Options{
		ForeignRoots: []*x509.Certificate{bcy.Root},
		// Every lookup reads the directory: a removal counts at once.
		Configure: func(c *config.Config) { c.RegistrationsRefresh = config.Duration(time.Nanosecond) },
	})
	ctx := ctxT(t)
	vi := i18n.New(i18n.Vietnamese)
	seal := bcy.Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng UBND tỉnh", "5700100256")
	leader := bcy.Person(t, "Nguyễn Văn Hùng", "Ủy ban nhân dân tỉnh Quảng Ninh", "022080000123")
	stranger := bcy.Person(t, "Trần Văn Bình", "Ủy ban nhân dân tỉnh Quảng Ninh", "022080000999")
	sealReg := certs.Registration{SHA256: certs.FingerprintOf(seal.Leaf), Role: certs.RoleAgency}
	h.Register(t, quangNinh, sealReg,
		certs.Registration{SHA256: certs.FingerprintOf(leader.Leaf), Role: certs.RolePerson, Person: "Nguyễn Văn Hùng"})

	qn := initForeign(t, h, seal, quangNinh)
	gov := newClerk(t, h, vpcp)
	if hello, err := qn.TestConnection(ctx); err != nil || hello.Agency != quangNinh {
		t.Fatalf("hello = %+v, %v; want %s", hello, err, quangNinh)
	}
	mustSync(t, ctx, qn, gov)
	if err := qn.SetPersonPolicy("refuse"); err != nil {
		t.Fatal(err)
	}
	signed := filepath.Join(t.TempDir(), "cong-van.pdf")
	st := clerk.PersonStamp{ImagePNG: signaturePNG(t), Page: 1, Rect: [4]float64{350, 150, 500, 210}}
	if err := qn.SignAsPerson(ctx, pdf("cong-van.pdf"), signed, leader, st); err != nil {
		t.Fatalf("the leader signs: %v", err)
	}
	d := draft(t, "cong-van.pdf", vpcp)
	d.Files = []string{signed}
	id, err := qn.Issue(ctx, d)
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	mustSync(t, ctx, qn, gov)
	v, err := gov.Document(id)
	if err != nil {
		t.Fatalf("the Government Office: %v", err)
	}
	if v.Report == nil || !v.Report.Valid() {
		t.Fatalf("the Government Office's report is not valid: %+v", v.Signers)
	}
	checkRoles(t, v.Signers, "Nguyễn Văn Hùng")

	t.Run("UnregisteredSigner", func(t *testing.T) {
		// The stranger's certificate chains to the trusted root but
		// nobody registered it: refused as a person's signature...
		other := signPDF(t, pdf("cong-van.pdf"), stranger)
		pc, err := qn.CheckPersonSignature(ctx, other)
		if err != nil || pc.OK() {
			t.Fatalf("check of an unregistered person's signature = %+v, %v; want a problem", pc, err)
		}
		d := draft(t, "cong-van.pdf", vpcp)
		d.Files = []string{other}
		if _, err := qn.Issue(ctx, d); !errors.Is(err, clerk.ErrPersonSignature) {
			t.Fatalf("issue under refuse: %v, want ErrPersonSignature", err)
		}
		// ...and, sent under warn, the recipient sees a signer of no
		// agency ("other") and what to do about it.
		if err := qn.SetPersonPolicy("warn"); err != nil {
			t.Fatal(err)
		}
		id, err := qn.Issue(ctx, d)
		if err != nil {
			t.Fatalf("issue under warn: %v", err)
		}
		mustSync(t, ctx, qn, gov)
		v, err := gov.Document(id)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Signers) != 2 || v.Signers[0].Role != clerk.RoleOther || v.Signers[0].Agency != "" ||
			!strings.Contains(v.Signers[0].AgencyError, "not registered") || v.Signers[1].Agency != quangNinh {
			t.Fatalf("the recipient's signers = %+v", v.Signers)
		}
	})

	t.Run("UnregisteredClient", func(t *testing.T) {
		other := bcy.Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Sở Nội vụ", "5700100256-001")
		c := initForeign(t, h, other, quangNinh)
		_, err := c.TestConnection(ctx)
		if !errors.Is(err, hubclient.ErrUnregistered) {
			t.Fatalf("hello with an unregistered certificate: %v, want ErrUnregistered", err)
		}
		if msg := clerk.Explain(err).Message(vi); !strings.Contains(msg, "chưa được đăng ký") || !strings.Contains(msg, "SHA-256") {
			t.Fatalf("the clerk reads %q", msg)
		}
	})

	t.Run("UntrustedCA", func(t *testing.T) {
		// Even registered by fingerprint (which the operator's command
		// refuses, the store does not), a root nobody configured is not
		// trusted: the handshake fails.
		rogue := certstest.NewForeign(t, "CA không được tin cậy")
		kp := rogue.Organisation(t, "Ủy ban nhân dân tỉnh Nghệ An", "Văn phòng UBND tỉnh", "2900325808")
		h.Register(t, ngheAn, certs.Registration{SHA256: certs.FingerprintOf(kp.Leaf), Role: certs.RoleAgency})
		c := initForeign(t, h, kp, ngheAn)
		hello, err := c.TestConnection(ctx)
		if err == nil {
			t.Fatalf("a certificate of an untrusted CA connects as %s", hello.Agency)
		}
		if errors.Is(err, hubclient.ErrUnregistered) {
			t.Fatalf("an untrusted CA's certificate is read as only unregistered: %v", err)
		}
		// The hub names the CAs it accepts; the clerk's handshake stops
		// there, so that it reads the hub's refusal and never a dropped
		// connection (which reads as the network down).
		if !errors.Is(err, certs.ErrRefusedByServer) || !errors.Is(err, certs.ErrUntrusted) {
			t.Fatalf("hello with a certificate of an untrusted CA: %v, want ErrRefusedByServer and ErrUntrusted", err)
		}
		if ue := clerk.Explain(err); ue.Key != i18n.ErrHubRefusedCertificate {
			t.Fatalf("the clerk reads %q (%s) for %v", ue.Message(vi), ue.Key, err)
		}
	})

	t.Run("RegistrationRemoved", func(t *testing.T) {
		h.Register(t, quangNinh)
		_, err := qn.TestConnection(ctx)
		if !errors.Is(err, hubclient.ErrUnregistered) {
			t.Fatalf("hello after the seal's registration was removed: %v, want ErrUnregistered", err)
		}
		// Registered again, it connects again.
		h.Register(t, quangNinh, sealReg)
		if hello, err := qn.TestConnection(ctx); err != nil || hello.Agency != quangNinh {
			t.Fatalf("hello registered again = %+v, %v", hello, err)
		}
	})
}
