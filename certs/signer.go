package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Signer is a private key that signs, wherever it is kept, together with
// the certificate that names it and the CA certificates above it. Every
// signature Lienthong makes (PDF signatures, envelope and status packets,
// receipts, timestamp tokens) takes one.
//
// Only the crypto.Signer methods touch the key, and every algorithm
// decision is made from Public() (see [SignatureAlgorithm] and
// [SigningHash]), never from the key's concrete type, so a key kept in a
// PKCS#11 token or a remote signing service signs exactly as a key file
// does. [*KeyPair] is a Signer.
type Signer interface {
	crypto.Signer
	// Certificates returns the signer's certificate, whose public key is
	// Public(), followed by its CA certificates, nearest first.
	Certificates() []*x509.Certificate
}

var _ Signer = (*KeyPair)(nil)

// Public returns the public key of the pair's private key.
func (kp *KeyPair) Public() crypto.PublicKey { return kp.Key.Public() }

// Sign signs digest with the pair's private key.
func (kp *KeyPair) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return kp.Key.Sign(rand, digest, opts)
}

// SignerRef names a signing key and its certificates as a user gives them
// (command-line flags, a configuration file): a PEM key file with a PEM
// certificate file, or one PKCS#12 file holding both.
type SignerRef struct {
	// Cert is a PEM file: the signer's certificate, then its CA
	// certificates.
	Cert string
	// Key is a PEM private key file: PKCS#8, PKCS#1 or SEC 1 in the clear,
	// or sealed by [EncryptKeyPEM]. A URI naming a key in a PKCS#11 token
	// ("pkcs11:…", RFC 7512) is refused with [ErrTokenUnsupported]: open
	// it with package certs/token.
	Key string
	// P12 is a PKCS#12 file holding the key and its certificates, given
	// instead of Cert and Key.
	P12 string
	// Passphrase opens an encrypted Key or the P12 file; nil for a key in
	// the clear.
	Passphrase []byte
}

// ErrTokenUnsupported reports a key named by a pkcs11: URI given to
// OpenSigner: tokens are opened by package certs/token, which needs cgo.
var ErrTokenUnsupported = errors.New("keys in PKCS#11 tokens are opened by package certs/token, not here")

// OpenSigner opens the signing key ref names and checks that it belongs to
// the first certificate. It is the one place keys are opened from what a
// user names from files; package certs/token fills a [KeyPair] whose Key
// signs inside a PKCS#11 token.
func OpenSigner(ref SignerRef) (*KeyPair, error) {
	switch {
	case strings.HasPrefix(ref.Key, "pkcs11:"):
		return nil, ErrTokenUnsupported
	case ref.P12 != "" && (ref.Cert != "" || ref.Key != ""):
		return nil, errors.New("give either a PKCS#12 file or a certificate and a key, not both")
	case ref.P12 != "":
		data, err := os.ReadFile(ref.P12)
		if err != nil {
			return nil, err
		}
		kp, err := DecodePKCS12(data, string(ref.Passphrase))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref.P12, err)
		}
		return kp, nil
	case ref.Cert != "" && ref.Key != "":
		return LoadKeyPair(ref.Cert, ref.Key, ref.Passphrase)
	}
	return nil, errors.New("no signing key named: give a certificate and a key, or a PKCS#12 file")
}

// NeedsSignatureCheck reports whether a signature s made must be verified
// before it is used. Only the standard library's ECDSA and RSA keys held in
// memory (alone or in a [KeyPair]), whose signatures are correct by
// construction once the key is matched to its certificate, need no check;
// a key in a token or a remote service may sign with another key or return
// garbage. This decides the cost of a check, never an algorithm.
func NeedsSignatureCheck(s crypto.Signer) bool {
	if kp, ok := s.(*KeyPair); ok {
		s = kp.Key
	}
	switch s.(type) {
	case *ecdsa.PrivateKey, *rsa.PrivateKey:
		return false
	}
	return true
}

// ErrUnsupportedKey reports a public key Lienthong does not sign with.
var ErrUnsupportedKey = errors.New("unsupported signing key")

// SignatureAlgorithm returns how a signer whose public key is pub signs a
// digest made with h: ECDSA for an elliptic-curve key, RSA PKCS#1 v1.5 for
// an RSA key of at least 2048 bits. The digest is passed to Sign with h as
// its options.
//
// RSA keys sign PKCS#1 v1.5, not RSASSA-PSS: the public key alone cannot
// say which a token supports, v1.5 is what every PAdES reader and the
// national CAs' tokens accept, and it is deterministic. Verification
// (package cms) accepts PSS from other producers.
func SignatureAlgorithm(pub crypto.PublicKey, h crypto.Hash) (x509.SignatureAlgorithm, error) {
	algs := map[crypto.Hash][2]x509.SignatureAlgorithm{
		crypto.SHA256: {x509.ECDSAWithSHA256, x509.SHA256WithRSA},
		crypto.SHA384: {x509.ECDSAWithSHA384, x509.SHA384WithRSA},
		crypto.SHA512: {x509.ECDSAWithSHA512, x509.SHA512WithRSA},
	}
	pair, ok := algs[h]
	if !ok {
		return 0, fmt.Errorf("%w: hash %v", ErrUnsupportedKey, h)
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return pair[0], nil
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return 0, fmt.Errorf("%w: rsa key of %d bits, want at least 2048", ErrUnsupportedKey, k.N.BitLen())
		}
		return pair[1], nil
	}
	return 0, fmt.Errorf("%w: public key type %T", ErrUnsupportedKey, pub)
}

// SigningHash returns the hash that matches a key's strength, for
// signatures whose digest is not fixed by a protocol (timestamp tokens):
// SHA-384 for P-384, SHA-512 for P-521, SHA-256 otherwise.
func SigningHash(pub crypto.PublicKey) crypto.Hash {
	if k, ok := pub.(*ecdsa.PublicKey); ok {
		switch k.Curve {
		case elliptic.P384():
			return crypto.SHA384
		case elliptic.P521():
			return crypto.SHA512
		}
	}
	return crypto.SHA256
}
