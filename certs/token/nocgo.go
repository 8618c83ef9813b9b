//go:build !cgo

package token

import "lienthong/certs"

// Open returns [ErrNoCgo]: this build has no PKCS#11 binding.
func Open(uri string, o Options) (*certs.KeyPair, error) {
	return nil, &Error{Op: "open", Err: ErrNoCgo}
}

// List returns [ErrNoCgo]: this build has no PKCS#11 binding.
func List(module string, prompt PINPrompt) ([]Slot, error) {
	return nil, &Error{Op: "list", Err: ErrNoCgo}
}
