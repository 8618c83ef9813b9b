package ui

import (
	"context"
	"errors"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lienthong/certs"
	"lienthong/certs/token"
	"lienthong/desktop/i18n"
)

// PINCancelledError is what the PIN dialog answers when the person
// cancels it, or when the work that asked ends first (the app closing):
// the token is not logged in and nothing is signed. It wraps
// context.Canceled, which clerk.Explain words for the clerk.
type PINCancelledError struct {
	Token string // the token's label
}

func (e *PINCancelledError) Error() string {
	return "PIN of token " + strconv.Quote(e.Token) + " not given: cancelled"
}

func (e *PINCancelledError) Unwrap() error { return context.Canceled }

// PINDialog is the modal dialog that asks a token's PIN: a password
// entry, the token's label, and the reason a previous try failed. The
// PIN typed is handed to the login and the entry cleared at once; it is
// never stored, logged or left in a widget.
type PINDialog struct {
	Prompt *widget.Label
	Entry  *widget.Entry
	// Error says why the last try failed (a wrong PIN, the token pulled
	// out), in the clerk's words; empty on the first try.
	Error  *widget.Label
	dlg    *dialog.ConfirmDialog
	answer chan<- pinAnswer
}

type pinAnswer struct {
	pin []byte
	err error
}

// OK answers with the PIN typed, as the OK button does.
func (d *PINDialog) OK() { d.dlg.Confirm() }

// Cancel answers that the person gave up, as the Hủy button does.
func (d *PINDialog) Cancel() { d.dlg.Dismiss() }

// PINPrompt returns the app's PIN dialog as certs/token asks for it, for
// work on a goroutine of its own (never Fyne's, which shows the dialog):
// the call blocks until the person answers, and ctx ending closes the
// dialog and answers cancelled.
func (a *App) PINPrompt(ctx context.Context) token.PINPrompt {
	return token.PINFunc(func(label string) ([]byte, error) { return a.askPIN(ctx, label, "") })
}

// askPIN shows the PIN dialog for the token labelled label, with problem
// (why the previous try failed) when not empty, and waits for the answer.
func (a *App) askPIN(ctx context.Context, label, problem string) ([]byte, error) {
	answer := make(chan pinAnswer, 1)
	cancelled := &PINCancelledError{Token: label}
	a.do(func() {
		if ctx.Err() != nil || a.closed.Load() {
			answer <- pinAnswer{err: cancelled}
			return
		}
		a.PIN = a.newPINDialog(label, problem, answer, cancelled)
		a.PIN.dlg.Show()
		a.win.Canvas().Focus(a.PIN.Entry)
	})
	select {
	case r := <-answer:
		return r.pin, r.err
	case <-ctx.Done():
		a.do(func() {
			if d := a.PIN; d != nil && d.answer == answer {
				d.answer = nil // the dialog's callback answers no one
				a.PIN = nil
				d.dlg.Hide()
				d.Entry.SetText("")
			}
		})
		return nil, cancelled
	}
}

func (a *App) newPINDialog(label, problem string, answer chan<- pinAnswer, cancelled error) *PINDialog {
	c := a.cat
	d := &PINDialog{
		Prompt: widget.NewLabel(c.T(i18n.PINPrompt, label)),
		Entry:  widget.NewPasswordEntry(),
		Error:  widget.NewLabel(problem),
		answer: answer,
	}
	d.Prompt.Wrapping = fyne.TextWrapWord
	d.Error.Wrapping = fyne.TextWrapWord
	d.Error.Importance = widget.DangerImportance
	if problem == "" {
		d.Error.Hide()
	}
	hint := widget.NewLabel(c.T(i18n.PINHint))
	hint.Wrapping = fyne.TextWrapWord
	content := container.NewVBox(d.Prompt, d.Entry, d.Error, hint)
	d.dlg = dialog.NewCustomConfirm(c.T(i18n.PINTitle), c.T(i18n.OK), c.T(i18n.Cancel), content, func(ok bool) {
		// The PIN leaves the widget before anything else happens.
		pin := []byte(d.Entry.Text)
		d.Entry.SetText("")
		if a.PIN == d {
			a.PIN = nil
		}
		if d.answer == nil {
			clear(pin)
			return
		}
		if !ok {
			clear(pin)
			d.answer <- pinAnswer{err: cancelled}
		} else {
			d.answer <- pinAnswer{pin: pin}
		}
		d.answer = nil
	}, a.win)
	d.Entry.OnSubmitted = func(string) { d.dlg.Confirm() }
	d.dlg.Resize(fyne.NewSize(420, 0))
	return d
}

// tokenOpen opens a token's key; tests put faults SoftHSM2 cannot make
// (a token pulled out during the login, a PIN locked) in its place.
var tokenOpen = token.Open

// openToken opens the key uri names, asking its PIN in the dialog, again
// with the reason shown while the PIN is wrong or the token was pulled
// out during the login, until the person cancels (PINCancelledError) or
// ctx ends. A PIN the last wrong try locked is said in a dialog too. Any
// failure is returned for the caller to show as well (a locked PIN, no
// such token or key). Call it off Fyne's goroutine; the caller closes the
// key.
func (a *App) openToken(ctx context.Context, uri string) (*certs.KeyPair, error) {
	problem := ""
	for {
		asked := false
		kp, err := tokenOpen(uri, token.Options{PIN: token.PINFunc(func(label string) ([]byte, error) {
			asked = true
			return a.askPIN(ctx, label, problem)
		})})
		switch {
		case err == nil || !asked || ctx.Err() != nil:
			return kp, err
		case errors.Is(err, token.ErrWrongPIN) || errors.Is(err, token.ErrTokenRemoved):
			problem = a.message("token login", err)
			continue
		case errors.Is(err, token.ErrPINLocked):
			a.do(func() {
				if !a.closed.Load() {
					a.showError("token login", err)
				}
			})
		}
		return nil, err
	}
}
