//go:build cgo

package token

import (
	"testing"

	"github.com/miekg/pkcs11"
)

// InjectFault puts a layer over the modules loaded while the test runs
// that answers op ("login" or "sign") with the PKCS#11 return value code
// once after calls pass (SoftHSM cannot lock a PIN or vanish mid-signature).
func InjectFault(t testing.TB, op string, code uint, after int) {
	old := loadModule
	loadModule = func(path string) (module, error) {
		m, err := old(path)
		if err != nil {
			return nil, err
		}
		return &faulty{module: m, op: op, code: code, after: after}, nil
	}
	t.Cleanup(func() { loadModule = old })
}

type faulty struct {
	module
	op    string
	code  uint
	after int
	// tripped: the fault happened; a removed token fails what follows.
	tripped bool
}

func (f *faulty) fault(op string) error {
	if op != f.op {
		return nil
	}
	if f.after > 0 {
		f.after--
		return nil
	}
	f.tripped = true
	return pkcs11.Error(f.code)
}

func (f *faulty) SignInit(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, o pkcs11.ObjectHandle) error {
	if f.tripped {
		return pkcs11.Error(f.code)
	}
	return f.module.SignInit(sh, m, o)
}

func (f *faulty) Login(sh pkcs11.SessionHandle, userType uint, pin string) error {
	if err := f.fault("login"); err != nil {
		return err
	}
	return f.module.Login(sh, userType, pin)
}

func (f *faulty) Sign(sh pkcs11.SessionHandle, msg []byte) ([]byte, error) {
	if err := f.fault("sign"); err != nil {
		return nil, err
	}
	return f.module.Sign(sh, msg)
}
