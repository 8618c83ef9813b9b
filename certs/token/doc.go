// Package token opens a signing key kept in a PKCS#11 token (a USB token
// from a CA, an HSM, SoftHSM in tests) as a [certs.KeyPair] whose Key
// signs inside the token, so that every signature Lienthong makes (PDF,
// envelope and status packets, timestamps, edXML) takes it as it takes a
// key file.
//
// A key is named by an RFC 7512 URI:
//
//	pkcs11:token=Ban%20Co%20yeu;object=con-dau?module-path=/usr/lib/x.so
//
// with the path attributes token (the token's label), serial, object (the
// key's label) and id, and the query attribute module-path. With one token
// present and one private key on it, "pkcs11:" alone is enough; a name that
// fits more than one token or key is refused. pin-value and pin-source are
// refused: the PIN is never part of a name that ends up on a command line.
//
// The PIN is asked through a [PINPrompt] only when the token wants a login,
// used once for C_Login and not kept. The certificate is the token's (the
// certificate object with the key's CKA_ID) unless one is given; either way
// Open makes one signature with the key and checks it against the
// certificate, and refuses a key that does not sign or does not match.
//
// [List] reads the tokens present in a module and the signing keys each
// shows (through their certificates before a login), with the URI that
// names each, for a person to choose one; [FindModule] finds a driver
// when none is named ($LIENTHONG_PKCS11_MODULE, then the vendors' usual
// paths, OpenSC's and SoftHSM2's).
//
// Failures are typed ([*Error]) and wrap a sentinel a caller can decide
// on and show ([ErrWrongPIN], [ErrPINLocked], [ErrTokenRemoved], ...).
//
// The binding (github.com/miekg/pkcs11) needs cgo. Built without cgo (the
// static binaries, the hub), the package still compiles and Open returns
// [ErrNoCgo], so that certs and everything the hub imports stay cgo-free.
package token
