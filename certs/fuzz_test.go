package certs

import (
	"testing"
)

// The PKI reads files that come from outside: keys, certificates, CRLs,
// PKCS#12 files. Each parser must refuse garbage with an error, never
// panic, and accept only what round-trips.

func FuzzParseKeyPEM(f *testing.F) {
	key, _ := GenerateKey(ECDSAP256)
	plain, _ := EncodeKeyPEM(key)
	sealed, _ := EncryptKeyPEM(key, []byte("pass"))
	f.Add(plain, []byte(""))
	f.Add(sealed, []byte("pass"))
	f.Add([]byte("-----BEGIN LIENTHONG ENCRYPTED PRIVATE KEY-----\nKDF: scrypt\nN: 2\n\nAAAA\n-----END LIENTHONG ENCRYPTED PRIVATE KEY-----\n"), []byte("x"))
	f.Fuzz(func(t *testing.T, data, pass []byte) {
		k, err := ParseKeyPEM(data, pass)
		if err == nil && k == nil {
			t.Fatal("nil key without an error")
		}
	})
}

func FuzzParseCertificatesPEM(f *testing.F) {
	p := newTestPKI(f)
	f.Add(p.agency(f, "000.00.00.H49").CertificatePEM())
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificatesPEM(data)
		if err == nil && len(certs) == 0 {
			t.Fatal("no certificate and no error")
		}
		for _, c := range certs {
			_, _ = AgencyOf(c)
		}
	})
}

func FuzzParseCRL(f *testing.F) {
	p := newTestPKI(f)
	der, err := p.issuing.CRL(nil, 1, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Add(EncodeCRLPEM(der))
	f.Add(append(EncodeCRLPEM(der), EncodeCRLPEM(der)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		crl, err := ParseCRL(data)
		if err == nil && crl == nil {
			t.Fatal("nil CRL without an error")
		}
		// ParseCRLs reads what a hub or a distribution point answers.
		crls, err := ParseCRLs(data)
		if err == nil && len(crls) == 0 {
			t.Fatal("no CRL without an error")
		}
		for _, c := range crls {
			if c == nil {
				t.Fatal("nil CRL in the list")
			}
		}
	})
}

func FuzzDecodePKCS12(f *testing.F) {
	p := newTestPKI(f)
	data, err := EncodePKCS12(p.agency(f, "000.00.00.H49"), "pass")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, "pass")
	f.Add(data[:len(data)/2], "pass")
	f.Fuzz(func(t *testing.T, data []byte, pass string) {
		kp, err := DecodePKCS12(data, pass)
		if err == nil && (kp == nil || !SameKey(kp.Key, kp.Leaf.PublicKey)) {
			t.Fatal("accepted a key that does not match its certificate")
		}
	})
}
