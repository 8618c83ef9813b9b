package ui

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
)

// DocView shows one document: its metadata, attachments (opened in the
// system's viewer, the first page previewed when poppler's pdftoppm is
// installed), the signature report in plain words, and either the
// recipients' status timeline (sent documents) or the clerk's actions
// (received documents).
type DocView struct {
	app *App
	ID  string
	// View is what the clerk sees, nil before a document is shown.
	View *clerk.DocumentView

	Title      *widget.Label
	Meta       *fyne.Container // the metadata form, rebuilt for each document
	Files      *fyne.Container
	Preview    *canvas.Image
	PreviewMsg *widget.Label
	Signatures *widget.Label
	// Signers names the main PDF's signers in their ND30 roles (the
	// competent person, the agency's seal), each valid or why not.
	Signers  *widget.Label
	Timeline *widget.Label
	Message  *widget.Label

	// Actions on a received document.
	Reason     *widget.Entry
	AssignTo   *widget.Entry
	Register   *widget.Button
	Assign     *widget.Button
	Process    *widget.Button
	Complete   *widget.Button
	Refuse     *widget.Button
	AcceptRcl  *widget.Button
	RejectRcl  *widget.Button
	Recall     *widget.Button
	Resend     *widget.Button // a document the hub returned, to the successors it named (returned.go)
	Evidence   *widget.Button
	actions    *fyne.Container
	sentAction *fyne.Container
	details    *fyne.Container
	sigHead    *widget.Label
	root       fyne.CanvasObject
	scroll     *container.Scroll
}

// NewDocView builds an empty view.
func NewDocView(a *App) *DocView {
	c := a.cat
	v := &DocView{
		app:        a,
		Title:      newBoldLabel(c.T(i18n.DocNone)),
		Meta:       container.NewStack(),
		Files:      container.NewVBox(),
		PreviewMsg: widget.NewLabel(""),
		Signatures: widget.NewLabel(""),
		Signers:    widget.NewLabel(""),
		Timeline:   widget.NewLabel(""),
		Message:    widget.NewLabel(""),
		Reason:     widget.NewEntry(),
		AssignTo:   widget.NewEntry(),
	}
	v.Title.Wrapping = fyne.TextWrapWord
	v.Signatures.Wrapping = fyne.TextWrapWord
	v.Signers.Wrapping = fyne.TextWrapWord
	v.Message.Wrapping = fyne.TextWrapWord
	v.Preview = canvas.NewImageFromImage(nil)
	v.Preview.FillMode = canvas.ImageFillContain
	v.Preview.SetMinSize(fyne.NewSize(212, 300)) // A4 at 40 dpi, shrunk
	v.Preview.Hide()
	v.Reason.SetPlaceHolder(c.T(i18n.SelectedPlaceholders, c.T(i18n.ActReason), c.T(i18n.ActNote)))
	v.AssignTo.SetPlaceHolder(c.T(i18n.ActAssignTo))
	v.Register = widget.NewButton(c.T(i18n.ActRegister), v.onRegister)
	v.Register.Importance = widget.HighImportance
	v.Assign = widget.NewButton(c.T(i18n.ActAssign), v.onAssign)
	v.Process = widget.NewButton(c.T(i18n.ActProcess), v.onProcess)
	v.Complete = widget.NewButton(c.T(i18n.ActComplete), v.onComplete)
	v.Refuse = widget.NewButton(c.T(i18n.ActRefuse), v.onRefuse)
	v.Refuse.Importance = widget.DangerImportance
	v.AcceptRcl = widget.NewButton(c.T(i18n.ActAcceptRecall), func() { v.onAnswerRecall(true) })
	v.RejectRcl = widget.NewButton(c.T(i18n.ActRejectRecall), func() { v.onAnswerRecall(false) })
	v.Recall, v.Resend = widget.NewButton(c.T(i18n.ActRecall), v.onRecall), widget.NewButton(c.T(i18n.ActionResend), v.onResend)
	v.Evidence = widget.NewButton(c.T(i18n.DocEvidence), v.onEvidence)
	v.actions = container.NewVBox(
		newBoldLabel(c.T(i18n.DocActions)),
		v.AssignTo, v.Reason,
		container.NewGridWithColumns(3, v.Register, v.Assign, v.Process, v.Complete, v.Refuse),
		container.NewGridWithColumns(2, v.AcceptRcl, v.RejectRcl),
	)
	v.sentAction = container.NewVBox(newBoldLabel(c.T(i18n.DocTimeline)), v.Timeline, v.Reason, container.NewHBox(v.Recall, v.Resend))
	v.actions.Hide()
	v.sentAction.Hide()
	v.sigHead = newBoldLabel(c.T(i18n.DocSignatures))
	v.details = container.NewVBox(v.Meta, newBoldLabel(c.T(i18n.DocAttachments)), v.Files,
		container.NewHBox(v.Preview), v.PreviewMsg,
		newBoldLabel(c.T(i18n.DocSigners)), v.Signers, v.sigHead, v.Signatures, container.NewHBox(v.Evidence))
	v.details.Hide()
	body := container.NewVBox(v.Title, v.details, v.actions, v.sentAction, v.Message)
	v.scroll = container.NewVScroll(container.NewPadded(body))
	v.root = v.scroll
	return v
}

// Object returns the view.
func (v *DocView) Object() fyne.CanvasObject { return v.root }

// RefreshIf shows document id again if it is the one shown.
func (v *DocView) RefreshIf(id string) {
	if v.ID != "" && v.ID == id {
		v.Show(id)
	}
}

// Show reads a document through the clerk, marks it read and shows it.
func (v *DocView) Show(id string) {
	c := v.app.clerk
	dv, err := c.Document(id)
	if err != nil {
		v.app.showError("show document", err)
		return
	}
	if v.ID != id {
		v.Message.SetText("")
		v.Reason.SetText("")
		v.AssignTo.SetText("")
		v.Preview.Hide()
		v.PreviewMsg.SetText("")
		v.startPreview(id, dv.Doc.Payload.Metadata)
	}
	v.ID, v.View = id, dv
	if !dv.Doc.Read {
		// A store write: off Fyne's goroutine; the list shows it read
		// when the core's DocumentChanged arrives.
		v.app.run("", nil, func(context.Context) error { return c.MarkRead(id, true) }, func(err error) {
			if err != nil {
				v.app.explain("mark read", err)
				return
			}
			v.app.Incoming.List.Reload()
			v.app.Outgoing.List.Reload()
		})
	}
	v.render()
}

func (v *DocView) render() {
	cat := v.app.cat
	dv := v.View
	m := dv.Doc.Payload.Metadata
	v.Title.SetText(cat.T(i18n.DocTitle, m.PrintedTypeName(), m.Subject))
	from := m.From.Name
	if dv.FromSuccessor != nil {
		from = cat.T(i18n.AgencyNowIs, m.From.Name, dv.FromSuccessor.Name)
	}
	items := []*widget.FormItem{
		widget.NewFormItem(cat.T(i18n.DocNumber), widget.NewLabel(document.FormatNumberNotation(m.CodeNumber, m.CodeNotation))),
		widget.NewFormItem(cat.T(i18n.DocDate), widget.NewLabel(strings.TrimPrefix(m.Promulgation.Place+", ", ", ")+formatDate(m.Promulgation.Date))),
		widget.NewFormItem(cat.T(i18n.DocFrom), wrapLabel(from)),
		widget.NewFormItem(cat.T(i18n.DocTo), wrapLabel(recipientNames(m))),
		widget.NewFormItem(cat.T(i18n.DocSigner), wrapLabel(strings.TrimSpace(strings.Join([]string{m.Signer.Competence, m.Signer.Position, m.Signer.FullName}, " ")))),
		widget.NewFormItem(cat.T(i18n.DocUrgency), urgencyLabel(cat, m.Priority, m.Secrecy)),
	}
	if !m.DueDate.IsZero() {
		items = append(items, widget.NewFormItem(cat.T(i18n.DocDue), widget.NewLabel(formatDate(m.DueDate))))
	}
	if dv.Doc.Box == store.Incoming {
		arr := cat.T(i18n.DocNotRegistered)
		if dv.Doc.Arrival.Number != "" {
			arr = cat.T(i18n.DocArrivalValue, dv.Doc.Arrival.Number, dv.Doc.Arrival.Time.In(document.VietnamTime).Format("02/01/2006 15:04"))
		}
		items = append(items, widget.NewFormItem(cat.T(i18n.DocArrival), widget.NewLabel(arr)))
		if dv.EdXML != nil {
			check := wrapLabel(clerk.EdXMLCheckText(cat, *dv.EdXML))
			if !dv.EdXML.Verified {
				check.Importance = widget.DangerImportance
			}
			items = append(items, widget.NewFormItem(cat.T(i18n.DocEdXML), check))
		}
	} else {
		items = append(items, v.sentState())
	}
	v.Meta.Objects = []fyne.CanvasObject{widget.NewForm(items...)}
	v.Meta.Refresh()

	v.Files.RemoveAll()
	for i, at := range dv.Doc.Payload.Attachments {
		i, name := i, clerk.AttachmentLabel(m, i, at)
		save := widget.NewButton(cat.T(i18n.DocSaveCopy), func() { v.onSaveAttachment(i) })
		label := widget.NewLabel(cat.T(i18n.AttachmentSize, name, formatBytes(at.Size)))
		if !clerk.Viewable(at) {
			// Not a PDF: never opened by the app, only saved, with a
			// note saying that nothing vouches for it.
			note := widget.NewLabel(cat.T(i18n.DocNotPDFNote, envelope.Extension(at.ContentType)))
			note.Wrapping = fyne.TextWrapWord
			note.Importance = widget.WarningImportance
			v.Files.Add(container.NewVBox(container.NewBorder(nil, nil, nil, save, label), note))
			continue
		}
		open := widget.NewButton(cat.T(i18n.DocOpen), func() { v.onOpenAttachment(i) })
		v.Files.Add(container.NewBorder(nil, nil, nil, container.NewHBox(open, save), label))
	}

	v.renderSignatures()
	v.details.Show()

	if dv.Doc.Box == store.Incoming {
		v.sentAction.Hide()
		v.actions.Show()
		v.updateActions()
	} else {
		v.actions.Hide()
		v.Timeline.SetText(TimelineText(cat, dv.Recipients))
		v.sentAction.Show()
	}
}

// updateActions enables the actions the document's history allows next.
func (v *DocView) updateActions() {
	dv := v.View
	var codes []document.Status
	for _, e := range dv.Statuses {
		codes = append(codes, e.Update.Code)
	}
	lc, err := document.ReplayHistory(dv.Doc.Payload.Metadata.Business.Type, codes)
	if err != nil {
		v.app.log.Warn("replay history", "doc", v.ID, "err", err)
	}
	set := func(b *widget.Button, s document.Status) {
		if lc.Allows(s) {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	set(v.Register, document.StatusReceived)
	set(v.Assign, document.StatusAssigned)
	set(v.Process, document.StatusProcessing)
	set(v.Complete, document.StatusCompleted)
	set(v.Refuse, document.StatusRefused)
	set(v.AcceptRcl, document.StatusAccepted)
	set(v.RejectRcl, document.StatusRejected)
	if lc.RecallPending() {
		v.Message.SetText(v.app.cat.T(i18n.DocRecallPending))
		v.Message.Importance = widget.WarningImportance
		v.Message.Refresh()
	}
}

// act runs a clerk action off Fyne's goroutine (it writes the store and
// queues for the hub), the action buttons off meanwhile; then it says
// done, or what failed, and shows the document again.
func (v *DocView) act(op string, done func() string, f func(ctx context.Context) error) {
	id := v.ID
	v.Message.Importance = widget.MediumImportance
	v.Message.SetText(v.app.cat.T(i18n.WorkUpdate))
	buttons := []*widget.Button{v.Register, v.Assign, v.Process, v.Complete, v.Refuse, v.AcceptRcl, v.RejectRcl, v.Recall}
	v.app.run(i18n.WorkUpdate, buttons, f, func(err error) {
		if v.ID != id {
			// The clerk opened another document meanwhile: its actions
			// are those its history allows, not all those run turned on.
			if v.View != nil && v.View.Doc.Box == store.Incoming {
				v.updateActions()
			}
			return
		}
		if err != nil {
			v.Show(id)
			v.Message.Importance = widget.DangerImportance
			v.Message.SetText(v.app.message(op, err))
			return
		}
		v.Reason.SetText("")
		v.Show(id)
		v.Message.Importance = widget.SuccessImportance
		v.Message.SetText(done())
		v.app.Incoming.List.Reload()
		v.app.Outgoing.List.Reload()
	})
}

func (v *DocView) need(e *widget.Entry, key i18n.Key) bool {
	if strings.TrimSpace(e.Text) == "" {
		v.Message.Importance = widget.DangerImportance
		v.Message.SetText(v.app.cat.T(key))
		return false
	}
	return true
}

func (v *DocView) onRegister() {
	id, staff := v.ID, v.app.staff()
	var n int
	v.act("register", func() string { return v.app.cat.T(i18n.ActRegistered, n) }, func(context.Context) (err error) {
		n, err = v.app.clerk.Register(id, staff)
		return err
	})
}

func (v *DocView) onAssign() {
	if !v.need(v.AssignTo, i18n.ActNeedAssignee) {
		return
	}
	id, to, staff := v.ID, strings.TrimSpace(v.AssignTo.Text), v.app.staff()
	v.act("assign", v.doneText(document.StatusAssigned), func(context.Context) error {
		return v.app.clerk.Assign(id, to, staff)
	})
}

func (v *DocView) onProcess() {
	id, staff, note := v.ID, v.app.staff(), strings.TrimSpace(v.Reason.Text)
	v.act("process", v.doneText(document.StatusProcessing), func(context.Context) error {
		return v.app.clerk.Process(id, staff, note)
	})
}

func (v *DocView) onComplete() {
	id, staff, note := v.ID, v.app.staff(), strings.TrimSpace(v.Reason.Text)
	v.act("complete", v.doneText(document.StatusCompleted), func(context.Context) error {
		return v.app.clerk.Complete(id, staff, note)
	})
}

func (v *DocView) onRefuse() {
	if !v.need(v.Reason, i18n.ActNeedReason) {
		return
	}
	id, staff, reason := v.ID, v.app.staff(), strings.TrimSpace(v.Reason.Text)
	v.act("refuse", v.doneText(document.StatusRefused), func(context.Context) error {
		return v.app.clerk.Refuse(id, staff, reason)
	})
}

func (v *DocView) onAnswerRecall(accept bool) {
	code := document.StatusRejected
	if accept {
		code = document.StatusAccepted
	} else if !v.need(v.Reason, i18n.ActNeedReason) {
		return
	}
	id, staff, reason := v.ID, v.app.staff(), strings.TrimSpace(v.Reason.Text)
	v.act("answer recall", v.doneText(code), func(context.Context) error {
		return v.app.clerk.AnswerRecall(id, accept, staff, reason)
	})
}

// doneText is the message after a status is set.
func (v *DocView) doneText(s document.Status) func() string {
	return func() string { return v.app.cat.T(i18n.ActDone, statusName(v.app.cat, s)) }
}

// onEvidence saves the document's evidence bundle (signatures, receipts,
// statuses and the hub's log proofs) for an auditor.
func (v *DocView) onEvidence() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		v.ExportEvidenceTo(path)
	}, v.app.win)
	d.SetFileName(v.app.cat.T(i18n.EvidenceFileName, v.ID))
	d.Show()
}

// ExportEvidenceTo writes the shown document's evidence bundle to path,
// whole or not at all, off Fyne's goroutine: it fetches the log proofs
// from the hub. The message line shows the result.
func (v *DocView) ExportEvidenceTo(path string) {
	id, c := v.ID, v.app.clerk
	v.Message.Importance = widget.MediumImportance
	v.Message.SetText(v.app.cat.T(i18n.WorkExport))
	v.app.run(i18n.WorkExport, []*widget.Button{v.Evidence}, func(ctx context.Context) error {
		return saveFile(path, func(w io.Writer) error {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			return c.ExportEvidence(ctx, id, w)
		})
	}, func(err error) {
		if v.ID != id {
			return
		}
		if err != nil {
			v.Message.Importance = widget.DangerImportance
			v.Message.SetText(v.app.cat.T(i18n.DocEvidenceFailed, v.app.message("export evidence", err)))
			return
		}
		v.Message.Importance = widget.SuccessImportance
		v.Message.SetText(v.app.cat.T(i18n.DocEvidenceSaved, path))
	})
}

func (v *DocView) onRecall() {
	if !v.need(v.Reason, i18n.ActNeedReason) {
		return
	}
	id, reason := v.ID, strings.TrimSpace(v.Reason.Text)
	v.act("recall", v.doneText(document.StatusRecalled), func(ctx context.Context) error {
		_, err := v.app.clerk.Recall(ctx, id, reason)
		return err
	})
}

// tempCopy writes attachment i of document id, whose metadata is m, to a
// private temporary file for the system's viewer and returns its path. The
// file is named by clerk.AttachmentFileName, with the extension of the
// content type the clerk checked: the sender's name for it would choose
// the program the system opens it with. Only a PDF is copied for the
// viewer (clerk.OpenForViewer): an office file is never opened by the app.
func tempCopy(c *clerk.Clerk, m *document.Metadata, id string, i int) (string, error) {
	r, at, err := c.OpenForViewer(id, i)
	if err != nil {
		return "", err
	}
	defer r.Close()
	dir := filepath.Join(os.TempDir(), "lienthong-"+fmt.Sprint(os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("temp folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "*-"+clerk.AttachmentFileName(m, i, at))
	if err != nil {
		return "", fmt.Errorf("temp file: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("copy attachment: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("copy attachment: %w", err)
	}
	return f.Name(), nil
}

// onOpenAttachment copies the attachment for the system's viewer off
// Fyne's goroutine, then opens it.
func (v *DocView) onOpenAttachment(i int) {
	c, id, m := v.app.clerk, v.ID, v.View.Doc.Payload.Metadata
	var path string
	v.app.run(i18n.WorkOpen, nil, func(context.Context) (err error) {
		path, err = tempCopy(c, m, id, i)
		return err
	}, func(err error) {
		if err == nil {
			err = v.app.fyne.OpenURL(&url.URL{Scheme: "file", Path: path})
		}
		if err != nil {
			v.app.showError("open attachment", err)
		}
	})
}

// onSaveAttachment asks where to save a copy of attachment i, offering the
// name the clerk chose for it (clerk.AttachmentFileName), never the
// sender's.
func (v *DocView) onSaveAttachment(i int) {
	doc := v.View.Doc
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		v.SaveAttachmentTo(i, path)
	}, v.app.win)
	d.SetFileName(clerk.AttachmentFileName(doc.Payload.Metadata, i, doc.Payload.Attachments[i]))
	d.Show()
}

// SaveAttachmentTo writes a copy of attachment i of the shown document to
// path, whole or not at all, off Fyne's goroutine, through
// clerk.OpenAttachment (which checks its header). The message line shows
// the result.
func (v *DocView) SaveAttachmentTo(i int, path string) {
	id, c := v.ID, v.app.clerk
	v.app.run(i18n.WorkSave, nil, func(context.Context) error {
		return saveFile(path, func(w io.Writer) error {
			r, _, err := c.OpenAttachment(id, i)
			if err != nil {
				return err
			}
			defer r.Close()
			_, err = io.Copy(w, r)
			return err
		})
	}, func(err error) {
		if v.ID != id {
			return
		}
		if err != nil {
			v.Message.Importance = widget.DangerImportance
			v.Message.SetText(v.app.cat.T(i18n.DocCopyFailed, v.app.message("save attachment", err)))
			return
		}
		v.Message.Importance = widget.SuccessImportance
		v.Message.SetText(v.app.cat.T(i18n.DocCopySaved, path))
	})
}

// startPreview renders the first page of the main document with pdftoppm
// in the background, when it is installed.
func (v *DocView) startPreview(id string, m *document.Metadata) {
	cat := v.app.cat
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		v.PreviewMsg.SetText(cat.T(i18n.DocNoPreview))
		return
	}
	c := v.app.clerk
	go func() {
		png, err := renderFirstPage(c, m, id, pdftoppm)
		v.app.do(func() {
			if v.ID != id {
				return
			}
			if err != nil {
				v.app.log.Info("no preview", "doc", id, "err", err)
				v.PreviewMsg.SetText(cat.T(i18n.DocNoPreview))
				return
			}
			v.Preview.File = png
			v.Preview.Refresh()
			v.Preview.Show()
			v.PreviewMsg.SetText(cat.T(i18n.DocPreview))
		})
	}()
}

func renderFirstPage(c *clerk.Clerk, m *document.Metadata, id, pdftoppm string) (string, error) {
	pdf, err := tempCopy(c, m, id, 0)
	if err != nil {
		return "", err
	}
	defer os.Remove(pdf)
	out := strings.TrimSuffix(pdf, ".pdf") + "-p1"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, pdftoppm, "-f", "1", "-l", "1", "-r", "40", "-png", "-singlefile", pdf, out)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("pdftoppm: %w: %s", err, strings.TrimSpace(string(b)))
	}
	return out + ".png", nil
}

// TimelineText lists each recipient's status history, oldest first.
func TimelineText(cat *i18n.Catalog, rs []clerk.RecipientStatus) string {
	var b strings.Builder
	for _, r := range rs {
		name := r.Name
		if name == "" {
			name = string(r.Agency)
		}
		b.WriteString(name + "\n")
		if len(r.History) == 0 {
			b.WriteString("   " + cat.T(i18n.StatusNone) + "\n")
		}
		for _, e := range r.History {
			u := e.Update
			line := fmt.Sprintf("   %s  %s", u.Time.In(document.VietnamTime).Format("02/01/2006 15:04"), statusName(cat, u.Code))
			if u.Reason != "" {
				line += " — " + u.Reason
			} else if u.Description != "" {
				line += " — " + u.Description
			}
			b.WriteString(line + "\n")
		}
	}
	return strings.TrimSpace(b.String())
}

func recipientNames(m *document.Metadata) string {
	var names []string
	for _, r := range m.To {
		names = append(names, r.Name)
	}
	return strings.Join(names, "; ")
}

func wrapLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func urgencyLabel(cat *i18n.Catalog, u document.Urgency, s document.Secrecy) *widget.Label {
	text, imp := cellText(cat, store.Summary{Urgency: u, Secrecy: s}, ColUrgency)
	l := widget.NewLabel(text)
	l.Importance = imp
	return l
}
