package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"
)

// KeyAlgorithm names a kind of key pair.
type KeyAlgorithm string

// The key algorithms the PKI issues. ECDSA P-256 is the default.
const (
	ECDSAP256 KeyAlgorithm = "ecdsa-p256"
	ECDSAP384 KeyAlgorithm = "ecdsa-p384"
	RSA2048   KeyAlgorithm = "rsa-2048"
	RSA3072   KeyAlgorithm = "rsa-3072"
)

// KeyAlgorithms lists the accepted algorithms, default first.
var KeyAlgorithms = []KeyAlgorithm{ECDSAP256, ECDSAP384, RSA2048, RSA3072}

// GenerateKey makes a new private key of the given algorithm; the empty
// algorithm means ECDSA P-256.
func GenerateKey(alg KeyAlgorithm) (crypto.Signer, error) {
	switch alg {
	case "", ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	}
	return nil, fmt.Errorf("unknown key algorithm %q (want one of %v)", alg, KeyAlgorithms)
}

// ErrWrongPassphrase reports a passphrase that does not open a key.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// ErrPassphraseNeeded reports an encrypted key read without a passphrase.
var ErrPassphraseNeeded = errors.New("the key is encrypted: a passphrase is needed")

const (
	plainKeyBlock     = "PRIVATE KEY"
	encryptedKeyBlock = "LIENTHONG ENCRYPTED PRIVATE KEY"
	keyAAD            = "lienthong encrypted private key v1"
)

// scrypt cost for keys on disk: about 100 ms and 32 MiB per unlock.
const (
	scryptN = 1 << 15
	scryptR = 8
	scryptP = 1
)

// EncodeKeyPEM returns key as an unencrypted PKCS#8 PEM block. Use it only
// where the file is protected otherwise, or for the demo PKI.
func EncodeKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: plainKeyBlock, Bytes: der}), nil
}

// EncryptKeyPEM returns key as a PEM block whose PKCS#8 body is sealed with
// XChaCha20-Poly1305 under a key derived from passphrase by scrypt.
func EncryptKeyPEM(key crypto.Signer, passphrase []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("encrypt private key: empty passphrase")
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	salt := make([]byte, 16)
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	aead, err := keyAEAD(passphrase, salt, scryptN, scryptR, scryptP)
	if err != nil {
		return nil, err
	}
	block := &pem.Block{
		Type: encryptedKeyBlock,
		Headers: map[string]string{
			"KDF":    "scrypt",
			"Salt":   hex.EncodeToString(salt),
			"N":      strconv.Itoa(scryptN),
			"R":      strconv.Itoa(scryptR),
			"P":      strconv.Itoa(scryptP),
			"Cipher": "XChaCha20-Poly1305",
			"Nonce":  hex.EncodeToString(nonce),
		},
		Bytes: aead.Seal(nil, nonce, der, []byte(keyAAD)),
	}
	return pem.EncodeToMemory(block), nil
}

// ParseKeyPEM reads the first private key in data: PKCS#8, PKCS#1 or SEC 1
// in the clear, or a key sealed by EncryptKeyPEM (then passphrase opens it).
func ParseKeyPEM(data, passphrase []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no private key found in PEM data")
		}
		switch block.Type {
		case encryptedKeyBlock:
			return decryptKey(block, passphrase)
		case plainKeyBlock, "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if _, ok := block.Headers["DEK-Info"]; ok {
				return nil, errors.New("legacy OpenSSL-encrypted PEM keys are not supported: convert with `openssl pkcs8 -topk8`")
			}
			return parseKeyDER(block.Bytes)
		}
	}
}

func decryptKey(block *pem.Block, passphrase []byte) (crypto.Signer, error) {
	if len(passphrase) == 0 {
		return nil, ErrPassphraseNeeded
	}
	h := block.Headers
	if h["KDF"] != "scrypt" || h["Cipher"] != "XChaCha20-Poly1305" {
		return nil, fmt.Errorf("encrypted key: unsupported KDF %q or cipher %q", h["KDF"], h["Cipher"])
	}
	salt, err1 := hex.DecodeString(h["Salt"])
	nonce, err2 := hex.DecodeString(h["Nonce"])
	n, err3 := strconv.Atoi(h["N"])
	r, err4 := strconv.Atoi(h["R"])
	p, err5 := strconv.Atoi(h["P"])
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil || len(nonce) != chacha20poly1305.NonceSizeX {
		return nil, errors.New("encrypted key: malformed headers")
	}
	// Refuse costs that would let a crafted file exhaust memory or time:
	// at most 128 MiB and a few seconds (this package writes N=2^15, r=8,
	// p=1: 32 MiB).
	if n < 2 || n > 1<<17 || n&(n-1) != 0 || r < 1 || r > 8 || p < 1 || p > 4 || len(salt) < 8 {
		return nil, errors.New("encrypted key: KDF parameters out of range")
	}
	aead, err := keyAEAD(passphrase, salt, n, r, p)
	if err != nil {
		return nil, err
	}
	der, err := aead.Open(nil, nonce, block.Bytes, []byte(keyAAD))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return parseKeyDER(der)
}

func keyAEAD(passphrase, salt []byte, n, r, p int) (interface {
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}, error) {
	k, err := scrypt.Key(passphrase, salt, n, r, p, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	return chacha20poly1305.NewX(k)
}

func parseKeyDER(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return asSigner(k)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("unreadable private key")
}

func asSigner(k any) (crypto.Signer, error) {
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", k)
}

// SameKey reports whether the private key belongs to the public key.
func SameKey(key crypto.Signer, pub crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := key.Public().(equaler)
	return ok && e.Equal(pub)
}
