package certs

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a root and issuing CA made once per test binary.
type testPKI struct {
	root, issuing *Authority
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	root, err := NewRoot(CAName{CommonName: "Test Root", Organization: "Ban Cơ yếu Chính phủ"}, ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	root.CRLURL = "https://pki.example.vn/root.crl"
	issuing, err := root.NewIssuing(CAName{CommonName: "Test Issuing"}, ECDSAP256, 0)
	if err != nil {
		t.Fatal(err)
	}
	issuing.CRLURL = "https://pki.example.vn/ca.crl"
	return &testPKI{root: root, issuing: issuing}
}

func (p *testPKI) agency(t testing.TB, code string) *KeyPair {
	t.Helper()
	kp, err := p.issuing.IssueAgency(AgencyRequest{Code: AgencyCode(code), Name: "Ủy ban nhân dân tỉnh Quảng Ninh"}, ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func (p *testPKI) verifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := NewVerifier([]*x509.Certificate{p.root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func hasEKU(c *x509.Certificate, u x509.ExtKeyUsage) bool {
	for _, e := range c.ExtKeyUsage {
		if e == u {
			return true
		}
	}
	return false
}

func TestIssuingPaths(t *testing.T) {
	p := newTestPKI(t)
	v := p.verifier(t)
	hub, err := p.issuing.IssueHub(HubRequest{DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	agency := p.agency(t, "000.00.00.H49")
	person, err := p.issuing.IssuePerson(PersonRequest{FullName: "Nguyễn Văn Hùng", Position: "Phó Chủ tịch", Agency: "000.00.00.H49", AgencyName: "UBND tỉnh Quảng Ninh"}, RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := p.issuing.IssueTimestamping(TimestampingRequest{CommonName: "TSA"}, ECDSAP384)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		kp      *KeyPair
		usage   x509.ExtKeyUsage
		check   func(t *testing.T, c *x509.Certificate)
		refuses []x509.ExtKeyUsage
	}{
		{"hub", hub, x509.ExtKeyUsageServerAuth, func(t *testing.T, c *x509.Certificate) {
			if c.VerifyHostname("localhost") != nil || c.VerifyHostname("127.0.0.1") != nil {
				t.Error("hub certificate does not cover localhost and 127.0.0.1")
			}
		}, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"agency", agency, x509.ExtKeyUsageClientAuth, func(t *testing.T, c *x509.Certificate) {
			if code, err := AgencyOf(c); err != nil || code != "000.00.00.H49" {
				t.Errorf("AgencyOf = %q, %v", code, err)
			}
			if c.Subject.CommonName != "Ủy ban nhân dân tỉnh Quảng Ninh" {
				t.Errorf("subject %q lost its Vietnamese name", c.Subject.CommonName)
			}
			if c.KeyUsage&x509.KeyUsageContentCommitment == 0 || !hasEKU(c, x509.ExtKeyUsageEmailProtection) {
				t.Error("agency certificate cannot sign documents")
			}
		}, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		{"person", person, x509.ExtKeyUsageEmailProtection, func(t *testing.T, c *x509.Certificate) {
			if _, ok := person.Key.(*rsa.PrivateKey); !ok {
				t.Error("person key is not RSA as asked")
			}
			if _, err := AgencyOf(c); !errors.Is(err, ErrNoAgency) {
				t.Error("a person certificate must not name an agency identity")
			}
			if code, err := MemberOf(c); err != nil || code != "000.00.00.H49" {
				t.Errorf("MemberOf = %q, %v", code, err)
			}
			var title string
			for _, n := range c.Subject.Names {
				if n.Type.Equal(oidTitle) {
					title, _ = n.Value.(string)
				}
			}
			if title != "Phó Chủ tịch" {
				t.Errorf("title = %q", title)
			}
		}, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}},
		{"tsa", tsa, x509.ExtKeyUsageTimeStamping, func(t *testing.T, c *x509.Certificate) {
			if _, ok := tsa.Key.(*ecdsa.PrivateKey); !ok {
				t.Error("tsa key is not ECDSA")
			}
			critical := false
			for _, e := range c.Extensions {
				if e.Id.Equal(oidExtKeyUsage) {
					critical = e.Critical
				}
			}
			if !critical || len(c.ExtKeyUsage) != 1 {
				t.Errorf("timestamping EKU must be critical and alone: critical=%v %v", critical, c.ExtKeyUsage)
			}
		}, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.kp.Leaf
			if !SameKey(tt.kp.Key, c.PublicKey) {
				t.Fatal("key does not match certificate")
			}
			if c.IsCA || len(c.CRLDistributionPoints) != 1 || c.CRLDistributionPoints[0] != "https://pki.example.vn/ca.crl" {
				t.Errorf("IsCA=%v CRL DP=%v", c.IsCA, c.CRLDistributionPoints)
			}
			if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 || c.KeyUsage&x509.KeyUsageCertSign != 0 {
				t.Errorf("key usage %b", c.KeyUsage)
			}
			if _, err := v.Chain(tt.kp.Certificates(), time.Time{}, tt.usage); err != nil {
				t.Errorf("chain for its own usage: %v", err)
			}
			for _, u := range tt.refuses {
				if _, err := v.Chain(tt.kp.Certificates(), time.Time{}, u); !errors.Is(err, ErrUntrusted) {
					t.Errorf("usage %v accepted: %v", u, err)
				}
			}
			tt.check(t, c)
		})
	}
}

func TestIssueRefusesBadInput(t *testing.T) {
	p := newTestPKI(t)
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"malformed agency code", func() error {
			_, err := p.issuing.IssueAgency(AgencyRequest{Code: "000.00.00.49", Name: "X"}, "")
			return err
		}, "malformed agency code"},
		{"agency without name", func() error {
			_, err := p.issuing.IssueAgency(AgencyRequest{Code: "000.00.00.H49"}, "")
			return err
		}, "name is required"},
		{"hub without names", func() error { _, err := p.issuing.IssueHub(HubRequest{}, ""); return err }, "DNS name or IP"},
		{"person without position", func() error {
			_, err := p.issuing.IssuePerson(PersonRequest{FullName: "A", Agency: "000.00.00.H49"}, "")
			return err
		}, "position are required"},
		{"leaf from root", func() error {
			_, err := p.root.IssueAgency(AgencyRequest{Code: "000.00.00.H49", Name: "X"}, "")
			return err
		}, "from the issuing CA"},
		{"unknown algorithm", func() error {
			_, err := p.issuing.IssueAgency(AgencyRequest{Code: "000.00.00.H49", Name: "X"}, "dsa-1024")
			return err
		}, "unknown key algorithm"},
		{"mismatched CA key", func() error {
			_, err := NewAuthority(p.issuing.Cert, p.root.Key, nil)
			return err
		}, "does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// craft issues a certificate from a template the profiles would not make.
func (p *testPKI) craft(t *testing.T, tmpl *x509.Certificate, now time.Time, validity time.Duration) *KeyPair {
	t.Helper()
	key, err := GenerateKey(ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	if validity == 0 {
		validity = LeafValidity
	}
	a := *p.issuing
	a.Now = func() time.Time { return now }
	cert, err := a.issue(tmpl, key.Public(), validity)
	if err != nil {
		t.Fatal(err)
	}
	return &KeyPair{Leaf: cert, Chain: []*x509.Certificate{p.issuing.Cert, p.root.Cert}, Key: key}
}

func clientTemplate(uris ...string) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: "crafted"},
		URIs:        mustURIs(uris...),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

func TestAgencyIdentity(t *testing.T) {
	p := newTestPKI(t)
	other := newTestPKI(t)
	good := p.agency(t, "000.00.00.H49")
	revoked := p.agency(t, "000.00.00.H41")
	person, err := p.issuing.IssuePerson(PersonRequest{FullName: "A", Position: "B", Agency: "000.00.00.H49"}, "")
	if err != nil {
		t.Fatal(err)
	}
	expired := p.craft(t, clientTemplate("urn:lienthong:agency:000.00.00.G22"), time.Now().AddDate(-2, 0, 0), 365*24*time.Hour)
	noURI := p.craft(t, clientTemplate(), time.Now(), 0)
	twoURIs := p.craft(t, clientTemplate("urn:lienthong:agency:000.00.00.G22", "urn:lienthong:agency:000.00.00.H49"), time.Now(), 0)
	badCode := p.craft(t, clientTemplate("urn:lienthong:agency:H49"), time.Now(), 0)
	foreign := other.agency(t, "000.00.00.H49")

	crl, err := p.issuing.CRL([]Revocation{{Serial: revoked.Leaf.SerialNumber, Time: time.Now().Add(-time.Minute), Reason: 1}}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseCRL(EncodeCRLPEM(crl))
	if err != nil {
		t.Fatal(err)
	}
	v := p.verifier(t)
	v.SetCRLs(parsed)

	tests := []struct {
		name  string
		chain []*x509.Certificate
		want  error
		code  AgencyCode
	}{
		{"good", good.Certificates(), nil, "000.00.00.H49"},
		{"good without root in chain", good.Certificates()[:2], nil, "000.00.00.H49"},
		{"expired", expired.Certificates(), ErrExpired, ""},
		{"revoked", revoked.Certificates(), ErrRevoked, ""},
		{"wrong root", foreign.Certificates(), ErrUntrusted, ""},
		{"missing intermediate", good.Certificates()[:1], ErrUntrusted, ""},
		{"missing URI", noURI.Certificates(), ErrNoAgency, ""},
		{"two URIs", twoURIs.Certificates(), ErrManyAgencies, ""},
		{"malformed code in URI", badCode.Certificates(), ErrNoAgency, ""},
		{"person certificate", person.Certificates(), ErrUntrusted, ""},
		{"CA certificate as leaf", []*x509.Certificate{p.issuing.Cert, p.root.Cert}, ErrNotOneLeaf, ""},
		{"two leaves", []*x509.Certificate{good.Leaf, revoked.Leaf, p.issuing.Cert}, ErrNotOneLeaf, ""},
		{"nothing", nil, ErrNoCertificate, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := v.Agency(tt.chain)
			if tt.want == nil {
				if err != nil || code != tt.code {
					t.Fatalf("Agency = %q, %v; want %q", code, err, tt.code)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Agency = %q, %v; want %v", code, err, tt.want)
			}
		})
	}

	t.Run("revocation status", func(t *testing.T) {
		if s, _ := v.Revocation(good.Leaf, p.issuing.Cert); s != RevocationGood {
			t.Errorf("good: %v", s)
		}
		if s, e := v.Revocation(revoked.Leaf, p.issuing.Cert); s != RevocationRevoked || e.ReasonCode != 1 {
			t.Errorf("revoked: %v", s)
		}
		if s, _ := v.Revocation(p.issuing.Cert, p.root.Cert); s != RevocationUnknown {
			t.Errorf("no root CRL, want unknown: %v", s)
		}
	})
	t.Run("signed before revocation", func(t *testing.T) {
		if _, err := v.Chain(revoked.Certificates(), time.Now().Add(-3*time.Minute), x509.ExtKeyUsageAny); err != nil {
			t.Errorf("a signature made before the revocation must stay valid: %v", err)
		}
	})
	t.Run("CRL from the wrong issuer is ignored", func(t *testing.T) {
		forged, err := other.issuing.CRL([]Revocation{{Serial: good.Leaf.SerialNumber, Time: time.Now()}}, 9, 0)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := ParseCRL(forged)
		f.RawIssuer = p.issuing.Cert.RawSubject // pretend to come from our CA
		v2 := p.verifier(t)
		v2.SetCRLs(f)
		if _, err := v2.Agency(good.Certificates()); err != nil {
			t.Errorf("forged CRL revoked a good certificate: %v", err)
		}
	})
}

func TestKeyEncryption(t *testing.T) {
	key, err := GenerateKey(ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := EncryptKeyPEM(key, []byte("mật khẩu đúng"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(enc), "BEGIN PRIVATE KEY") {
		t.Fatal("encrypted key written as a plain PKCS#8 block")
	}
	tests := []struct {
		name string
		pass string
		want error
	}{
		{"right passphrase", "mật khẩu đúng", nil},
		{"wrong passphrase", "mat khau dung", ErrWrongPassphrase},
		{"no passphrase", "", ErrPassphraseNeeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeyPEM(enc, []byte(tt.pass))
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && !SameKey(got, key.Public()) {
				t.Fatal("decrypted a different key")
			}
		})
	}
	t.Run("tampered ciphertext", func(t *testing.T) {
		b := []byte(strings.Replace(string(enc), "Nonce: ", "Nonce: 00", 1))
		if _, err := ParseKeyPEM(b, []byte("mật khẩu đúng")); err == nil {
			t.Fatal("accepted a tampered key file")
		}
	})
}

func TestPKCS12RoundTrip(t *testing.T) {
	p := newTestPKI(t)
	kp := p.agency(t, "000.00.12.H49")
	data, err := EncodePKCS12(kp, "pass-phrase")
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePKCS12(data, "pass-phrase")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Leaf.Equal(kp.Leaf) || len(got.Chain) != 2 || !SameKey(got.Key, kp.Leaf.PublicKey) {
		t.Fatalf("round trip lost something: chain %d", len(got.Chain))
	}
	if _, err := DecodePKCS12(data, "wrong"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := DecodePKCS12(data[:len(data)/2], "pass-phrase"); err == nil {
		t.Fatal("truncated PKCS#12 accepted")
	}
}

func TestWriteNewFileNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "a.crt")
	if err := WriteNewFile(path, []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteNewFile(path, []byte("second"), 0o644); !errors.Is(err, ErrExists) {
		t.Fatalf("second write: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Fatalf("file now holds %q", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestPKIFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	pass := []byte("ca passphrase")
	if _, err := InitPKI(dir, InitOptions{Root: CAName{CommonName: "R"}, Issuing: CAName{CommonName: "I"}}); err == nil {
		t.Fatal("a PKI without a passphrase was created")
	}
	if _, err := InitPKI(dir, InitOptions{Root: CAName{CommonName: "R"}, Issuing: CAName{CommonName: "I"}, Passphrase: pass, CRLURL: "https://x/ca.crl"}); err != nil {
		t.Fatal(err)
	}
	if _, err := InitPKI(dir, InitOptions{Root: CAName{CommonName: "R"}, Issuing: CAName{CommonName: "I"}, Passphrase: pass}); !errors.Is(err, ErrExists) {
		t.Fatalf("second init: %v", err)
	}
	if _, err := OpenPKI(dir, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("open with wrong passphrase: %v", err)
	}
	p, err := OpenPKI(dir, pass)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := p.Issuing.IssueAgency(AgencyRequest{Code: "000.00.00.G22", Name: "Văn phòng Chính phủ"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if kp.Leaf.CRLDistributionPoints[0] != "https://x/ca.crl" {
		t.Errorf("CRL URL not kept: %v", kp.Leaf.CRLDistributionPoints)
	}
	if err := p.Revoke(kp.Leaf, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := p.Revoke(kp.Leaf, 1, time.Now()); err == nil {
		t.Fatal("revoked twice")
	}
	reopened, err := OpenPKI(dir, pass)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(reopened.Revoked()); n != 1 {
		t.Fatalf("revocations after reopen: %d", n)
	}
	data, _ := os.ReadFile(filepath.Join(dir, CRLFile))
	crl, err := ParseCRL(data)
	if err != nil {
		t.Fatal(err)
	}
	if crl.Number.Int64() != 2 || len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(kp.Leaf.SerialNumber) != 0 {
		t.Fatalf("CRL number %v entries %d", crl.Number, len(crl.RevokedCertificateEntries))
	}
	if err := crl.CheckSignatureFrom(p.Issuing.Cert); err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerifier([]*x509.Certificate{p.Root})
	v.SetCRLs(crl)
	if _, err := v.Agency(kp.Certificates()); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked agency accepted: %v", err)
	}
	foreign := newTestPKI(t).agency(t, "000.00.00.H49")
	if err := p.Revoke(foreign.Leaf, 0, time.Now()); err == nil {
		t.Fatal("revoked a certificate of another CA")
	}
}

// The chains a Verifier remembers must never change an answer: not for
// another time, another usage, other intermediates or a later revocation.
func TestRememberedChains(t *testing.T) {
	p := newTestPKI(t)
	good := p.agency(t, "000.00.00.H49")
	person, err := p.issuing.IssuePerson(PersonRequest{FullName: "A", Position: "B", Agency: "000.00.00.H49"}, "")
	if err != nil {
		t.Fatal(err)
	}
	v := p.verifier(t)
	now := time.Now()
	for range 2 { // the second round is answered from what the first remembered
		if _, err := v.Chain(good.Certificates(), now, x509.ExtKeyUsageClientAuth); err != nil {
			t.Fatal(err)
		}
		if _, err := v.BuildChain(person.Leaf, []*x509.Certificate{p.issuing.Cert}, now, x509.ExtKeyUsageAny); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.BuildChain(good.Leaf, []*x509.Certificate{p.issuing.Cert}, good.Leaf.NotAfter.Add(time.Second), x509.ExtKeyUsageClientAuth); !errors.Is(err, ErrExpired) {
		t.Errorf("after the leaf expired: %v, want ErrExpired", err)
	}
	if _, err := v.BuildChain(good.Leaf, []*x509.Certificate{p.issuing.Cert}, good.Leaf.NotBefore.Add(-time.Second), x509.ExtKeyUsageClientAuth); err == nil {
		t.Error("before the leaf was valid: verified")
	}
	if _, err := v.BuildChain(person.Leaf, []*x509.Certificate{p.issuing.Cert}, now, x509.ExtKeyUsageClientAuth); !errors.Is(err, ErrUntrusted) {
		t.Errorf("a person's certificate for client authentication: %v, want ErrUntrusted", err)
	}
	if _, err := v.BuildChain(good.Leaf, nil, now, x509.ExtKeyUsageClientAuth); !errors.Is(err, ErrUntrusted) {
		t.Errorf("without the intermediate: %v, want ErrUntrusted", err)
	}
	crl, err := p.issuing.CRL([]Revocation{{Serial: good.Leaf.SerialNumber, Time: now.Add(-time.Minute), Reason: 1}}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseCRL(EncodeCRLPEM(crl))
	if err != nil {
		t.Fatal(err)
	}
	v.SetCRLs(parsed)
	if _, err := v.Chain(good.Certificates(), now, x509.ExtKeyUsageClientAuth); !errors.Is(err, ErrRevoked) {
		t.Errorf("revoked after its chain was remembered: %v, want ErrRevoked", err)
	}
	chain, err := v.BuildChain(person.Leaf, []*x509.Certificate{p.issuing.Cert}, now, x509.ExtKeyUsageAny)
	if err != nil || len(chain) != 3 || !chain[2].Equal(p.root.Cert) {
		t.Fatalf("remembered chain = %d certificates, %v", len(chain), err)
	}
	chain[0] = nil // a caller's copy: changing it changes nothing remembered
	if again, err := v.BuildChain(person.Leaf, []*x509.Certificate{p.issuing.Cert}, now, x509.ExtKeyUsageAny); err != nil || again[0] == nil {
		t.Fatalf("a caller changed the remembered chain: %v", err)
	}
}

// BenchmarkChain shows what remembering chains saves: "first" verifies
// every signature of the chain, "again" finds it remembered.
func BenchmarkChain(b *testing.B) {
	p := newTestPKI(b)
	kp := p.agency(b, "000.00.00.H49")
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			v := p.verifier(b)
			if _, err := v.Chain(kp.Certificates(), time.Time{}, x509.ExtKeyUsageClientAuth); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		v := p.verifier(b)
		for b.Loop() {
			if _, err := v.Chain(kp.Certificates(), time.Time{}, x509.ExtKeyUsageClientAuth); err != nil {
				b.Fatal(err)
			}
		}
	})
}
