package token

import "crypto/x509"

// Slot is a token present in a module's slot, as List reads it.
type Slot struct {
	Label, Serial       string // the token's label and serial number
	Manufacturer, Model string
	// LoginRequired: the token wants the PIN before it signs (and before
	// it shows its private keys).
	LoginRequired bool
	Keys          []KeyInfo
	// Err is why the token's keys could not be read (Keys is then empty).
	Err error
}

// KeyInfo is a signing key of a token.
type KeyInfo struct {
	Label string // CKA_LABEL
	ID    []byte // CKA_ID
	// Certificate is the key's certificate on the token (same CKA_ID);
	// nil when the token holds none.
	Certificate *x509.Certificate
	// Chain are the CA certificates of Certificate the token holds,
	// nearest first.
	Chain []*x509.Certificate
	// Hidden: the key itself stays private until a login and is known by
	// its certificate.
	Hidden bool
	// URI names the key for Open: the module, the token by label and
	// serial, the key by id (and label).
	URI string
}
