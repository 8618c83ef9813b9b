package ui

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
)

// MinPassphrase is the shortest passphrase the wizard accepts for the
// local store.
const MinPassphrase = 8

// Wizard is the first-run screen: the agency's .p12 and its passphrase, the
// hub's address and root certificates, the passphrase of the local store;
// Finish creates the store, opens it and tests the connection.
type Wizard struct {
	app        *App
	P12Path    *widget.Entry
	P12Pass    *widget.Entry
	Hub        *widget.Entry
	ServerName *widget.Entry
	RootsPath  *widget.Entry
	Pass       *widget.Entry
	Pass2      *widget.Entry
	Message    *widget.Label
	Finish     *widget.Button
	root       fyne.CanvasObject
}

// NewWizard builds the wizard.
func NewWizard(a *App) *Wizard {
	c := a.cat
	w := &Wizard{
		app:        a,
		P12Path:    widget.NewEntry(),
		P12Pass:    widget.NewPasswordEntry(),
		Hub:        widget.NewEntry(),
		ServerName: widget.NewEntry(),
		RootsPath:  widget.NewEntry(),
		Pass:       widget.NewPasswordEntry(),
		Pass2:      widget.NewPasswordEntry(),
		Message:    widget.NewLabel(""),
	}
	w.Hub.SetPlaceHolder("hub.example.gov.vn:4433")
	w.Message.Wrapping = fyne.TextWrapWord
	w.Finish = widget.NewButton(c.T(i18n.WizardFinish), w.onFinish)
	w.Finish.Importance = widget.HighImportance
	intro := widget.NewLabel(c.T(i18n.WizardIntro))
	intro.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(c.T(i18n.WizardP12), w.fileRow(w.P12Path, ".p12", ".pfx")),
		widget.NewFormItem(c.T(i18n.WizardP12Pass), w.P12Pass),
		widget.NewFormItem(c.T(i18n.WizardHub), w.Hub),
		widget.NewFormItem(c.T(i18n.WizardServerName), w.ServerName),
		widget.NewFormItem(c.T(i18n.WizardRoots), w.fileRow(w.RootsPath, ".pem", ".crt")),
		widget.NewFormItem(c.T(i18n.WizardPass), w.Pass),
		widget.NewFormItem(c.T(i18n.WizardPass2), w.Pass2),
	)
	w.root = container.NewPadded(container.NewVBox(
		newBoldLabel(c.T(i18n.WizardTitle)), intro, form, container.NewHBox(w.Finish), w.Message))
	return w
}

// Object returns the screen.
func (w *Wizard) Object() fyne.CanvasObject { return w.root }

func (w *Wizard) fileRow(e *widget.Entry, exts ...string) fyne.CanvasObject {
	b := widget.NewButton(w.app.cat.T(i18n.WizardChoose), func() { w.onChooseFile(e, exts) })
	return container.NewBorder(nil, nil, nil, b, e)
}

func (w *Wizard) onChooseFile(e *widget.Entry, exts []string) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		e.SetText(r.URI().Path())
		r.Close()
	}, w.app.win)
	d.Show()
}

// check validates the form and returns the init options, or the message
// to show.
func (w *Wizard) check() (clerk.InitOptions, string) {
	c := w.app.cat
	var opts clerk.InitOptions
	p12, err := os.ReadFile(strings.TrimSpace(w.P12Path.Text))
	if err != nil {
		return opts, c.T(i18n.WizardNeedFile, c.T(i18n.WizardP12))
	}
	if _, err := certs.DecodePKCS12(p12, w.P12Pass.Text); err != nil {
		return opts, c.T(i18n.WizardBadP12)
	}
	hub := strings.TrimSpace(w.Hub.Text)
	if hub == "" {
		return opts, c.T(i18n.WizardNeedHub)
	}
	roots, err := os.ReadFile(strings.TrimSpace(w.RootsPath.Text))
	if err != nil {
		return opts, c.T(i18n.WizardNeedFile, c.T(i18n.WizardRoots))
	}
	if len([]rune(w.Pass.Text)) < MinPassphrase {
		return opts, c.T(i18n.WizardPassShort, MinPassphrase)
	}
	if w.Pass.Text != w.Pass2.Text {
		return opts, c.T(i18n.WizardPassMismatch)
	}
	return clerk.InitOptions{
		Home:          w.app.opts.Home,
		Passphrase:    []byte(w.Pass.Text),
		P12:           p12,
		P12Passphrase: w.P12Pass.Text,
		HubAddr:       hub,
		ServerName:    strings.TrimSpace(w.ServerName.Text),
		RootsPEM:      roots,
	}, ""
}

// onFinish creates the store, opens it, tests the connection and shows the
// main window. A failed connection test does not undo the setup: the app
// works offline and the status bar says so.
func (w *Wizard) onFinish() {
	opts, msg := w.check()
	if msg != "" {
		w.Message.Importance = widget.DangerImportance
		w.Message.SetText(msg)
		return
	}
	cat := w.app.cat
	w.Finish.Disable()
	w.Message.Importance = widget.MediumImportance
	w.Message.SetText(cat.T(i18n.WizardTesting))
	go func() {
		err := clerk.Init(opts)
		var c *clerk.Clerk
		if err == nil {
			c, err = clerk.Open(opts.Home, opts.Passphrase, w.app.opts.Clerk)
		}
		if err != nil {
			w.app.do(func() {
				w.Finish.Enable()
				w.Message.Importance = widget.DangerImportance
				w.Message.SetText(cat.T(i18n.WizardFailed, shortError(err)))
			})
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, terr := c.TestConnection(ctx)
		cancel()
		w.app.do(func() {
			if terr != nil {
				w.Message.Importance = widget.WarningImportance
				w.Message.SetText(cat.T(i18n.WizardTestFail, shortError(terr)))
			} else {
				w.Message.Importance = widget.SuccessImportance
				w.Message.SetText(cat.T(i18n.WizardTestOK, opts.HubAddr))
			}
			w.app.showMain(c)
			if terr != nil {
				w.app.Status.SetOnline(false, shortError(terr))
			}
		})
	}()
}

// Unlock is the screen of every later start: the passphrase only.
type Unlock struct {
	app        *App
	Passphrase *widget.Entry
	Button     *widget.Button
	Message    *widget.Label
	root       fyne.CanvasObject
}

// NewUnlock builds the unlock screen.
func NewUnlock(a *App) *Unlock {
	c := a.cat
	u := &Unlock{app: a, Passphrase: widget.NewPasswordEntry(), Message: widget.NewLabel("")}
	u.Passphrase.OnSubmitted = func(string) { u.onUnlock() }
	u.Button = widget.NewButton(c.T(i18n.UnlockButton), u.onUnlock)
	u.Button.Importance = widget.HighImportance
	prompt := widget.NewLabel(c.T(i18n.UnlockPrompt))
	prompt.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(newBoldLabel(c.T(i18n.AppTitle)), prompt, u.Passphrase, u.Button, u.Message)
	u.root = container.NewCenter(container.NewGridWrap(fyne.NewSize(420, box.MinSize().Height+40), box))
	return u
}

// Object returns the screen.
func (u *Unlock) Object() fyne.CanvasObject { return u.root }

func (u *Unlock) onUnlock() {
	c := u.app.cat
	err := u.app.open([]byte(u.Passphrase.Text))
	switch {
	case err == nil:
		return
	case errors.Is(err, store.ErrWrongPassphrase):
		u.Message.SetText(c.T(i18n.UnlockWrong))
	case errors.Is(err, store.ErrLocked):
		u.Message.SetText(c.T(i18n.UnlockLocked))
	default:
		u.Message.SetText(c.T(i18n.UnlockFailed, shortError(err)))
	}
	u.Message.Importance = widget.DangerImportance
	u.Message.Refresh()
	u.Passphrase.SetText("")
}
