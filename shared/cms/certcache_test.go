package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"testing"

	"lienthong/certs"
)

func TestCertCacheSharesParsedCertificates(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert := selfSigned(t, key, 7)
	digest := sha256.Sum256([]byte("công văn"))
	der, err := Sign(digest[:], crypto.SHA256, &certs.KeyPair{Leaf: cert, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	// The container is read from a buffer the caller then reuses.
	buf := bytes.Clone(der)
	b, err := Parse(buf)
	if err != nil {
		t.Fatal(err)
	}
	clear(buf)
	if a.Signer != b.Signer {
		t.Error("the same certificate in two containers was parsed twice")
	}
	if !bytes.Equal(b.Signer.Raw, cert.Raw) {
		t.Error("the remembered certificate changed with the caller's buffer")
	}
	// a's own bytes are intact; its signer is the shared certificate.
	if err := a.Verify(digest[:]); err != nil {
		t.Errorf("verify with the remembered certificate: %v", err)
	}
}

func TestCertCacheBounded(t *testing.T) {
	p := parsedCerts{max: 2}
	var ders [][]byte
	for i := range 3 {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		ders = append(ders, selfSigned(t, key, int64(i+1)).Raw)
	}
	for _, der := range ders {
		buf := bytes.Clone(der)
		c, err := p.parse(buf)
		if err != nil {
			t.Fatal(err)
		}
		clear(buf)
		if !bytes.Equal(c.Raw, der) {
			t.Fatal("parsed certificate does not keep its own bytes")
		}
		if len(p.m) > p.max {
			t.Fatalf("%d certificates remembered, at most %d wanted", len(p.m), p.max)
		}
	}
	first, _ := p.parse(ders[2])
	again, _ := p.parse(ders[2])
	if first != again {
		t.Error("the last certificate parsed is not remembered")
	}
	if _, err := p.parse([]byte{0x30, 0x03, 0x02, 0x01, 0x01}); err == nil {
		t.Fatal("a malformed certificate parsed")
	}
	if len(p.m) != 2 {
		t.Errorf("%d certificates remembered after a parse error, want 2", len(p.m))
	}
}

func TestCertCacheConcurrent(t *testing.T) {
	p := parsedCerts{max: 2}
	var ders [][]byte
	for i := range 4 {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		ders = append(ders, selfSigned(t, key, int64(i+1)).Raw)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				der := ders[(g+i)%len(ders)]
				c, err := p.parse(der)
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(c.Raw, der) {
					t.Error("parse returned another certificate")
					return
				}
			}
		})
	}
	wg.Wait()
	if len(p.m) > p.max {
		t.Errorf("%d certificates remembered, at most %d wanted", len(p.m), p.max)
	}
}
