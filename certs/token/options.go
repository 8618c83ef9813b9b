package token

import "crypto/x509"

// Options tune Open.
type Options struct {
	// Module is the PKCS#11 module's path when the URI has no
	// module-path; "" uses $LIENTHONG_PKCS11_MODULE.
	Module string
	// Certificates, when not empty, are the signer's certificate and its
	// CA certificates, nearest first, given instead of the token's.
	Certificates []*x509.Certificate
	// PIN asks for the PIN when the token wants a login; nil refuses such
	// a token with [ErrPINNeeded].
	PIN PINPrompt
}
