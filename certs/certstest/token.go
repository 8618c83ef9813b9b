package certstest

import (
	"crypto"
	"crypto/x509"
	"io"
	"sync"

	"lienthong/certs"
)

// Token is a [certs.Signer] shaped like a key in a PKCS#11 token: its key
// is not an *ecdsa.PrivateKey or *rsa.PrivateKey but an opaque value that
// only signs. It counts its signatures and can be made to fail, as a token
// pulled out mid-signing does, or to return a wrong signature.
type Token struct {
	key   crypto.Signer
	chain []*x509.Certificate

	mu      sync.Mutex
	calls   int
	fail    error
	corrupt bool
}

var _ certs.Signer = (*Token)(nil)

// NewToken puts kp's key in a token.
func NewToken(kp *certs.KeyPair) *Token {
	return &Token{key: kp.Key, chain: kp.Certificates()}
}

// Public returns the key's public half.
func (t *Token) Public() crypto.PublicKey { return t.key.Public() }

// Certificates returns the certificate and its chain, leaf first.
func (t *Token) Certificates() []*x509.Certificate { return t.chain }

// Sign signs digest, or fails with the error given to Fail.
func (t *Token) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	t.mu.Lock()
	t.calls++
	fail, corrupt := t.fail, t.corrupt
	t.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	sig, err := t.key.Sign(rand, digest, opts)
	if err == nil && corrupt {
		sig[len(sig)/2] ^= 0x01
	}
	return sig, err
}

// Calls returns how many times Sign was called.
func (t *Token) Calls() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls
}

// Fail makes every later Sign return err; nil makes it sign again.
func (t *Token) Fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail = err
}

// Corrupt makes every later Sign return a signature with one bit flipped.
func (t *Token) Corrupt() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.corrupt = true
}
