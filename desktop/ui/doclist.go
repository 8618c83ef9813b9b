package ui

import (
	"image/color"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
)

// ListSource is what a document list reads: one page of a box, sorted and
// filtered, with the total count, and a search as you type. *clerk.Clerk
// provides both; the list never reads the store itself.
type ListSource interface {
	List(q store.Query) ([]store.Summary, int, error)
	Search(box store.Box, text string, offset, limit int) ([]store.Summary, error)
}

// Column is a column of a document list.
type Column int

// The columns, in the order shown.
const (
	ColNumber Column = iota
	ColDate
	ColAgency
	ColSubject
	ColUrgency
	ColStatus
	ColDue
	numColumns
)

// sortOf is the store's sort for each column.
var sortOf = [numColumns]store.SortBy{
	ColNumber:  store.SortNumber,
	ColDate:    store.SortDate,
	ColAgency:  store.SortAgency,
	ColSubject: store.SortSubject,
	ColUrgency: store.SortUrgency,
	ColStatus:  store.SortStatus,
	ColDue:     store.SortDeadline,
}

var columnWidths = [numColumns]float32{112, 100, 150, 212, 128, 115, 100}

const (
	pageSize = 100
	// maxPages bounds the rows kept in memory: the visible page and those
	// around it, whatever the size of the box.
	maxPages = 16
	// maxSearch bounds the matches a search shows; the count says "+".
	maxSearch = 1000
)

// DocList is a virtualised, sortable list of one box's documents: it asks
// its source for the page a visible row is on, so 100,000 documents cost
// what one screenful does. Unread documents are bold; urgency shows as a
// coloured stripe and label (Hỏa tốc in red), secrecy beside it.
//
// Its methods must be called on Fyne's goroutine (fyne.Do from elsewhere).
type DocList struct {
	cat    *i18n.Catalog
	src    ListSource
	box    store.Box
	Table  *widget.Table
	Count  *widget.Label
	Search *widget.Entry
	// OnOpen is called when the clerk selects a row.
	OnOpen func(store.Summary)
	// OnError shows an error to the clerk.
	OnError func(error)
	// Dispatch, if set, runs searches in the background and applies their
	// result through it (fyne.Do): typing never waits for the store.
	Dispatch func(func())

	searching sync.WaitGroup
	gen       uint64 // bumped by each search or reload; stale results are dropped

	mu    sync.Mutex
	query store.Query
	text  string
	total int
	more  bool // a search has more matches than shown
	pages map[int][]store.Summary
	order []int // pages in the order loaded, to drop the oldest
	found []store.Summary
}

// NewDocList builds the list of box, sorted by date, newest first.
func NewDocList(cat *i18n.Catalog, src ListSource, box store.Box) *DocList {
	l := &DocList{
		cat:   cat,
		src:   src,
		box:   box,
		query: store.Query{Box: box, Sort: store.SortDate, Desc: true},
		pages: map[int][]store.Summary{},
		Count: widget.NewLabel(""),
	}
	l.Search = widget.NewEntry()
	l.Search.SetPlaceHolder(cat.T(i18n.SearchPlaceholder))
	l.Search.OnChanged = l.onSearch
	l.Table = widget.NewTableWithHeaders(l.length, l.createCell, l.updateCell)
	l.Table.ShowHeaderColumn = false
	l.Table.CreateHeader = l.createHeader
	l.Table.UpdateHeader = l.updateHeader
	l.Table.OnSelected = l.onSelected
	for i, w := range columnWidths {
		l.Table.SetColumnWidth(i, w)
	}
	return l
}

// Reload drops the cached pages and reads the count again, after the
// box changed (a document arrived, a status came).
func (l *DocList) Reload() {
	l.mu.Lock()
	l.gen++
	l.pages = map[int][]store.Summary{}
	l.order = nil
	text := l.text
	l.mu.Unlock()
	if text != "" {
		l.runSearch(text)
	} else {
		l.loadCount()
	}
	l.Table.Refresh()
}

// SetFilter replaces the filter and reloads.
func (l *DocList) SetFilter(f store.Filter) {
	l.mu.Lock()
	l.query.Filter = f
	l.mu.Unlock()
	l.Reload()
}

// SortBy sorts by a column; the same column again reverses the order.
func (l *DocList) SortBy(c Column) {
	l.mu.Lock()
	s := sortOf[c]
	if l.query.Sort == s {
		l.query.Desc = !l.query.Desc
	} else {
		l.query.Sort = s
		l.query.Desc = s == store.SortDate || s == store.SortUrgency || s == store.SortNumber
	}
	l.mu.Unlock()
	l.Reload()
}

// Total returns the number of rows the list has.
func (l *DocList) Total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Row returns row i, reading its page if needed.
func (l *DocList) Row(i int) (store.Summary, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rowLocked(i)
}

func (l *DocList) rowLocked(i int) (store.Summary, bool) {
	if i < 0 || i >= l.total {
		return store.Summary{}, false
	}
	if l.text != "" {
		// While a search runs in the background the previous rows'
		// count may still stand: rows past the results are blank.
		if i < len(l.found) {
			return l.found[i], true
		}
		return store.Summary{}, false
	}
	p := i / pageSize
	rows, ok := l.pages[p]
	if !ok {
		q := l.query
		q.Offset, q.Limit = p*pageSize, pageSize
		var total int
		var err error
		rows, total, err = l.src.List(q)
		if err != nil {
			l.reportError(err)
			return store.Summary{}, false
		}
		l.total = total
		if len(l.order) >= maxPages {
			delete(l.pages, l.order[0])
			l.order = l.order[1:]
		}
		l.pages[p] = rows
		l.order = append(l.order, p)
	}
	if j := i - p*pageSize; j < len(rows) {
		return rows[j], true
	}
	return store.Summary{}, false
}

func (l *DocList) reportError(err error) {
	if l.OnError != nil {
		l.OnError(err)
	}
}

func (l *DocList) loadCount() {
	l.mu.Lock()
	q := l.query
	q.Offset, q.Limit = 0, pageSize
	rows, total, err := l.src.List(q)
	if err != nil {
		l.mu.Unlock()
		l.reportError(err)
		return
	}
	l.total = total
	l.pages[0] = rows
	l.order = append(l.order, 0)
	l.mu.Unlock()
	l.Count.SetText(l.cat.T(i18n.ListCount, total))
}

func (l *DocList) onSearch(text string) {
	text = strings.TrimSpace(text)
	l.mu.Lock()
	l.text = text
	l.gen++
	gen := l.gen
	l.mu.Unlock()
	if text == "" {
		l.Reload()
		return
	}
	if l.Dispatch == nil {
		found, err := l.src.Search(l.box, text, 0, maxSearch+1)
		l.applySearch(gen, found, err)
		return
	}
	l.searching.Add(1)
	go func() {
		defer l.searching.Done()
		found, err := l.src.Search(l.box, text, 0, maxSearch+1)
		l.Dispatch(func() { l.applySearch(gen, found, err) })
	}()
}

// Wait waits until the background searches have dispatched their results.
func (l *DocList) Wait() { l.searching.Wait() }

// applySearch shows a search's result unless a later keystroke or reload
// superseded it.
func (l *DocList) applySearch(gen uint64, found []store.Summary, err error) {
	l.mu.Lock()
	stale := gen != l.gen
	l.mu.Unlock()
	if stale {
		return
	}
	if err != nil {
		l.reportError(err)
		return
	}
	l.showFound(found)
	l.Table.ScrollToTop()
	l.Table.Refresh()
}

// runSearch searches again at once, for a reload.
func (l *DocList) runSearch(text string) {
	found, err := l.src.Search(l.box, text, 0, maxSearch+1)
	if err != nil {
		l.reportError(err)
		return
	}
	l.showFound(found)
}

func (l *DocList) showFound(found []store.Summary) {
	l.mu.Lock()
	l.more = len(found) > maxSearch
	if l.more {
		found = found[:maxSearch]
	}
	l.found = found
	l.total = len(found)
	l.mu.Unlock()
	s := l.cat.T(i18n.ListCount, len(found))
	if l.more {
		s = "≥ " + s
	}
	l.Count.SetText(s)
}

func (l *DocList) length() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, int(numColumns)
}

// cell is a list cell: a stripe for the urgency mark and a label.
type cell struct {
	stripe *canvas.Rectangle
	label  *widget.Label
}

func (l *DocList) createCell() fyne.CanvasObject {
	stripe := canvas.NewRectangle(color.Transparent)
	stripe.SetMinSize(fyne.NewSize(4, 1))
	lab := widget.NewLabel("")
	lab.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(nil, nil, stripe, nil, lab)
}

func (l *DocList) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	box := o.(*fyne.Container)
	lab := box.Objects[0].(*widget.Label)
	stripe := box.Objects[1].(*canvas.Rectangle)
	s, ok := l.Row(id.Row)
	if !ok {
		lab.SetText("")
		stripe.FillColor = color.Transparent
		stripe.Refresh()
		return
	}
	text, imp := cellText(l.cat, s, Column(id.Col))
	lab.TextStyle = fyne.TextStyle{Bold: !s.Read}
	lab.Importance = imp
	lab.SetText(text)
	stripe.FillColor = color.Transparent
	if name, ok := UrgencyColorName(s.Urgency); ok && id.Col == int(ColNumber) {
		stripe.FillColor = fyne.CurrentApp().Settings().Theme().Color(name, fyne.CurrentApp().Settings().ThemeVariant())
	}
	stripe.Refresh()
}

// cellText returns what a column shows of a row and its importance (the
// colour Fyne gives the label).
func cellText(cat *i18n.Catalog, s store.Summary, c Column) (string, widget.Importance) {
	switch c {
	case ColNumber:
		return numberNotation(s), widget.MediumImportance
	case ColDate:
		return formatDate(s.Date), widget.MediumImportance
	case ColAgency:
		if s.Successor != nil {
			return cat.T(i18n.AgencyNowIs, s.Agency, s.Successor.Name), widget.MediumImportance
		}
		return s.Agency, widget.MediumImportance
	case ColSubject:
		return s.Subject, widget.MediumImportance
	case ColUrgency:
		t := urgencyName(cat, s.Urgency)
		if s.Secrecy > 0 {
			t += " · " + secrecyName(cat, s.Secrecy)
		}
		switch s.Urgency {
		case 3, 4:
			return t, widget.DangerImportance
		case 2:
			return t, widget.WarningImportance
		}
		if s.Secrecy > 0 {
			return t, widget.HighImportance
		}
		return t, widget.MediumImportance
	case ColStatus:
		if s.Returned {
			return cat.T(i18n.StatusReturned), widget.DangerImportance
		}
		return statusName(cat, s.Status), widget.MediumImportance
	case ColDue:
		return formatDate(s.Due), widget.MediumImportance
	}
	return "", widget.MediumImportance
}

func (l *DocList) createHeader() fyne.CanvasObject {
	b := widget.NewButton("", nil)
	b.Alignment = widget.ButtonAlignLeading
	b.Importance = widget.LowImportance
	return b
}

func (l *DocList) updateHeader(id widget.TableCellID, o fyne.CanvasObject) {
	b := o.(*widget.Button)
	if id.Col < 0 || id.Col >= int(numColumns) {
		b.SetText("")
		return
	}
	c := Column(id.Col)
	t := l.columnTitle(c)
	l.mu.Lock()
	if sortOf[c] == l.query.Sort {
		if l.query.Desc {
			t += " ▼"
		} else {
			t += " ▲"
		}
	}
	l.mu.Unlock()
	b.SetText(t)
	b.OnTapped = func() { l.onSort(c) }
}

func (l *DocList) onSort(c Column) {
	l.SortBy(c)
}

func (l *DocList) columnTitle(c Column) string {
	switch c {
	case ColNumber:
		return l.cat.T(i18n.ColNumber)
	case ColDate:
		return l.cat.T(i18n.ColDate)
	case ColAgency:
		if l.box == store.Outgoing {
			return l.cat.T(i18n.ColRecipient)
		}
		return l.cat.T(i18n.ColAgency)
	case ColSubject:
		return l.cat.T(i18n.ColSubject)
	case ColUrgency:
		return l.cat.T(i18n.ColUrgency)
	case ColStatus:
		return l.cat.T(i18n.ColStatus)
	case ColDue:
		return l.cat.T(i18n.ColDue)
	}
	return ""
}

func (l *DocList) onSelected(id widget.TableCellID) {
	s, ok := l.Row(id.Row)
	l.Table.UnselectAll()
	if ok && l.OnOpen != nil {
		l.OnOpen(s)
	}
}
