package ui

import (
	"context"
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
	w.Hub.SetPlaceHolder(c.T(i18n.ExampleHub))
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

// wizardForm is what the clerk filled in: the init options but the
// files, and the files' paths.
type wizardForm struct {
	opts               clerk.InitOptions
	p12Path, rootsPath string
}

// check validates the form and returns it, or the message to show. It
// reads nothing from disk: load does, off Fyne's goroutine.
func (w *Wizard) check() (wizardForm, string) {
	c := w.app.cat
	switch {
	case strings.TrimSpace(w.P12Path.Text) == "":
		return wizardForm{}, c.T(i18n.WizardNeedFile, c.T(i18n.WizardP12))
	case strings.TrimSpace(w.Hub.Text) == "":
		return wizardForm{}, c.T(i18n.WizardNeedHub)
	case w.hubErr() != nil:
		return wizardForm{}, w.app.message("hub address", w.hubErr())
	case strings.TrimSpace(w.RootsPath.Text) == "":
		return wizardForm{}, c.T(i18n.WizardNeedFile, c.T(i18n.WizardRoots))
	case len([]rune(w.Pass.Text)) < MinPassphrase:
		return wizardForm{}, c.T(i18n.WizardPassShort, MinPassphrase)
	case w.Pass.Text != w.Pass2.Text:
		return wizardForm{}, c.T(i18n.WizardPassMismatch)
	}
	return wizardForm{opts: clerk.InitOptions{
		Home:          w.app.opts.Home,
		Passphrase:    []byte(w.Pass.Text),
		P12Passphrase: w.P12Pass.Text,
		HubAddr:       strings.TrimSpace(w.Hub.Text),
		ServerName:    strings.TrimSpace(w.ServerName.Text),
	}, p12Path: strings.TrimSpace(w.P12Path.Text), rootsPath: strings.TrimSpace(w.RootsPath.Text)}, ""
}

// hubErr checks the hub address typed, one or several nodes'.
func (w *Wizard) hubErr() error {
	_, err := clerk.ParseHubAddress(w.Hub.Text)
	return err
}

// load reads the .p12 and the roots the form names into its options and
// opens the .p12 with its passphrase; it returns the message to show, if
// any. It runs off Fyne's goroutine (decoding a .p12 takes a while).
func (w *Wizard) load(f *wizardForm) string {
	c := w.app.cat
	p12, err := os.ReadFile(f.p12Path)
	if err != nil {
		return c.T(i18n.WizardNeedFile, c.T(i18n.WizardP12))
	}
	if _, err := certs.DecodePKCS12(p12, f.opts.P12Passphrase); err != nil {
		return c.T(i18n.WizardBadP12)
	}
	roots, err := os.ReadFile(f.rootsPath)
	if err != nil {
		return c.T(i18n.WizardNeedFile, c.T(i18n.WizardRoots))
	}
	f.opts.P12, f.opts.RootsPEM = p12, roots
	return ""
}

// onFinish reads the files, creates the store, opens it, tests the
// connection and shows the main window, all off Fyne's goroutine but the
// last. A failed connection test does not undo the setup: the app works
// offline and the status bar says so.
func (w *Wizard) onFinish() {
	form, msg := w.check()
	if msg != "" {
		w.Message.Importance = widget.DangerImportance
		w.Message.SetText(msg)
		return
	}
	cat := w.app.cat
	w.Message.Importance = widget.MediumImportance
	w.Message.SetText(cat.T(i18n.WizardTesting))
	var (
		c       *clerk.Clerk
		formMsg string
		testErr error
	)
	w.app.run(i18n.WizardTesting, []*widget.Button{w.Finish}, func(ctx context.Context) error {
		if formMsg = w.load(&form); formMsg != "" {
			return nil
		}
		opts := form.opts
		err := clerk.Init(opts)
		if err == nil {
			c, err = w.app.openClerk(opts.Home, opts.Passphrase)
		}
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, testErr = c.TestConnection(ctx)
		cancel()
		return nil
	}, func(err error) {
		switch {
		case formMsg != "":
			w.Message.Importance = widget.DangerImportance
			w.Message.SetText(formMsg)
			return
		case err != nil:
			w.Message.Importance = widget.DangerImportance
			w.Message.SetText(cat.T(i18n.WizardFailed, w.app.message("setup", err)))
			return
		}
		reason := ""
		if testErr != nil {
			reason = w.app.message("test connection", testErr)
			w.Message.Importance = widget.WarningImportance
			w.Message.SetText(cat.T(i18n.WizardTestFail, reason))
		} else {
			w.Message.Importance = widget.SuccessImportance
			w.Message.SetText(cat.T(i18n.WizardTestOK, form.opts.HubAddr))
		}
		w.app.showMain(c)
		if testErr != nil {
			w.app.Status.SetOnline(false, reason)
		}
	})
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

// onUnlock opens the store off Fyne's goroutine: deriving the key from
// the passphrase takes a second on purpose.
func (u *Unlock) onUnlock() {
	if u.Button.Disabled() {
		return // Enter pressed while unlocking
	}
	pass := []byte(u.Passphrase.Text)
	u.Message.Importance = widget.MediumImportance
	u.Message.SetText(u.app.cat.T(i18n.WorkUnlock))
	var c *clerk.Clerk
	u.app.run(i18n.WorkUnlock, []*widget.Button{u.Button}, func(context.Context) (err error) {
		c, err = u.app.openClerk(u.app.opts.Home, pass)
		return err
	}, func(err error) {
		if err == nil {
			u.app.showMain(c)
			return
		}
		u.Message.SetText(u.app.message("unlock", err))
		u.Message.Importance = widget.DangerImportance
		u.Message.Refresh()
		u.Passphrase.SetText("")
	})
}
