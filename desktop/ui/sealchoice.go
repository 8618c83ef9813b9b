package ui

import (
	"crypto/x509"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lienthong/certs"
	"lienthong/certs/token"
	"lienthong/desktop/i18n"
)

// SealChoice is the part of Cài đặt that chooses what signs as the
// agency's seal: the key in the store (the .p12 loaded at setup) or a key
// on a PKCS#11 token, chosen from the tokens present (TokenKeys). The
// choice is kept as the key's pkcs11: URI and certificate chain
// (PrefSeal, PrefSealCert) and takes effect when the app next opens the
// store; the PIN is asked when the seal first signs. Sync never uses it:
// the store's key stays the TLS identity.
type SealChoice struct {
	app    *App
	Source *widget.RadioGroup
	*TokenKeys
	// InUse says what signs as the seal in this run of the app.
	InUse *widget.Label
	root  fyne.CanvasObject
}

func newSealChoice(a *App) *SealChoice {
	c := a.cat
	p := a.fyne.Preferences()
	module := ""
	if u, err := token.ParseURI(p.String(PrefSeal)); err == nil {
		module = u.Module
	}
	s := &SealChoice{app: a, TokenKeys: newTokenKeys(a, module), InUse: widget.NewLabel("")}
	s.InUse.Wrapping = fyne.TextWrapWord
	s.TokenKeys.Current = p.String(PrefSeal)
	s.OnChoose = s.onKey
	s.Source = widget.NewRadioGroup([]string{c.T(i18n.SealFromStore), c.T(i18n.SealFromToken)}, nil)
	if p.String(PrefSeal) != "" {
		s.Source.SetSelected(c.T(i18n.SealFromToken))
	} else {
		s.Source.SetSelected(c.T(i18n.SealFromStore))
		s.TokenKeys.Object().Hide()
	}
	s.Source.OnChanged = s.onSource
	if a.seal == nil {
		s.InUse.SetText(c.T(i18n.SealNowStore))
	} else {
		s.InUse.SetText(c.T(i18n.SealNow, subjectName(a.seal.chain[0])))
	}
	s.root = container.NewVBox(s.InUse, s.Source, s.TokenKeys.Object())
	return s
}

// Object returns the part of the settings screen.
func (s *SealChoice) Object() fyne.CanvasObject { return s.root }

func (s *SealChoice) onSource(choice string) {
	c := s.app.cat
	if choice == c.T(i18n.SealFromToken) {
		s.TokenKeys.Object().Show()
		return
	}
	s.TokenKeys.Object().Hide()
	p := s.app.fyne.Preferences()
	if p.String(PrefSeal) != "" {
		p.RemoveValue(PrefSeal)
		p.RemoveValue(PrefSealCert)
		s.Message.SetText(c.T(i18n.SealStoreChosen))
	}
}

// onKey keeps the key chosen as the seal, once its certificate is seen to
// be this agency's seal (what the store checks when it opens).
func (s *SealChoice) onKey(k token.KeyInfo) {
	c := s.app.cat
	if err := s.app.clerk.CheckSeal(&certs.KeyPair{Leaf: k.Certificate, Chain: k.Chain}); err != nil {
		code, _ := s.app.clerk.Agency()
		s.Message.SetText(c.T(i18n.SealNotAgency, code) + "\n" + s.app.message("choose seal", err))
		return
	}
	p := s.app.fyne.Preferences()
	p.SetString(PrefSeal, k.URI)
	p.SetString(PrefSealCert, string(certs.EncodeCertificatesPEM(append([]*x509.Certificate{k.Certificate}, k.Chain...)...)))
	s.TokenKeys.Current = k.URI
	s.Message.SetText(c.T(i18n.SealChosen, subjectName(k.Certificate)))
}
