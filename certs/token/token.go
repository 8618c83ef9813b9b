//go:build cgo

package token

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"

	"lienthong/certs"
)

// module is the part of a PKCS#11 module this package uses; *pkcs11.Ctx
// is one, and tests put a fault-injecting layer over it.
type module interface {
	Initialize(...pkcs11.InitializeOption) error
	Finalize() error
	Destroy()
	GetSlotList(tokenPresent bool) ([]uint, error)
	GetTokenInfo(slot uint) (pkcs11.TokenInfo, error)
	OpenSession(slot uint, flags uint) (pkcs11.SessionHandle, error)
	CloseSession(sh pkcs11.SessionHandle) error
	Login(sh pkcs11.SessionHandle, userType uint, pin string) error
	FindObjectsInit(sh pkcs11.SessionHandle, temp []*pkcs11.Attribute) error
	FindObjects(sh pkcs11.SessionHandle, max int) ([]pkcs11.ObjectHandle, bool, error)
	FindObjectsFinal(sh pkcs11.SessionHandle) error
	GetAttributeValue(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, a []*pkcs11.Attribute) ([]*pkcs11.Attribute, error)
	SignInit(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, o pkcs11.ObjectHandle) error
	Sign(sh pkcs11.SessionHandle, message []byte) ([]byte, error)
}

// loadModule loads a module; tests replace it.
var loadModule = func(path string) (module, error) {
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, &Error{Op: "load", Err: ErrModule, Detail: path}
	}
	return ctx, nil
}

// modules are the loaded modules by path, shared by the keys open in them:
// a module is initialised once per process and finalised with its last key.
var modules = struct {
	sync.Mutex
	m map[string]*loaded
}{m: map[string]*loaded{}}

type loaded struct {
	module
	path string
	refs int
}

func acquire(path string) (*loaded, error) {
	modules.Lock()
	defer modules.Unlock()
	if l := modules.m[path]; l != nil {
		l.refs++
		return l, nil
	}
	mod, err := loadModule(path)
	if err != nil {
		return nil, err
	}
	if err := mod.Initialize(); err != nil && !isCode(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		mod.Destroy()
		return nil, wrap("initialize", err, ErrModule)
	}
	l := &loaded{module: mod, path: path, refs: 1}
	modules.m[path] = l
	return l, nil
}

func (l *loaded) release() {
	modules.Lock()
	defer modules.Unlock()
	if l.refs--; l.refs > 0 {
		return
	}
	delete(modules.m, l.path)
	l.Finalize()
	l.Destroy()
}

// Open opens the private key uri names (see the package doc) and returns
// it with its certificates. The key stays in the token; the returned
// pair's Key signs there, holding one logged-in session until Close.
func Open(uri string, o Options) (*certs.KeyPair, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	path := u.Module
	if path == "" {
		path = o.Module
	}
	if path == "" {
		path = os.Getenv("LIENTHONG_PKCS11_MODULE")
	}
	if path == "" {
		return nil, &Error{Op: "load", Err: ErrModule, Detail: "no module path: give module-path in the URI or set LIENTHONG_PKCS11_MODULE"}
	}
	mod, err := acquire(path)
	if err != nil {
		return nil, err
	}
	k := &Key{mod: mod}
	kp, err := k.open(u, o)
	if err != nil {
		k.Close()
		return nil, err
	}
	return kp, nil
}

// Key is a private key in a token: a crypto.Signer whose Sign asks the
// token. It is safe for concurrent use (signatures are serialised).
type Key struct {
	mu     sync.Mutex
	mod    *loaded
	sh     pkcs11.SessionHandle
	inSess bool
	obj    pkcs11.ObjectHandle
	pub    crypto.PublicKey
	closed bool
}

func (k *Key) open(u URI, o Options) (*certs.KeyPair, error) {
	slot, label, err := k.findToken(u)
	if err != nil {
		return nil, err
	}
	sh, err := k.mod.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, wrap("open session", err, ErrTokenFailed)
	}
	k.sh, k.inSess = sh, true
	info, err := k.mod.GetTokenInfo(slot)
	if err != nil {
		return nil, wrap("token info", err, ErrTokenFailed)
	}
	if info.Flags&pkcs11.CKF_LOGIN_REQUIRED != 0 {
		if err := k.login(label, info, o.PIN); err != nil {
			return nil, err
		}
	}
	tmpl := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)}
	if u.Object != "" {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_LABEL, u.Object))
	}
	if u.ID != nil {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_ID, u.ID))
	}
	keys, err := k.find(tmpl)
	if err != nil {
		return nil, err
	}
	switch len(keys) {
	case 0:
		return nil, &Error{Op: "find key", Err: ErrKeyNotFound, Detail: fmt.Sprintf("token %q, object %q", label, u.Object)}
	case 1:
	default:
		return nil, &Error{Op: "find key", Err: ErrKeyAmbiguous, Detail: fmt.Sprintf("%d keys on token %q: name one with object= or id=", len(keys), label)}
	}
	k.obj = keys[0]
	attrs, err := k.mod.GetAttributeValue(sh, k.obj, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, nil),
		pkcs11.NewAttribute(pkcs11.CKA_ID, nil),
	})
	if err != nil {
		return nil, wrap("read key", err, ErrTokenFailed)
	}
	if len(attrs[0].Value) != 1 || attrs[0].Value[0] == 0 {
		return nil, &Error{Op: "read key", Err: ErrKeyCannotSign, Detail: "CKA_SIGN is false"}
	}
	chain := o.Certificates
	if len(chain) == 0 {
		if chain, err = k.certificate(attrs[1].Value); err != nil {
			return nil, err
		}
	}
	k.pub = chain[0].PublicKey
	if err := k.check(); err != nil {
		return nil, err
	}
	return &certs.KeyPair{Leaf: chain[0], Chain: chain[1:], Key: k}, nil
}

// findToken picks the one present token the URI names.
func (k *Key) findToken(u URI) (uint, string, error) {
	slots, err := k.mod.GetSlotList(true)
	if err != nil {
		return 0, "", wrap("list slots", err, ErrTokenFailed)
	}
	var found []uint
	var label string
	for _, s := range slots {
		info, err := k.mod.GetTokenInfo(s)
		if err != nil {
			continue // a slot whose token went away while we looked
		}
		l := strings.TrimRight(info.Label, " \x00")
		if (u.Token == "" || u.Token == l) && (u.Serial == "" || u.Serial == strings.TrimRight(info.SerialNumber, " \x00")) &&
			info.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 {
			found, label = append(found, s), l
		}
	}
	switch len(found) {
	case 0:
		return 0, "", &Error{Op: "find token", Err: ErrTokenNotFound, Detail: fmt.Sprintf("token %q serial %q", u.Token, u.Serial)}
	case 1:
		return found[0], label, nil
	}
	return 0, "", &Error{Op: "find token", Err: ErrTokenAmbiguous, Detail: fmt.Sprintf("%d tokens: name one with token= or serial=", len(found))}
}

func (k *Key) login(label string, info pkcs11.TokenInfo, prompt PINPrompt) error {
	if info.Flags&pkcs11.CKF_USER_PIN_LOCKED != 0 {
		return &Error{Op: "login", Err: ErrPINLocked, Detail: label}
	}
	if prompt == nil {
		return &Error{Op: "login", Err: ErrPINNeeded, Detail: label}
	}
	pin, err := prompt.PIN(label)
	if err != nil {
		return fmt.Errorf("pkcs11 login: %w", err)
	}
	err = k.mod.Login(k.sh, pkcs11.CKU_USER, string(pin))
	clear(pin)
	if err != nil && !isCode(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		return wrap("login", err, ErrTokenFailed)
	}
	return nil
}

func (k *Key) find(tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := k.mod.FindObjectsInit(k.sh, tmpl); err != nil {
		return nil, wrap("find objects", err, ErrTokenFailed)
	}
	var all []pkcs11.ObjectHandle
	for {
		objs, _, err := k.mod.FindObjects(k.sh, 16)
		if err != nil {
			k.mod.FindObjectsFinal(k.sh)
			return nil, wrap("find objects", err, ErrTokenFailed)
		}
		if len(objs) == 0 {
			break
		}
		all = append(all, objs...)
	}
	if err := k.mod.FindObjectsFinal(k.sh); err != nil {
		return nil, wrap("find objects", err, ErrTokenFailed)
	}
	return all, nil
}

// certificate reads the X.509 certificate object with the key's CKA_ID,
// then the token's other certificates as the chain, nearest first.
func (k *Key) certificate(id []byte) ([]*x509.Certificate, error) {
	objs, err := k.find([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
	})
	if err != nil {
		return nil, err
	}
	var leaf *x509.Certificate
	var others []*x509.Certificate
	for _, o := range objs {
		a, err := k.mod.GetAttributeValue(k.sh, o, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_ID, nil),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil),
		})
		if err != nil {
			return nil, wrap("read certificate", err, ErrTokenFailed)
		}
		c, err := x509.ParseCertificate(a[1].Value)
		if err != nil {
			continue // a certificate Go cannot read is not ours to use
		}
		if leaf == nil && len(id) > 0 && bytes.Equal(a[0].Value, id) {
			leaf = c
		} else {
			others = append(others, c)
		}
	}
	if leaf == nil {
		return nil, &Error{Op: "read certificate", Err: ErrNoCertificate, Detail: "no certificate object with the key's CKA_ID; give the certificate file"}
	}
	return chainOf(leaf, others), nil
}

// chainOf returns leaf followed by its CA certificates found in others,
// nearest first.
func chainOf(leaf *x509.Certificate, others []*x509.Certificate) []*x509.Certificate {
	chain := []*x509.Certificate{leaf}
	for cur := leaf; ; {
		var next *x509.Certificate
		for _, c := range others {
			if bytes.Equal(c.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(c) == nil && !bytes.Equal(c.Raw, cur.Raw) {
				next = c
				break
			}
		}
		if next == nil || len(chain) > 8 {
			return chain
		}
		chain, cur = append(chain, next), next
	}
}

// check signs a random digest and verifies it with the certificate's key:
// the one test that the key is the certificate's and that it signs.
func (k *Key) check() error {
	if _, err := certs.SignatureAlgorithm(k.pub, crypto.SHA256); err != nil {
		return &Error{Op: "check key", Err: ErrCertMismatch, Detail: err.Error()}
	}
	digest := make([]byte, sha256.Size)
	rand.Read(digest)
	sig, err := k.Sign(nil, digest, crypto.SHA256)
	if err != nil {
		return err
	}
	ok := false
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig) == nil
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(pub, digest, sig)
	}
	if !ok {
		return &Error{Op: "check key", Err: ErrCertMismatch}
	}
	return nil
}

// Public returns the certificate's public key.
func (k *Key) Public() crypto.PublicKey { return k.pub }

// Sign signs digest in the token: ECDSA (the signature in ASN.1 form),
// RSA PKCS#1 v1.5, or RSASSA-PSS when opts is an *rsa.PSSOptions.
func (k *Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	h := opts.HashFunc()
	if h != 0 && len(digest) != h.Size() {
		return nil, fmt.Errorf("pkcs11 sign: digest of %d bytes for %v", len(digest), h)
	}
	var mech *pkcs11.Mechanism
	msg := digest
	switch k.pub.(type) {
	case *ecdsa.PublicKey:
		mech = pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			m, err := pssParams(h, pss)
			if err != nil {
				return nil, err
			}
			mech = m
		} else {
			prefix, ok := digestInfo[h]
			if !ok {
				return nil, fmt.Errorf("pkcs11 sign: unsupported hash %v", h)
			}
			mech = pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil)
			msg = append(append([]byte{}, prefix...), digest...)
		}
	default:
		return nil, fmt.Errorf("pkcs11 sign: %w: %T", certs.ErrUnsupportedKey, k.pub)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil, errors.New("pkcs11 sign: key closed")
	}
	if err := k.mod.SignInit(k.sh, []*pkcs11.Mechanism{mech}, k.obj); err != nil {
		return nil, wrap("sign", err, ErrTokenFailed)
	}
	sig, err := k.mod.Sign(k.sh, msg)
	if err != nil {
		return nil, wrap("sign", err, ErrTokenFailed)
	}
	if _, ok := k.pub.(*ecdsa.PublicKey); ok {
		return ecdsaASN1(sig)
	}
	return sig, nil
}

// Close ends the session and unloads the module.
func (k *Key) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return nil
	}
	k.closed = true
	if k.inSess {
		k.mod.CloseSession(k.sh)
	}
	k.mod.release()
	return nil
}

// digestInfo are the DER prefixes of PKCS#1 v1.5 DigestInfo (RFC 8017,
// section 9.2, note 1), which CKM_RSA_PKCS expects before the digest.
var digestInfo = map[crypto.Hash][]byte{
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

func pssParams(h crypto.Hash, o *rsa.PSSOptions) (*pkcs11.Mechanism, error) {
	algs := map[crypto.Hash][2]uint{
		crypto.SHA256: {pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256},
		crypto.SHA384: {pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384},
		crypto.SHA512: {pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512},
	}
	a, ok := algs[h]
	if !ok {
		return nil, fmt.Errorf("pkcs11 sign: unsupported hash %v", h)
	}
	salt := o.SaltLength
	if salt == rsa.PSSSaltLengthEqualsHash || salt == rsa.PSSSaltLengthAuto {
		salt = h.Size()
	}
	return pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(a[0], a[1], uint(salt))), nil
}

// ecdsaASN1 turns the token's r||s into the ASN.1 form Go and CMS use.
func ecdsaASN1(raw []byte) ([]byte, error) {
	if len(raw) == 0 || len(raw)%2 != 0 {
		return nil, fmt.Errorf("pkcs11 sign: ecdsa signature of %d bytes", len(raw))
	}
	n := len(raw) / 2
	return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:n]), new(big.Int).SetBytes(raw[n:])})
}

func isCode(err error, code uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == code
}

// wrap types a module's error: the return values a user can act on get
// their sentinel, the rest fallback.
func wrap(op string, err error, fallback error) error {
	var e pkcs11.Error
	if !errors.As(err, &e) {
		return &Error{Op: op, Err: fallback, Detail: err.Error()}
	}
	s := fallback
	switch uint(e) {
	case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_INVALID, pkcs11.CKR_PIN_LEN_RANGE:
		s = ErrWrongPIN
	case pkcs11.CKR_PIN_LOCKED, pkcs11.CKR_PIN_EXPIRED:
		s = ErrPINLocked
	case pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_SESSION_HANDLE_INVALID, pkcs11.CKR_SESSION_CLOSED:
		s = ErrTokenRemoved
	case pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED, pkcs11.CKR_KEY_TYPE_INCONSISTENT, pkcs11.CKR_MECHANISM_INVALID:
		s = ErrKeyCannotSign
	case pkcs11.CKR_USER_NOT_LOGGED_IN:
		s = ErrPINNeeded
	}
	return &Error{Op: op, Code: uint(e), Err: s, Detail: e.Error()}
}
