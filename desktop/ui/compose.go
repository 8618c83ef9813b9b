package ui

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/stamp"
)

// ComposeTab is Soạn văn bản: the PDFs, the ND30 metadata checked as the
// clerk types (limits, required fields, the duplicate number warning),
// recipients picked from the agency tree, the stamp, then sign and send,
// which queues at once when the hub is out of reach.
type ComposeTab struct {
	app *App

	Files      *widget.Entry // one path a line; the first is the main document
	Type       *widget.Select
	Notation   *widget.Entry
	NextNumber *widget.Label
	Date       *widget.Entry
	Place      *widget.Entry
	Subject    *widget.Entry
	Competence *widget.Entry
	Position   *widget.Entry
	Signer     *widget.Entry
	Urgency    *widget.Select
	Secrecy    *widget.Select
	Due        *widget.Entry
	Stamp      *widget.RadioGroup
	SealLabel  *widget.Label
	seal       []byte // the seal image for StampSeal
	Recipients *fyne.Container
	Picker     *AgencyPicker
	// Person says whether the main PDF carries a valid signature of a
	// competent person of this agency, and what is missing (ND30's first
	// signature); SignHere has the leader sign it here with a token.
	Person   *widget.Label
	SignHere *widget.Button
	// Signing is the leader's signing dialog while it shows.
	Signing *SignHereDialog
	person  personState
	// personConfirmed is the main file the clerk last chose to send
	// without the person's signature, in a confirmation that said so.
	personConfirmed string
	Problems        *widget.Label
	Send            *widget.Button
	types           []document.TypeInfo
	to              []document.Recipient
	lastProblem     error
	root            fyne.CanvasObject
	issuing         bool // a draft is being signed and stored
	// LastIssued is the id of the document the last Issue made.
	LastIssued string
	// issue signs, seals and stores a draft: the clerk's Issue; tests
	// make it wait to show the window answers meanwhile.
	issue func(context.Context, *clerk.Draft) (string, error)
}

// NewComposeTab builds the compose screen.
func NewComposeTab(a *App) *ComposeTab {
	c := a.cat
	t := &ComposeTab{
		app:        a,
		Files:      widget.NewMultiLineEntry(),
		Notation:   widget.NewEntry(),
		NextNumber: widget.NewLabel(""),
		Date:       widget.NewEntry(),
		Place:      widget.NewEntry(),
		Subject:    widget.NewMultiLineEntry(),
		Competence: widget.NewEntry(),
		Position:   widget.NewEntry(),
		Signer:     widget.NewEntry(),
		Recipients: container.NewVBox(),
		Problems:   widget.NewLabel(""),
		Person:     widget.NewLabel(""),
		types:      document.Types(),
		issue:      a.clerk.Issue,
	}
	t.Files.SetMinRowsVisible(2)
	t.Files.SetPlaceHolder(c.T(i18n.CmpDrop))
	t.Subject.SetMinRowsVisible(2)
	t.Subject.Wrapping = fyne.TextWrapWord
	t.Problems.Wrapping = fyne.TextWrapWord
	t.Person.Wrapping = fyne.TextWrapWord
	t.SignHere = widget.NewButton(c.T(i18n.SignHere), t.onSignHere)
	t.Notation.SetPlaceHolder(c.T(i18n.ExampleNotation))
	t.Date.SetPlaceHolder(document.DateOf(a.clerkNow()).String())
	t.Place.SetPlaceHolder(c.T(i18n.CmpPlace))
	var names []string
	for _, ti := range t.types {
		names = append(names, ti.Name)
	}
	t.Type = widget.NewSelect(names, func(string) { t.onChanged() })
	t.Type.PlaceHolder = c.T(i18n.SelectPrompt)
	var urg []string
	for u := document.UrgencyNormal; u <= document.UrgencyFlashScheduled; u++ {
		urg = append(urg, urgencyName(c, u))
	}
	t.Urgency = widget.NewSelect(urg, func(string) { t.onChanged() })
	t.Urgency.SetSelectedIndex(0)
	var sec []string
	for s := document.SecrecyNone; s <= document.SecrecyTopSecret; s++ {
		sec = append(sec, secrecyName(c, s))
	}
	t.Secrecy = widget.NewSelect(sec, func(string) { t.onChanged() })
	t.Secrecy.SetSelectedIndex(0)
	t.Due = widget.NewEntry()
	t.Due.SetPlaceHolder(c.T(i18n.ExampleDate))
	t.Stamp = widget.NewRadioGroup([]string{c.T(i18n.StampText), c.T(i18n.StampSeal), c.T(i18n.StampNone)}, func(string) { t.onChanged() })
	t.Stamp.SetSelected(c.T(i18n.StampText))
	t.SealLabel = widget.NewLabel("")
	chooseSeal := widget.NewButton(c.T(i18n.StampChooseSeal), t.onChooseSeal)
	for _, e := range []*widget.Entry{t.Files, t.Notation, t.Date, t.Place, t.Subject, t.Competence, t.Position, t.Signer, t.Due} {
		e.OnChanged = func(string) { t.onChanged() }
	}
	dir, err := a.clerk.PickableDirectory()
	if err != nil {
		a.explain("directory", err)
	}
	own, _ := a.clerk.Agency()
	var others []store.Agency
	for _, ag := range dir {
		if ag.Code != own {
			others = append(others, ag)
		}
	}
	t.Picker = NewAgencyPicker(c, others)
	t.Picker.OnPick = t.onPick
	t.Send = widget.NewButton(c.T(i18n.CmpSend), t.onSend)
	t.Send.Importance = widget.HighImportance
	choose := widget.NewButton(c.T(i18n.CmpAttach), t.onChooseFile)
	a.win.SetOnDropped(t.onDropped)

	form := widget.NewForm(
		widget.NewFormItem(c.T(i18n.CmpFile), container.NewBorder(nil, nil, nil, choose, t.Files)),
		widget.NewFormItem(c.T(i18n.CmpPerson), container.NewVBox(t.Person, container.NewHBox(t.SignHere))),
		widget.NewFormItem(c.T(i18n.CmpType), container.NewBorder(nil, nil, nil, t.NextNumber, t.Type)),
		widget.NewFormItem(c.T(i18n.CmpNotation), t.Notation),
		widget.NewFormItem(c.T(i18n.CmpDate), container.NewGridWithColumns(2, t.Date, t.Place)),
		widget.NewFormItem(c.T(i18n.CmpSubject), t.Subject),
		widget.NewFormItem(c.T(i18n.CmpCompetence), t.Competence),
		widget.NewFormItem(c.T(i18n.CmpPosition), t.Position),
		widget.NewFormItem(c.T(i18n.CmpSigner), t.Signer),
		widget.NewFormItem(c.T(i18n.CmpUrgency), container.NewGridWithColumns(2, t.Urgency, t.Secrecy)),
		widget.NewFormItem(c.T(i18n.CmpDue), t.Due),
		widget.NewFormItem(c.T(i18n.CmpStamp), container.NewVBox(t.Stamp, container.NewHBox(chooseSeal, t.SealLabel))),
	)
	left := container.NewVScroll(container.NewVBox(form, t.Problems, container.NewHBox(t.Send)))
	right := container.NewBorder(
		container.NewVBox(newBoldLabel(c.T(i18n.CmpRecipients)), t.Recipients), nil, nil, nil, t.Picker.Object())
	split := container.NewHSplit(left, right)
	split.Offset = 0.6
	t.root = split
	t.renderRecipients()
	t.onChanged()
	return t
}

// Object returns the screen.
func (t *ComposeTab) Object() fyne.CanvasObject { return t.root }

// clerkNow is the core's clock.
func (a *App) clerkNow() time.Time {
	if a.opts.Clerk.Now != nil {
		return a.opts.Clerk.Now()
	}
	return time.Now()
}

// Draft builds the draft from what the clerk typed; a malformed date is
// reported by the second result.
func (t *ComposeTab) Draft() (*clerk.Draft, string) {
	c := t.app.cat
	var m document.Metadata
	if i := t.Type.SelectedIndex(); i >= 0 {
		m.Type = t.types[i].Type
	}
	m.CodeNotation = strings.TrimSpace(t.Notation.Text)
	m.Subject = strings.TrimSpace(t.Subject.Text)
	m.Promulgation.Place = strings.TrimSpace(t.Place.Text)
	m.Signer = document.Signer{Competence: strings.TrimSpace(t.Competence.Text), Position: strings.TrimSpace(t.Position.Text), FullName: strings.TrimSpace(t.Signer.Text)}
	m.Priority = document.Urgency(max(t.Urgency.SelectedIndex(), 0))
	m.Secrecy = document.Secrecy(max(t.Secrecy.SelectedIndex(), 0))
	m.To = append([]document.Recipient(nil), t.to...)
	var bad string
	if s := strings.TrimSpace(t.Date.Text); s != "" {
		d, err := document.ParseDate(s)
		if err != nil {
			bad = c.T(i18n.CmpBadDate)
		}
		m.Promulgation.Date = d
	}
	if s := strings.TrimSpace(t.Due.Text); s != "" {
		d, err := document.ParseDate(s)
		if err != nil {
			bad = c.T(i18n.CmpBadDate)
		}
		m.DueDate = d
	}
	d := &clerk.Draft{Metadata: m, Stamp: clerk.Stamp{Kind: clerk.StampText}}
	switch t.Stamp.Selected {
	case c.T(i18n.StampNone):
		d.Stamp.Kind = clerk.StampNone
	case c.T(i18n.StampSeal):
		d.Stamp = clerk.Stamp{Kind: clerk.StampImage, SealPNG: t.seal}
		if t.seal == nil && bad == "" {
			bad = c.T(i18n.StampNeedSeal)
		}
	}
	if m.Secrecy > document.SecrecyNone {
		d.Series = "mat"
	}
	for _, line := range strings.Split(t.Files.Text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			d.Files = append(d.Files, line)
		}
	}
	return d, bad
}

// onChanged validates the draft as the clerk types.
func (t *ComposeTab) onChanged() {
	if t.Send == nil {
		return
	}
	c := t.app.cat
	d, bad := t.Draft()
	if n, err := t.app.clerk.NextNumber(d.Series); err == nil {
		t.NextNumber.SetText(c.T(i18n.CmpNextNumber, n))
	}
	err := t.app.clerk.Validate(d)
	t.lastProblem = err
	var lines []string
	if bad != "" {
		lines = append(lines, bad)
	}
	var ve *document.ValidationError
	duplicate := false
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			if p.Code == document.ProblemDuplicate && p.Field == "code_number" {
				duplicate = true
				continue
			}
			lines = append(lines, "• "+t.problemText(p))
		}
	} else if err != nil {
		lines = append(lines, t.app.message("validate", err))
	}
	if p := t.personLine(d); p != "" {
		lines = append(lines, p)
	}
	if duplicate {
		lines = append([]string{c.T(i18n.CmpDuplicate)}, lines...)
	}
	switch {
	case t.issuing:
		// The send button stays off until the document being signed is
		// stored.
	case len(lines) == 0:
		t.Problems.Importance = widget.SuccessImportance
		t.Problems.SetText(c.T(i18n.CmpValid))
		t.Send.Enable()
	default:
		t.Problems.Importance = widget.DangerImportance
		t.Problems.SetText(strings.Join(lines, "\n"))
		if duplicate && len(lines) == 1 && bad == "" {
			// A duplicate is a warning: the clerk may still send.
			t.Problems.Importance = widget.WarningImportance
			t.Send.Enable()
		} else {
			t.Send.Disable()
		}
	}
	t.Problems.Refresh()
}

func (t *ComposeTab) problemText(p document.Problem) string {
	if t.app.cat.Lang() == i18n.English {
		return p.Message
	}
	return p.MessageVI
}

func (t *ComposeTab) onPick(a store.Agency) {
	if succ, ok := t.app.clerk.Successor(a.Code); ok {
		t.offerSuccessor(a, succ)
		return
	}
	t.addRecipient(a)
}

// offerSuccessor asks, when the clerk picked an agency a reorganisation
// closed, whether to send to its successor instead: never to the closed
// code, which the hub refuses.
func (t *ComposeTab) offerSuccessor(closed, succ store.Agency) {
	c := t.app.cat
	dlg := dialog.NewConfirm(c.T(i18n.PickClosedTitle), c.T(i18n.PickClosed, closed.Name, succ.Name, succ.Name), func(ok bool) {
		if ok {
			t.addRecipient(succ)
		}
	}, t.app.win)
	dlg.SetConfirmText(c.T(i18n.PickClosedYes))
	dlg.SetDismissText(c.T(i18n.Cancel))
	dlg.Show()
}

func (t *ComposeTab) addRecipient(a store.Agency) {
	for _, r := range t.to {
		if r.Code == a.Code {
			return
		}
	}
	t.to = append(t.to, document.Recipient{Code: a.Code, Name: a.Name})
	t.renderRecipients()
	t.onChanged()
}

func (t *ComposeTab) renderRecipients() {
	c := t.app.cat
	t.Recipients.RemoveAll()
	if len(t.to) == 0 {
		t.Recipients.Add(widget.NewLabel(c.T(i18n.CmpNoRecipients)))
	}
	for i, r := range t.to {
		i := i
		rm := widget.NewButton(c.T(i18n.CmpRemove), func() {
			t.to = append(t.to[:i:i], t.to[i+1:]...)
			t.renderRecipients()
			t.onChanged()
		})
		t.Recipients.Add(container.NewBorder(nil, nil, nil, rm, widget.NewLabel(r.Name)))
	}
}

// RecipientNames returns the chosen recipients' names.
func (t *ComposeTab) RecipientNames() []string {
	var out []string
	for _, r := range t.to {
		out = append(out, r.Name)
	}
	return out
}

func (t *ComposeTab) onChooseFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		t.addFile(r.URI().Path())
		r.Close()
	}, t.app.win)
	var exts []string
	for _, ty := range envelope.Types() {
		exts = append(exts, ty.Extension, strings.ToUpper(ty.Extension))
	}
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	d.Show()
}

func (t *ComposeTab) onDropped(_ fyne.Position, uris []fyne.URI) {
	for _, u := range uris {
		// A PDF, or an office appendix (the clerk checks it by content
		// and keeps the main document a PDF).
		if slices.ContainsFunc(envelope.Types(), func(ty envelope.Type) bool { return strings.EqualFold(u.Extension(), ty.Extension) }) {
			t.addFile(u.Path())
		}
	}
	t.app.ShowTab(TabCompose)
}

func (t *ComposeTab) addFile(path string) {
	text := strings.TrimRight(t.Files.Text, "\n")
	if text != "" {
		text += "\n"
	}
	t.Files.SetText(text + path)
}

// onSend asks for confirmation (naming what the main PDF's person
// signature lacks, when the setting warns), then issues the document.
func (t *ComposeTab) onSend() {
	d, _ := t.Draft()
	t.confirmSend(d)
}

// Issue signs, seals and queues the draft without asking, off Fyne's
// goroutine: the send button is off and the problems line says it is
// signing until the document is stored; then the line shows the result
// and LastIssued the new document's id.
func (t *ComposeTab) Issue() {
	c := t.app.cat
	d, bad := t.Draft()
	if bad != "" {
		t.Problems.Importance = widget.DangerImportance
		t.Problems.SetText(bad)
		return
	}
	if t.issuing {
		return
	}
	t.issuing = true
	t.Problems.Importance = widget.MediumImportance
	t.Problems.SetText(c.T(i18n.WorkIssue))
	var id string
	t.app.run(i18n.WorkIssue, []*widget.Button{t.Send}, func(ctx context.Context) (err error) {
		// A seal on a token asks its PIN first: cancelled, no number is
		// taken and nothing is signed.
		if err := t.app.openSeal(ctx); err != nil {
			return err
		}
		id, err = t.issue(ctx, d)
		return err
	}, func(err error) {
		t.issuing = false
		if err != nil {
			t.onChanged()
			t.Problems.Importance = widget.DangerImportance
			t.Problems.SetText(c.T(i18n.CmpFailed, t.app.message("issue", err)))
			return
		}
		t.LastIssued = id
		t.removeSigned(d.Files)
		t.reset()
		t.Problems.Importance = widget.SuccessImportance
		t.Problems.SetText(c.T(i18n.CmpSent, d.Metadata.Subject))
		t.app.Outgoing.List.Reload()
		t.app.Status.SetPending(t.app.clerk.OutboxLen())
	})
}

func (t *ComposeTab) reset() {
	send := t.Send
	t.Send = nil // no validation while clearing
	for _, e := range []*widget.Entry{t.Files, t.Notation, t.Date, t.Subject, t.Due} {
		e.SetText("")
	}
	t.to = nil
	t.renderRecipients()
	t.Send = send
	t.onChanged()
}

func (t *ComposeTab) onChooseSeal() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		var data []byte
		t.app.run(i18n.WorkOpen, nil, func(context.Context) (err error) {
			defer r.Close()
			data, err = io.ReadAll(io.LimitReader(r, 8<<20))
			return err
		}, func(err error) {
			if err != nil {
				t.Problems.Importance = widget.DangerImportance
				t.Problems.SetText(t.app.message("read seal", err))
				return
			}
			t.SetSeal(r.URI().Name(), data)
		})
	}, t.app.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png"}))
	d.Show()
}

// SetSeal chooses the seal image for the seal stamp and selects that
// stamp; an image that is not a readable PNG is refused.
func (t *ComposeTab) SetSeal(name string, png []byte) error {
	if _, err := stamp.DecodePNG(png); err != nil {
		t.Problems.SetText(t.app.cat.T(i18n.StampNeedSeal))
		return err
	}
	t.seal = png
	t.SealLabel.SetText(t.app.cat.T(i18n.StampSealChosen, name))
	t.Stamp.SetSelected(t.app.cat.T(i18n.StampSeal))
	t.onChanged()
	return nil
}
