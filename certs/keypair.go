package certs

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"

	"software.sslmate.com/src/go-pkcs12"
)

// KeyPair is a certificate with its private key and the chain of CA
// certificates above it (nearest first; the root may be left out).
type KeyPair struct {
	Leaf  *x509.Certificate
	Chain []*x509.Certificate
	Key   crypto.Signer
}

// Certificates returns the leaf followed by its chain.
func (kp *KeyPair) Certificates() []*x509.Certificate {
	return append([]*x509.Certificate{kp.Leaf}, kp.Chain...)
}

// TLSCertificate returns the pair for a tls.Config. The root of the chain,
// if present, is left out: peers must already trust it.
func (kp *KeyPair) TLSCertificate() tls.Certificate {
	c := tls.Certificate{PrivateKey: kp.Key, Leaf: kp.Leaf}
	for _, cert := range kp.Certificates() {
		if isSelfSigned(cert) && cert != kp.Leaf {
			continue
		}
		c.Certificate = append(c.Certificate, cert.Raw)
	}
	return c
}

// CertificatePEM returns the leaf and its chain as PEM, leaf first.
func (kp *KeyPair) CertificatePEM() []byte { return EncodeCertificatesPEM(kp.Certificates()...) }

// EncodeCertificatesPEM returns certs as concatenated PEM blocks.
func EncodeCertificatesPEM(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

// ParseCertificatesPEM reads every CERTIFICATE block in data, in order.
func ParseCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate found in PEM data")
	}
	return certs, nil
}

// ReadCertificates reads the PEM certificates in a file.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	certs, err := ParseCertificatesPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return certs, nil
}

// LoadKeyPair reads a PEM certificate file (leaf first, then its chain)
// and a PEM key file, opened with passphrase when it is encrypted, and
// checks that the key belongs to the leaf. Programs open the keys a user
// names with [OpenSigner], which reads key files with this.
func LoadKeyPair(certPath, keyPath string, passphrase []byte) (*KeyPair, error) {
	certs, err := ReadCertificates(certPath)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	key, err := ParseKeyPEM(keyPEM, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	if !SameKey(key, certs[0].PublicKey) {
		return nil, fmt.Errorf("the key in %s does not match the certificate in %s", keyPath, certPath)
	}
	return &KeyPair{Leaf: certs[0], Chain: certs[1:], Key: key}, nil
}

// EncodePKCS12 returns kp as a PKCS#12 file protected by passphrase, with
// modern algorithms (AES-256-CBC, PBKDF2-SHA-256) that OpenSSL 3 and
// Windows read.
func EncodePKCS12(kp *KeyPair, passphrase string) ([]byte, error) {
	if passphrase == "" {
		return nil, errors.New("pkcs12: empty passphrase")
	}
	data, err := pkcs12.Modern.Encode(kp.Key, kp.Leaf, kp.Chain, passphrase)
	if err != nil {
		return nil, fmt.Errorf("pkcs12: %w", err)
	}
	return data, nil
}

// DecodePKCS12 opens a PKCS#12 file with its passphrase.
func DecodePKCS12(data []byte, passphrase string) (*KeyPair, error) {
	key, leaf, chain, err := pkcs12.DecodeChain(data, passphrase)
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, fmt.Errorf("pkcs12: %w", err)
	}
	signer, err := asSigner(key)
	if err != nil {
		return nil, fmt.Errorf("pkcs12: %w", err)
	}
	if !SameKey(signer, leaf.PublicKey) {
		return nil, errors.New("pkcs12: the key does not match the certificate")
	}
	return &KeyPair{Leaf: leaf, Chain: chain, Key: signer}, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

func mustURIs(raw ...string) []*url.URL {
	var out []*url.URL
	for _, r := range raw {
		u, err := url.Parse(r)
		if err != nil {
			panic(err) // callers pass validated constants and codes
		}
		out = append(out, u)
	}
	return out
}
