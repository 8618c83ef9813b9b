package front

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
)

// TestChainHeader: the certificates the front forwards come back as they
// were; a header that is empty, holds too many or is not certificates is
// refused.
func TestChainHeader(t *testing.T) {
	var chain []*x509.Certificate
	for i := range 2 {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: "c"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		chain = append(chain, c)
	}
	got, err := parseChain(chainHeader(chain))
	if err != nil || len(got) != 2 || !got[0].Equal(chain[0]) || !got[1].Equal(chain[1]) {
		t.Fatalf("round trip: %v", err)
	}
	one := chainHeader(chain[:1])
	for name, h := range map[string]string{
		"empty": "", "too many": strings.Repeat(one+",", maxChain) + one, "not base64": "@@", "not a certificate": "AAAA",
	} {
		if _, err := parseChain(h); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestAppendWake: one line per agency, "*" for all.
func TestAppendWake(t *testing.T) {
	got := string(appendWake(appendWake(nil, []certs.AgencyCode{"000.00.00.H49", "000.00.00.H41"}), nil))
	if want := "000.00.00.H49\n000.00.00.H41\n*\n"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}
