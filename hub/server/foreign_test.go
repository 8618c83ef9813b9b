package server_test

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// TestForeignCertificates: Quảng Ninh holds certificates of another CA
// (Ban Cơ yếu style: its own root and issuing CA, the agency in O/OU, no
// urn:lienthong: name). Registered by SHA-256 it connects, sends, and the
// recipient verifies its packet with the directory's registrations and
// roots; unregistered (never, or removed) every request is refused with
// unregistered_certificate; under a root the hub does not trust the
// handshake fails.
func TestForeignCertificates(t *testing.T) {
	bcy := certstest.NewForeign(t, "Ban Cơ yếu Chính phủ")
	h := hubtest.Start(t, hubtest.Options{
		ForeignRoots: []*x509.Certificate{bcy.Root},
		// Every lookup reads the directory: a removal counts at once.
		Configure: func(c *config.Config) { c.RegistrationsRefresh = config.Duration(time.Nanosecond) },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	seal := bcy.Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng UBND tỉnh", "5700100256")
	person := bcy.Person(t, "Nguyễn Văn An", "Ủy ban nhân dân tỉnh Quảng Ninh", "022080000123")
	sealReg := certs.Registration{SHA256: certs.FingerprintOf(seal.Leaf), Role: certs.RoleAgency}
	personReg := certs.Registration{SHA256: certs.FingerprintOf(person.Leaf), Role: certs.RolePerson, Person: "Nguyễn Văn An"}
	h.Agencies[quangNinh].Key = seal // the hub's client and compose use it from here on

	t.Run("Unregistered", func(t *testing.T) {
		_, err := h.Client(t, quangNinh, false).Hello(ctx)
		if wire.CodeOf(err) != wire.CodeUnregistered || !errors.Is(err, hubclient.ErrUnregistered) {
			t.Fatalf("hello with an unregistered certificate: %v, want unregistered_certificate", err)
		}
	})

	h.Register(t, quangNinh, sealReg, personReg)
	c := h.Client(t, quangNinh, false)
	doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "101", vpcp)
	t.Run("RegisteredSends", func(t *testing.T) {
		hello, err := c.Hello(ctx)
		if err != nil || hello.Agency != quangNinh {
			t.Fatalf("hello = %+v, %v; want %s", hello, err, quangNinh)
		}
		doc.send(t, ctx, c)
	})

	t.Run("RecipientVerifiesWithTheDirectory", func(t *testing.T) {
		gov := h.Client(t, vpcp, true)
		dir, err := gov.Directory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		roots, err := certs.ParseCertificatesPEM([]byte(dir.ForeignRoots))
		if err != nil || len(roots) != 1 || !roots[0].Equal(bcy.Root) {
			t.Fatalf("directory's foreign roots = %d, %v", len(roots), err)
		}
		regs := certs.Registrations{}
		for _, a := range dir.Agencies {
			for _, wc := range a.Certificates {
				fp, err := certs.ParseFingerprint(wc.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				if err := regs.Add(certs.AgencyCode(a.Code), certs.Registration{SHA256: fp, Role: certs.Role(wc.Role), Person: wc.Person}); err != nil {
					t.Fatal(err)
				}
			}
		}
		v := h.Verifier()
		if err := v.SetForeignRoots(roots); err != nil {
			t.Fatal(err)
		}
		in, err := gov.Inbox(ctx, 0, 5*time.Second)
		if err != nil || len(in.Items) != 1 {
			t.Fatalf("inbox: %d items, %v", len(in.Items), err)
		}
		if _, _, err := envelope.OpenDocument(in.Items[0].Packet, v, 0); !errors.Is(err, certs.ErrUnregistered) {
			t.Fatalf("without the registrations the packet opens: %v", err)
		}
		v.SetRegistry(regs)
		d, signer, err := envelope.OpenDocument(in.Items[0].Packet, v, 0)
		if err != nil || signer.Agency != quangNinh || d.MessageID != doc.id {
			t.Fatalf("open = %+v, %v", signer, err)
		}
	})

	t.Run("PersonCannotConnect", func(t *testing.T) {
		h.Agencies[quangNinh].Key = person
		defer func() { h.Agencies[quangNinh].Key = seal }()
		if _, err := h.Client(t, quangNinh, true).Hello(ctx); err == nil {
			t.Fatal("a person's certificate (no clientAuth) connected")
		}
	})

	t.Run("RemovalTakesEffect", func(t *testing.T) {
		h.Register(t, quangNinh, personReg)
		_, err := c.Hello(ctx) // the same connection as before
		if wire.CodeOf(err) != wire.CodeUnregistered {
			t.Fatalf("after the removal: %v, want unregistered_certificate", err)
		}
		hist, err := h.Client(t, vpcp, true).DirectoryHistory(ctx, quangNinh)
		if err != nil || len(hist.Versions) != 3 {
			t.Fatalf("history: %+v, %v; want creation, registration, removal", hist, err)
		}
		h.Register(t, quangNinh, sealReg)
	})

	t.Run("UnregisteredSignerRefused", func(t *testing.T) {
		// Connected with the registered seal, the packet signed by an
		// unregistered certificate of the same CA.
		other := bcy.Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng UBND tỉnh", "5700100256")
		h.Agencies[quangNinh].Key = other
		d := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "102", vpcp)
		h.Agencies[quangNinh].Key = seal
		_, err := c.Submit(ctx, d.packet)
		if wire.CodeOf(err) != wire.CodeUnregistered {
			t.Fatalf("a packet signed by an unregistered certificate: %v, want unregistered_certificate", err)
		}
	})

	t.Run("UntrustedRoot", func(t *testing.T) {
		stranger := certstest.NewForeign(t, "CA lạ").Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng", "5700100256")
		h.Register(t, quangNinh, sealReg, certs.Registration{SHA256: certs.FingerprintOf(stranger.Leaf), Role: certs.RoleAgency})
		h.Agencies[quangNinh].Key = stranger
		defer func() { h.Agencies[quangNinh].Key = seal }()
		_, err := h.Client(t, quangNinh, true).Hello(ctx)
		var answered *wire.Error
		if err == nil || errors.As(err, &answered) {
			t.Fatalf("a registered certificate under an untrusted root: %v, want a refused handshake", err)
		}
	})
}
