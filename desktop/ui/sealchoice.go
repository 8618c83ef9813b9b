package ui

import (
	"context"
	"crypto/x509"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lienthong/certs"
	"lienthong/certs/token"
	"lienthong/desktop/i18n"
)

// SealChoice is the part of Cài đặt that chooses what signs as the
// agency's seal: the key in the store (the .p12 loaded at setup) or a key
// on a PKCS#11 token, chosen from the tokens present. The choice is kept
// as the key's pkcs11: URI and certificate chain (PrefSeal, PrefSealCert)
// and takes effect when the app next opens the store; the PIN is asked
// when the seal first signs. Sync never uses it: the store's key stays
// the TLS identity.
type SealChoice struct {
	app    *App
	Source *widget.RadioGroup
	// Module is the PKCS#11 driver's path; it starts as the current
	// seal's, else token.FindModule's.
	Module *widget.Entry
	Read   *widget.Button
	// WithPIN lists, after the PIN, the keys a token hides until then.
	WithPIN *widget.Check
	// Keys are the signing keys of the tokens read, one option each.
	Keys    *widget.RadioGroup
	Current *widget.Label
	Message *widget.Label
	keys    []token.KeyInfo // Keys' options, in order
	tokenUI *fyne.Container
	root    fyne.CanvasObject
}

func newSealChoice(a *App) *SealChoice {
	c := a.cat
	p := a.fyne.Preferences()
	s := &SealChoice{app: a, Module: widget.NewEntry(), Current: widget.NewLabel(""), Message: widget.NewLabel("")}
	s.Message.Wrapping = fyne.TextWrapWord
	s.Current.Wrapping = fyne.TextWrapWord
	s.Module.SetPlaceHolder(c.T(i18n.SetModuleHint))
	module := ""
	if u, err := token.ParseURI(p.String(PrefSeal)); err == nil {
		module = u.Module
	}
	if module == "" {
		module = token.FindModule()
	}
	s.Module.SetText(module)
	s.Read = widget.NewButton(c.T(i18n.SetReadTokens), s.onRead)
	s.WithPIN = widget.NewCheck(c.T(i18n.SetReadTokensPIN), nil)
	s.Keys = widget.NewRadioGroup(nil, s.onKey)
	s.tokenUI = container.NewVBox(
		widget.NewForm(widget.NewFormItem(c.T(i18n.SetModule), container.NewBorder(nil, nil, nil, s.Read, s.Module))),
		s.WithPIN, s.Keys, s.Message)
	s.Source = widget.NewRadioGroup([]string{c.T(i18n.SealFromStore), c.T(i18n.SealFromToken)}, nil)
	if p.String(PrefSeal) != "" {
		s.Source.SetSelected(c.T(i18n.SealFromToken))
	} else {
		s.Source.SetSelected(c.T(i18n.SealFromStore))
		s.tokenUI.Hide()
	}
	s.Source.OnChanged = s.onSource
	s.showCurrent()
	s.root = container.NewVBox(s.Current, s.Source, s.tokenUI)
	return s
}

// showCurrent says what signs as the seal in this run of the app.
func (s *SealChoice) showCurrent() {
	c := s.app.cat
	if s.app.seal == nil {
		s.Current.SetText(c.T(i18n.SealNowStore))
		return
	}
	s.Current.SetText(c.T(i18n.SealNow, subjectName(s.app.seal.chain[0])))
}

func (s *SealChoice) onSource(choice string) {
	c := s.app.cat
	if choice == c.T(i18n.SealFromToken) {
		s.tokenUI.Show()
		return
	}
	s.tokenUI.Hide()
	p := s.app.fyne.Preferences()
	if p.String(PrefSeal) != "" {
		p.RemoveValue(PrefSeal)
		p.RemoveValue(PrefSealCert)
		s.Message.SetText(c.T(i18n.SealStoreChosen))
	}
}

// onRead lists the tokens present in the module and their signing keys,
// off Fyne's goroutine (the module may be slow, and the PIN dialog may
// show).
func (s *SealChoice) onRead() {
	module := strings.TrimSpace(s.Module.Text)
	withPIN := s.WithPIN.Checked
	var slots []token.Slot
	s.app.run(i18n.WorkTokens, []*widget.Button{s.Read}, func(ctx context.Context) (err error) {
		var prompt token.PINPrompt
		if withPIN {
			prompt = s.app.PINPrompt(ctx)
		}
		slots, err = token.List(module, prompt)
		return err
	}, func(err error) {
		if err != nil {
			s.showKeys(nil, s.app.message("list tokens", err))
			return
		}
		s.showSlots(slots)
	})
}

// showSlots lists the keys with a certificate as choices; the rest (a key
// without its certificate, a token that could not be read or shows no
// key before its PIN) are said in the message.
func (s *SealChoice) showSlots(slots []token.Slot) {
	c := s.app.cat
	var keys []token.KeyInfo
	var notes []string
	for _, sl := range slots {
		if sl.Err != nil {
			notes = append(notes, c.T(i18n.TokenUnreadable, sl.Label, sl.Serial, s.app.message("list tokens", sl.Err)))
			continue
		}
		if len(sl.Keys) == 0 {
			notes = append(notes, c.T(i18n.TokenNoKeys, sl.Label, sl.Serial))
		}
		for _, k := range sl.Keys {
			if k.Certificate == nil {
				notes = append(notes, c.T(i18n.TokenKeyNoCert, sl.Label, sl.Serial, k.Label))
				continue
			}
			k.Label = c.T(i18n.TokenKey, sl.Label, sl.Serial, k.Label, subjectName(k.Certificate))
			keys = append(keys, k)
		}
	}
	if len(slots) == 0 {
		notes = append(notes, c.T(i18n.TokenNone))
	}
	s.showKeys(keys, strings.Join(notes, "\n"))
}

func (s *SealChoice) showKeys(keys []token.KeyInfo, note string) {
	s.keys = keys
	var options []string
	selected := ""
	current := s.app.fyne.Preferences().String(PrefSeal)
	for _, k := range keys {
		options = append(options, k.Label)
		if k.URI == current {
			selected = k.Label
		}
	}
	s.Keys.OnChanged = nil
	s.Keys.Options = options
	s.Keys.Selected = selected
	s.Keys.Refresh()
	s.Keys.OnChanged = s.onKey
	s.Message.SetText(note)
}

// onKey keeps the key chosen as the seal, once its certificate is seen to
// be this agency's seal (what the store checks when it opens).
func (s *SealChoice) onKey(option string) {
	c := s.app.cat
	for _, k := range s.keys {
		if k.Label != option {
			continue
		}
		chain := append([]*x509.Certificate{k.Certificate}, k.Chain...)
		if err := s.app.clerk.CheckSeal(&certs.KeyPair{Leaf: k.Certificate, Chain: k.Chain}); err != nil {
			code, _ := s.app.clerk.Agency()
			s.Message.SetText(c.T(i18n.SealNotAgency, code) + "\n" + s.app.message("choose seal", err))
			return
		}
		p := s.app.fyne.Preferences()
		p.SetString(PrefSeal, k.URI)
		p.SetString(PrefSealCert, string(certs.EncodeCertificatesPEM(chain...)))
		s.Message.SetText(c.T(i18n.SealChosen, subjectName(k.Certificate)))
		return
	}
}

// Object returns the part of the settings screen.
func (s *SealChoice) Object() fyne.CanvasObject { return s.root }

// subjectName is how a certificate's holder is named on screen: its
// organisation and common name.
func subjectName(c *x509.Certificate) string {
	parts := append([]string{}, c.Subject.Organization...)
	if c.Subject.CommonName != "" && !strings.EqualFold(strings.Join(parts, ""), c.Subject.CommonName) {
		parts = append(parts, c.Subject.CommonName)
	}
	return strings.Join(parts, ", ")
}
