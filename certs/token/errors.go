package token

import (
	"errors"
	"fmt"
)

// The sentinels a caller decides on and shows. Every failure of Open or
// of a signature wraps one of them in an [*Error].
var (
	ErrNoCgo          = errors.New("this build has no PKCS#11 support (built without cgo)")
	ErrModule         = errors.New("cannot load the PKCS#11 module")
	ErrTokenFailed    = errors.New("the token failed")
	ErrTokenNotFound  = errors.New("no matching token is present")
	ErrTokenAmbiguous = errors.New("more than one token matches")
	ErrKeyNotFound    = errors.New("no matching private key on the token")
	ErrKeyAmbiguous   = errors.New("more than one private key matches")
	ErrWrongPIN       = errors.New("wrong PIN")
	ErrPINLocked      = errors.New("the token's PIN is locked")
	ErrPINNeeded      = errors.New("the token needs a PIN and none was given")
	ErrTokenRemoved   = errors.New("the token was removed")
	ErrKeyCannotSign  = errors.New("the key on the token may not sign")
	ErrCertMismatch   = errors.New("the certificate does not match the key on the token")
	ErrNoCertificate  = errors.New("no certificate for the key on the token")
)

// Error is a failure of a token operation: what was being done, the
// PKCS#11 return value when the module gave one, and the sentinel.
type Error struct {
	Op   string // e.g. "login", "sign"
	Code uint   // the CKR_ value, 0 when the failure is not the module's
	Err  error  // one of the package's sentinels
	// Detail is English text for the log (labels, the cause); never a PIN.
	Detail string
}

func (e *Error) Error() string {
	s := "pkcs11 " + e.Op + ": " + e.Err.Error()
	if e.Code != 0 {
		s += fmt.Sprintf(" (CKR 0x%X)", e.Code)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// PINPrompt asks the user for a token's PIN. The desktop app implements it
// with a dialog, lienthong-clerk with a terminal prompt without echo. The
// PIN returned is used for one login and not kept; return an error
// (context.Canceled for a user who gives up) to stop.
type PINPrompt interface {
	PIN(token string) ([]byte, error)
}

// PINFunc adapts a function to [PINPrompt].
type PINFunc func(token string) ([]byte, error)

// PIN calls f.
func (f PINFunc) PIN(token string) ([]byte, error) { return f(token) }
