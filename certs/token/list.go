//go:build cgo

package token

import (
	"bytes"
	"crypto/x509"
	"strings"

	"github.com/miekg/pkcs11"
)

// List reads the tokens present in module and the signing keys each
// shows, for a person or a clerk to choose one (the result's URIs are
// what Open takes). Without a login a token shows only its public
// objects: a key is then listed through its certificate (same CKA_ID),
// which tokens from CAs keep public. With prompt set, a token that wants
// a login is logged in first (the PIN asked once per token, not kept),
// so that keys without a certificate object are listed too. A token that
// cannot be read is listed with its error rather than failing the list.
func List(module string, prompt PINPrompt) ([]Slot, error) {
	if module == "" {
		return nil, &Error{Op: "load", Err: ErrModule, Detail: "no module path"}
	}
	mod, err := acquire(module)
	if err != nil {
		return nil, err
	}
	defer mod.release()
	slots, err := mod.GetSlotList(true)
	if err != nil {
		return nil, wrap("list slots", err, ErrTokenFailed)
	}
	var out []Slot
	for _, s := range slots {
		info, err := mod.GetTokenInfo(s)
		if err != nil || info.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue // gone while we looked, or blank
		}
		sl := Slot{
			Label:         trim(info.Label),
			Serial:        trim(info.SerialNumber),
			Manufacturer:  trim(info.ManufacturerID),
			Model:         trim(info.Model),
			LoginRequired: info.Flags&pkcs11.CKF_LOGIN_REQUIRED != 0,
		}
		sl.Keys, sl.Err = listKeys(mod, s, info, sl, prompt)
		for i := range sl.Keys {
			sl.Keys[i].URI = keyURI(module, sl, sl.Keys[i])
		}
		out = append(out, sl)
	}
	return out, nil
}

// listKeys reads one token's signing keys in a session of its own.
func listKeys(mod *loaded, slot uint, info pkcs11.TokenInfo, sl Slot, prompt PINPrompt) ([]KeyInfo, error) {
	sh, err := mod.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, wrap("open session", err, ErrTokenFailed)
	}
	// No Logout at the end: a login belongs to the token, not to the
	// session, and would end a key of this process open on the same
	// token; closing the last session ends it.
	defer mod.CloseSession(sh)
	k := &Key{mod: mod, sh: sh, inSess: true}
	if prompt != nil && sl.LoginRequired {
		if err := k.login(sl.Label, info, prompt); err != nil {
			return nil, err
		}
	}
	privs, err := k.find([]*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)})
	if err != nil {
		return nil, err
	}
	var keys []KeyInfo
	for _, o := range privs {
		a, err := mod.GetAttributeValue(sh, o, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil),
			pkcs11.NewAttribute(pkcs11.CKA_ID, nil),
			pkcs11.NewAttribute(pkcs11.CKA_SIGN, nil),
		})
		if err != nil {
			return nil, wrap("read key", err, ErrTokenFailed)
		}
		if len(a[2].Value) != 1 || a[2].Value[0] == 0 {
			continue // may not sign: no use to list it
		}
		keys = append(keys, KeyInfo{Label: string(a[0].Value), ID: a[1].Value})
	}
	certObjs, err := k.find([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
	})
	if err != nil {
		return nil, err
	}
	var all []*x509.Certificate
	for _, o := range certObjs {
		a, err := mod.GetAttributeValue(sh, o, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil),
			pkcs11.NewAttribute(pkcs11.CKA_ID, nil),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil),
		})
		if err != nil {
			return nil, wrap("read certificate", err, ErrTokenFailed)
		}
		c, err := x509.ParseCertificate(a[2].Value)
		if err != nil {
			continue // a certificate Go cannot read is not ours to use
		}
		all = append(all, c)
		id := a[1].Value
		if len(id) == 0 {
			continue // a CA certificate, not a key's
		}
		matched := false
		for i := range keys {
			if bytes.Equal(keys[i].ID, id) && keys[i].Certificate == nil {
				keys[i].Certificate, matched = c, true
			}
		}
		if !matched && (prompt == nil || !sl.LoginRequired) {
			// The key is private until a login: its certificate
			// stands for it.
			keys = append(keys, KeyInfo{Label: string(a[0].Value), ID: id, Certificate: c, Hidden: true})
		}
	}
	for i := range keys {
		if keys[i].Certificate != nil {
			keys[i].Chain = chainOf(keys[i].Certificate, all)[1:]
		}
	}
	return keys, nil
}

// keyURI names one key of a token: the token by label and serial, the
// key by its CKA_ID (the same whether or not the token was logged in
// when listed: a hidden key is known by its certificate's id), by its
// label only when it has no id.
func keyURI(module string, sl Slot, k KeyInfo) string {
	u := URI{Module: module, Token: sl.Label, Serial: sl.Serial, ID: k.ID}
	if len(k.ID) == 0 {
		u.Object = k.Label
	}
	return u.String()
}

func trim(s string) string { return strings.TrimRight(s, " \x00") }
