package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/i18n"
	"lienthong/shared/pades"
)

// VerifyTab is Kiểm tra chữ ký: any PDF, verified against the roots the
// clerk trusts, the report in plain words.
type VerifyTab struct {
	app    *App
	Path   *widget.Entry
	Check  *widget.Button
	Result *widget.Label
	root   fyne.CanvasObject
}

// NewVerifyTab builds the verify screen.
func NewVerifyTab(a *App) *VerifyTab {
	c := a.cat
	t := &VerifyTab{app: a, Path: widget.NewEntry(), Result: widget.NewLabel("")}
	t.Path.SetPlaceHolder(c.T(i18n.VerChoose))
	t.Path.OnSubmitted = func(string) { t.onCheck() }
	t.Result.Wrapping = fyne.TextWrapWord
	t.Check = widget.NewButton(c.T(i18n.TabVerify), t.onCheck)
	t.Check.Importance = widget.HighImportance
	choose := widget.NewButton(c.T(i18n.WizardChoose), t.onChoose)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(choose, t.Check), t.Path)
	t.root = container.NewBorder(top, nil, nil, nil, container.NewVScroll(t.Result))
	return t
}

// Object returns the screen.
func (t *VerifyTab) Object() fyne.CanvasObject { return t.root }

func (t *VerifyTab) onChoose() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		t.Path.SetText(r.URI().Path())
		r.Close()
		t.onCheck()
	}, t.app.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".pdf", ".PDF"}))
	d.Show()
}

// onCheck verifies the file off Fyne's goroutine (reading and checking a
// large PDF takes a while).
func (t *VerifyTab) onCheck() {
	c := t.app.cat
	path := strings.TrimSpace(t.Path.Text)
	if path == "" {
		t.Result.SetText(c.T(i18n.VerChoose))
		return
	}
	t.Result.Importance = widget.MediumImportance
	t.Result.SetText(c.T(i18n.WorkVerify))
	cl := t.app.clerk
	var rep *pades.Report
	t.app.run(i18n.WorkVerify, []*widget.Button{t.Check}, func(context.Context) (err error) {
		rep, err = cl.VerifyFile(path)
		return err
	}, func(err error) {
		if err != nil {
			t.Result.Importance = widget.DangerImportance
			t.Result.SetText(c.T(i18n.VerFailed, t.app.message("verify", err)))
			return
		}
		t.Result.Importance = widget.MediumImportance
		if len(rep.Signatures) > 0 && !rep.Valid() {
			t.Result.Importance = widget.DangerImportance
		}
		t.Result.SetText(c.T(i18n.VerFile, path) + "\n" + SignatureText(c, rep))
	})
}
