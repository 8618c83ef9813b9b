package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
)

// refusalSource lists the incoming documents set aside as refused;
// *clerk.Clerk is one.
type refusalSource interface {
	Refusals() ([]store.Refusal, error)
}

// RefusedList is the section under the Văn bản đến list that shows the
// documents this clerk could not take and refused, each marked, with its
// sender, cause, the reason the sender was told and whether the hub has
// told the sender yet. It is hidden while there is none.
type RefusedList struct {
	cat     *i18n.Catalog
	src     refusalSource
	OnError func(error)

	Accordion *widget.Accordion
	List      *widget.List
	rows      []store.Refusal
}

// NewRefusedList builds the section; call Reload to fill it.
func NewRefusedList(cat *i18n.Catalog, src refusalSource) *RefusedList {
	l := &RefusedList{cat: cat, src: src}
	l.List = widget.NewList(func() int { return len(l.rows) },
		func() fyne.CanvasObject {
			lb := widget.NewLabel("")
			lb.Wrapping = fyne.TextWrapWord
			return lb
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(l.rows) {
				o.(*widget.Label).SetText(l.RowText(i))
				l.List.SetItemHeight(i, o.MinSize().Height)
			}
		})
	l.Accordion = widget.NewAccordion(widget.NewAccordionItem(cat.T(i18n.RefusedTitle, 0), l.List))
	l.Accordion.Hide()
	return l
}

// Object returns the section.
func (l *RefusedList) Object() fyne.CanvasObject { return l.Accordion }

// Reload reads the refused documents again.
func (l *RefusedList) Reload() {
	rows, err := l.src.Refusals()
	if err != nil {
		if l.OnError != nil {
			l.OnError(err)
		}
		return
	}
	l.rows = rows
	l.Accordion.Items[0].Title = l.cat.T(i18n.RefusedMarker) + " " + l.cat.T(i18n.RefusedTitle, len(rows))
	l.Accordion.Refresh()
	l.List.Refresh()
	if len(rows) == 0 {
		l.Accordion.Hide()
	} else {
		l.Accordion.Show()
	}
}

// Len is the number of refused documents shown.
func (l *RefusedList) Len() int { return len(l.rows) }

// RowText is what row i says: the marker, the sender, when, the cause and
// whether the sender was told; then the subject and the reason sent.
func (l *RefusedList) RowText(i int) string {
	r := l.rows[i]
	told := l.cat.T(i18n.RefusedTelling)
	if !r.Told.IsZero() {
		told = l.cat.T(i18n.RefusedTold)
	}
	subject := r.Subject
	if subject == "" {
		subject = l.cat.T(i18n.RefusedNoSubject)
	}
	head := l.cat.T(i18n.RefusedRow, string(r.Sender), r.At.In(document.VietnamTime).Format("02/01/2006 15:04"), clerk.CauseText(l.cat, r.Cause))
	return strings.Join([]string{l.cat.T(i18n.RefusedMarker) + " " + head + " · " + told, subject, r.Reason}, "\n")
}
