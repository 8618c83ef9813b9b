package ui

import (
	"context"
	"crypto/x509"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lienthong/certs/token"
	"lienthong/desktop/i18n"
)

// TokenKeys lists the signing keys of the PKCS#11 tokens present, for the
// clerk to choose one: the driver's path, a button that reads the tokens
// (off Fyne's goroutine: a driver may be slow, and with WithPIN the PIN
// dialog shows), and one option per key with its certificate (token,
// serial, key label, certificate subject). What cannot be chosen (a key
// without a certificate, a token that could not be read) is said in
// Message. Used for the agency's seal in Cài đặt and the leader's key when
// the leader signs at the clerk's desk.
type TokenKeys struct {
	app *App
	// Module is the PKCS#11 driver's path; it starts as the module given,
	// else token.FindModule's.
	Module *widget.Entry
	Read   *widget.Button
	// WithPIN lists, after the PIN, the keys a token hides until then.
	WithPIN *widget.Check
	// Keys are the signing keys of the tokens read, one option each.
	Keys    *widget.RadioGroup
	Message *widget.Label
	// OnChoose is called with the key the clerk chose.
	OnChoose func(token.KeyInfo)
	// Current is the URI of the key chosen before, selected when read.
	Current string
	keys    []token.KeyInfo // Keys' options, in order
	root    *fyne.Container
}

func newTokenKeys(a *App, module string) *TokenKeys {
	c := a.cat
	k := &TokenKeys{app: a, Module: widget.NewEntry(), Message: widget.NewLabel("")}
	k.Message.Wrapping = fyne.TextWrapWord
	k.Module.SetPlaceHolder(c.T(i18n.SetModuleHint))
	if module == "" {
		module = token.FindModule()
	}
	k.Module.SetText(module)
	k.Read = widget.NewButton(c.T(i18n.SetReadTokens), k.onRead)
	k.WithPIN = widget.NewCheck(c.T(i18n.SetReadTokensPIN), nil)
	k.Keys = widget.NewRadioGroup(nil, k.onKey)
	k.root = container.NewVBox(
		widget.NewForm(widget.NewFormItem(c.T(i18n.SetModule), container.NewBorder(nil, nil, nil, k.Read, k.Module))),
		k.WithPIN, k.Keys, k.Message)
	return k
}

// Object returns the widget.
func (k *TokenKeys) Object() fyne.CanvasObject { return k.root }

// onRead lists the tokens present in the module and their signing keys.
func (k *TokenKeys) onRead() {
	module := strings.TrimSpace(k.Module.Text)
	withPIN := k.WithPIN.Checked
	var slots []token.Slot
	k.app.run(i18n.WorkTokens, []*widget.Button{k.Read}, func(ctx context.Context) (err error) {
		var prompt token.PINPrompt
		if withPIN {
			prompt = k.app.PINPrompt(ctx)
		}
		slots, err = token.List(module, prompt)
		return err
	}, func(err error) {
		if err != nil {
			k.show(nil, k.app.message("list tokens", err))
			return
		}
		k.showSlots(slots)
	})
}

// showSlots offers the keys with a certificate; the rest (a key without
// its certificate, a token that could not be read or shows no key before
// its PIN) are said in the message.
func (k *TokenKeys) showSlots(slots []token.Slot) {
	c := k.app.cat
	var keys []token.KeyInfo
	var notes []string
	for _, sl := range slots {
		if sl.Err != nil {
			notes = append(notes, c.T(i18n.TokenUnreadable, sl.Label, sl.Serial, k.app.message("list tokens", sl.Err)))
			continue
		}
		if len(sl.Keys) == 0 {
			notes = append(notes, c.T(i18n.TokenNoKeys, sl.Label, sl.Serial))
		}
		for _, key := range sl.Keys {
			if key.Certificate == nil {
				notes = append(notes, c.T(i18n.TokenKeyNoCert, sl.Label, sl.Serial, key.Label))
				continue
			}
			key.Label = c.T(i18n.TokenKey, sl.Label, sl.Serial, key.Label, subjectName(key.Certificate))
			keys = append(keys, key)
		}
	}
	if len(slots) == 0 {
		notes = append(notes, c.T(i18n.TokenNone))
	}
	k.show(keys, strings.Join(notes, "\n"))
}

func (k *TokenKeys) show(keys []token.KeyInfo, note string) {
	k.keys = keys
	var options []string
	selected := ""
	for _, key := range keys {
		options = append(options, key.Label)
		if key.URI == k.Current {
			selected = key.Label
		}
	}
	k.Keys.OnChanged = nil
	k.Keys.Options = options
	k.Keys.Selected = selected
	k.Keys.Refresh()
	k.Keys.OnChanged = k.onKey
	k.Message.SetText(note)
}

// Chosen returns the key selected, false when none is.
func (k *TokenKeys) Chosen() (token.KeyInfo, bool) {
	for _, key := range k.keys {
		if key.Label == k.Keys.Selected && k.Keys.Selected != "" {
			return key, true
		}
	}
	return token.KeyInfo{}, false
}

func (k *TokenKeys) onKey(string) {
	if key, ok := k.Chosen(); ok && k.OnChoose != nil {
		k.OnChoose(key)
	}
}

// subjectName is how a certificate's holder is named on screen: its
// organisation and common name.
func subjectName(c *x509.Certificate) string {
	parts := append([]string{}, c.Subject.Organization...)
	if c.Subject.CommonName != "" && !strings.EqualFold(strings.Join(parts, ""), c.Subject.CommonName) {
		parts = append(parts, c.Subject.CommonName)
	}
	return strings.Join(parts, ", ")
}
