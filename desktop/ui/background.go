package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
)

// run does work that must not hold Fyne's goroutine — signing, sealing,
// a store write and its fsync, the network, reading or writing a file —
// on a goroutine of its own, then calls done with its error on Fyne's
// goroutine, through the dispatcher. While it runs the buttons that
// started it are disabled (no double submit) and the status bar shows
// what is under way (status, an i18n key; "" for work too short to
// mention, such as marking a document read). run itself must be called on
// Fyne's goroutine; Close waits for the work before closing the store.
func (a *App) run(status i18n.Key, buttons []*widget.Button, work func(ctx context.Context) error, done func(error)) {
	for _, b := range buttons {
		b.Disable()
	}
	busy := a.Status != nil && status != ""
	if busy {
		a.Status.Begin(a.cat.T(status))
	}
	a.ops.Add(1)
	go func() {
		defer a.ops.Done()
		err := work(a.ctx)
		a.do(func() {
			if a.closed.Load() {
				return
			}
			if busy {
				a.Status.End()
			}
			for _, b := range buttons {
				b.Enable()
			}
			if done != nil {
				done(err)
			}
		})
	}()
}

// WaitIdle waits until the background work started so far has finished
// and queued its result for Fyne's goroutine.
func (a *App) WaitIdle() { a.ops.Wait() }

// explain maps err to what the clerk may read and logs the technical
// cause with op, the message key and, for an unknown error, the reference
// the clerk sees.
func (a *App) explain(op string, err error) *clerk.UserError {
	ue := clerk.Explain(err)
	if ue == nil {
		return nil
	}
	level := a.log.Warn
	switch {
	case ue.Ref != "":
		level = a.log.Error
	case errors.Is(err, context.Canceled):
		level = a.log.Info
	}
	level(op+" failed", append([]any{"op", op}, ue.LogAttrs()...)...)
	return ue
}

// message is the text a clerk reads about err; the cause is logged.
func (a *App) message(op string, err error) string {
	return a.explain(op, err).Message(a.cat)
}

// showError tells the clerk in a dialog, in their language, what failed
// and what to do; the cause is logged.
func (a *App) showError(op string, err error) {
	d := dialog.NewInformation(a.cat.T(i18n.Error), a.message(op, err), a.win)
	d.SetDismissText(a.cat.T(i18n.Close))
	d.Show()
}
