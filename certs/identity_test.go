package certs_test

import (
	"crypto/x509"
	"errors"
	"net/url"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
)

const quangninh = certs.AgencyCode("000.00.00.H49")

// foreignSetup is our PKI, a foreign CA trusted as a foreign root, and a
// registry holding the foreign seal, TLS-only certificate and person of
// Quảng Ninh.
type foreignSetup struct {
	pki                    *certstest.PKI
	bcy                    *certstest.ForeignCA
	seal, tlsOnly, person  *certs.KeyPair
	unregistered, stranger *certs.KeyPair
	reg                    certs.Registrations
	v                      *certs.Verifier
}

func newForeignSetup(t *testing.T) *foreignSetup {
	s := &foreignSetup{pki: certstest.New(t), bcy: certstest.NewForeign(t, "Ban Cơ yếu Chính phủ")}
	s.seal = s.bcy.Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng UBND", "5700100256")
	s.tlsOnly = s.bcy.Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Máy chủ văn thư", "5700100256")
	s.person = s.bcy.Person(t, "Nguyễn Văn An", "Ủy ban nhân dân tỉnh Quảng Ninh", "022080000123")
	s.unregistered = s.bcy.Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng UBND", "5700100256")
	s.stranger = certstest.NewForeign(t, "Untrusted CA").Organisation(t, "Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng", "5700100256")
	s.reg = certs.Registrations{}
	if err := s.reg.Add(quangninh,
		certs.Registration{SHA256: certs.FingerprintOf(s.seal.Leaf), Role: certs.RoleAgency},
		certs.Registration{SHA256: certs.FingerprintOf(s.tlsOnly.Leaf), Role: certs.RoleTLS},
		certs.Registration{SHA256: certs.FingerprintOf(s.person.Leaf), Role: certs.RolePerson, Person: "Nguyễn Văn An"},
	); err != nil {
		t.Fatal(err)
	}
	s.v = s.pki.Verifier(t)
	if err := s.v.SetForeignRoots([]*x509.Certificate{s.bcy.Root}); err != nil {
		t.Fatal(err)
	}
	s.v.SetRegistry(s.reg)
	return s
}

func TestIdentifyForeign(t *testing.T) {
	s := newForeignSetup(t)
	ours := s.pki.Agency(t, string(quangninh), "Ủy ban nhân dân tỉnh Quảng Ninh")
	ourPerson := s.pki.Person(t, "Trần Thị Bình", "Phó Chủ tịch", string(quangninh))
	tests := []struct {
		name string
		kp   *certs.KeyPair
		want certs.Identity
		err  error
	}{
		{"our agency certificate", ours, certs.Identity{Agency: quangninh, Role: certs.RoleAgency}, nil},
		{"our person certificate", ourPerson, certs.Identity{Agency: quangninh, Role: certs.RolePerson, Person: "Trần Thị Bình"}, nil},
		{"registered foreign seal", s.seal, certs.Identity{Agency: quangninh, Role: certs.RoleAgency, Registered: true}, nil},
		{"registered foreign person", s.person, certs.Identity{Agency: quangninh, Role: certs.RolePerson, Person: "Nguyễn Văn An", Registered: true}, nil},
		{"unregistered foreign certificate", s.unregistered, certs.Identity{}, certs.ErrUnregistered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := certs.Identify(tt.kp.Leaf, s.reg)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("Identify = %+v, %v; want %+v, %v", got, err, tt.want, tt.err)
			}
		})
	}
	if _, err := certs.Identify(s.seal.Leaf, nil); !errors.Is(err, certs.ErrNoAgency) {
		t.Errorf("without a registry, a foreign certificate: %v, want ErrNoAgency", err)
	}
}

// TestForeignTLSAgency: the hub's decision for a TLS client, Verifier.Agency.
func TestForeignTLSAgency(t *testing.T) {
	s := newForeignSetup(t)
	tests := []struct {
		name string
		kp   *certs.KeyPair
		err  error
	}{
		{"registered agency certificate", s.seal, nil},
		{"registered TLS certificate", s.tlsOnly, nil},
		{"person certificate", s.person, certs.ErrUntrusted}, // no clientAuth usage
		{"unregistered", s.unregistered, certs.ErrUnregistered},
		{"untrusted root", s.stranger, certs.ErrUntrusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := s.v.Agency(tt.kp.Certificates())
			switch {
			case tt.err == nil && (err != nil || code != quangninh):
				t.Fatalf("Agency = %q, %v; want %s", code, err, quangninh)
			case tt.err != nil && err == nil:
				t.Fatalf("Agency = %q, want refused", code)
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Fatalf("Agency: %v, want %v", err, tt.err)
			}
		})
	}
	// A registration removed takes effect at once.
	s.v.SetRegistry(certs.Registrations{})
	if _, err := s.v.Agency(s.seal.Certificates()); !errors.Is(err, certs.ErrUnregistered) {
		t.Errorf("after the registration's removal: %v, want ErrUnregistered", err)
	}
	// Without the foreign root the same certificate does not chain.
	if err := s.v.SetForeignRoots(nil); err != nil {
		t.Fatal(err)
	}
	s.v.SetRegistry(s.reg)
	if _, err := s.v.Agency(s.seal.Certificates()); !errors.Is(err, certs.ErrUntrusted) {
		t.Errorf("without the foreign root: %v, want ErrUntrusted", err)
	}
}

func TestForeignDocumentSigner(t *testing.T) {
	s := newForeignSetup(t)
	tests := []struct {
		name string
		kp   *certs.KeyPair
		want certs.Role
		err  error
	}{
		{"seal", s.seal, certs.RoleAgency, nil},
		{"person", s.person, certs.RolePerson, nil},
		{"TLS-only certificate signs no document", s.tlsOnly, "", certs.ErrWrongRole},
		{"unregistered", s.unregistered, "", certs.ErrUnregistered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := s.v.DocumentSigner(tt.kp.Leaf)
			if !errors.Is(err, tt.err) || id.Role != tt.want || (err == nil && id.Agency != quangninh) {
				t.Fatalf("DocumentSigner = %+v, %v; want role %q, %v", id, err, tt.want, tt.err)
			}
			if err != nil && !errors.Is(err, certs.ErrNotDocumentSigner) {
				t.Fatalf("%v is not an ErrNotDocumentSigner", err)
			}
		})
	}
	// The usage rules apply to foreign certificates too.
	noUsage := s.bcy.Issue(t, &x509.Certificate{KeyUsage: x509.KeyUsageKeyEncipherment})
	reg := certs.Registrations{}
	if err := reg.Add(quangninh, certs.Registration{SHA256: certs.FingerprintOf(noUsage.Leaf), Role: certs.RoleSeal}); err != nil {
		t.Fatal(err)
	}
	if _, err := certs.DocumentSigner(noUsage.Leaf, reg); !errors.Is(err, certs.ErrNotDocumentSigner) {
		t.Errorf("a registered certificate without a signing usage: %v", err)
	}
	if _, err := certs.PacketSigner(s.person.Leaf, s.reg); !errors.Is(err, certs.ErrWrongRole) {
		t.Errorf("a person's certificate signing a packet: %v, want ErrWrongRole", err)
	}
}

// TestForeignCANoLienthongNames: a foreign CA cannot issue our URIs; a
// certificate under it naming an agency, or the hub's receipt identity,
// does not chain.
func TestForeignCANoLienthongNames(t *testing.T) {
	s := newForeignSetup(t)
	for _, uri := range []string{quangninh.URI(), certs.MemberURIPrefix + string(quangninh), certs.ReceiptURIPrefix + certs.DefaultReceiptSigner} {
		u, _ := url.Parse(uri)
		kp := s.bcy.Issue(t, &x509.Certificate{URIs: []*url.URL{u},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		if _, err := s.v.Chain(kp.Certificates(), time.Time{}, x509.ExtKeyUsageAny); !errors.Is(err, certs.ErrForeignName) {
			t.Errorf("%s under a foreign root: %v, want ErrForeignName", uri, err)
		}
	}
	// A foreign root is no root for a hub or a timestamping authority.
	hubLike := s.bcy.Issue(t, &x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageTimeStamping}})
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageTimeStamping} {
		if _, err := s.v.Chain(hubLike.Certificates(), time.Time{}, usage); !errors.Is(err, certs.ErrUntrusted) {
			t.Errorf("usage %v under a foreign root: %v, want ErrUntrusted", usage, err)
		}
	}
}

func TestParseFingerprint(t *testing.T) {
	kp := certstest.NewForeign(t, "VNPT-CA").Person(t, "Lê Văn Cường", "Sở Tư pháp", "001090000001")
	fp := certs.FingerprintOf(kp.Leaf)
	for _, s := range []string{fp.String(), "AB:" + fp.String()[2:]} {
		if _, err := certs.ParseFingerprint(s); err != nil {
			t.Errorf("ParseFingerprint(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "zz", fp.String()[:62]} {
		if _, err := certs.ParseFingerprint(s); !errors.Is(err, certs.ErrBadFingerprint) {
			t.Errorf("ParseFingerprint(%q): %v, want ErrBadFingerprint", s, err)
		}
	}
	reg := certs.Registrations{}
	r := certs.Registration{SHA256: fp, Role: certs.RolePerson, Person: "Lê Văn Cường"}
	if err := reg.Add(quangninh, r); err != nil {
		t.Fatal(err)
	}
	if err := reg.Add("000.00.00.G22", r); !errors.Is(err, certs.ErrRegisteredTwice) {
		t.Errorf("one certificate registered for two agencies: %v", err)
	}
	if code, _, ok := reg.Registered(fp); ok {
		t.Errorf("a certificate registered for two agencies stands for %s", code)
	}
}
