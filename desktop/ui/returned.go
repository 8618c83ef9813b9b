package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/shared/document"
)

// sentState is an outgoing document's state in its view: queued, sent,
// or returned by the hub with why (then Resend offers the successors the
// hub named, and Recall hides: the document reached no one).
func (v *DocView) sentState() *widget.FormItem {
	cat, d := v.app.cat, v.View.Doc
	v.Resend.Hide()
	v.Recall.Show()
	state := widget.NewLabel(cat.T(i18n.DocQueued))
	switch {
	case d.Returned != nil:
		v.Recall.Hide()
		text := cat.T(i18n.DocReturned, clerk.Explain(clerk.ReturnedError(d)).Message(cat))
		if d.Returned.ResentAs != "" {
			text += "\n" + cat.T(i18n.DocResentAs, d.Returned.ResentAs)
		} else if _, ok := clerk.ResendRecipients(d); ok {
			v.Resend.Show()
		}
		state = wrapLabel(text)
		state.Importance = widget.DangerImportance
	case !d.SentAt.IsZero():
		state = widget.NewLabel(cat.T(i18n.DocSentAt, d.SentAt.In(document.VietnamTime).Format("02/01/2006 15:04")))
	}
	return widget.NewFormItem(cat.T(i18n.ColStatus), state)
}

// onResend asks whether to send the returned document again to the
// successors the hub named, then does.
func (v *DocView) onResend() {
	if v.View == nil {
		return
	}
	to, ok := clerk.ResendRecipients(v.View.Doc)
	if !ok {
		return
	}
	cat, id := v.app.cat, v.ID
	names := make([]string, len(to))
	for i, r := range to {
		names[i] = r.Name
	}
	dlg := dialog.NewConfirm(cat.T(i18n.ResendTitle), cat.T(i18n.ResendTo, strings.Join(names, "; ")), func(yes bool) {
		if !yes {
			return
		}
		v.act("resend", func() string { return cat.T(i18n.DocQueued) }, func(ctx context.Context) error {
			_, err := v.app.clerk.Resend(ctx, id, to)
			return err
		})
	}, v.app.win)
	dlg.SetConfirmText(cat.T(i18n.ActionResend))
	dlg.SetDismissText(cat.T(i18n.Cancel))
	dlg.Show()
}

// onReturned tells the clerk that the hub returned a document: the
// outgoing list and view show it, and a notification says why.
func (a *App) onReturned(e clerk.DocumentReturned) {
	a.Outgoing.List.Reload()
	a.Outgoing.View.RefreshIf(e.ID)
	if !a.fyne.Preferences().BoolWithFallback(PrefNotify, true) {
		return
	}
	subject := e.ID
	if v, err := a.clerk.Document(e.ID); err == nil && v.Doc.Payload != nil && v.Doc.Payload.Metadata != nil {
		subject = v.Doc.Payload.Metadata.Subject
	}
	a.fyne.SendNotification(fyne.NewNotification(a.cat.T(i18n.NotifyReturned),
		subject+": "+clerk.Explain(e.Err).Message(a.cat)))
}
