package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/shared/document"
)

// RegistersTab is Sổ đăng ký: the three ND30 books of a year, shown in
// their columns and exported to CSV.
type RegistersTab struct {
	app     *App
	Book    *widget.Select
	Year    *widget.Entry
	Export  *widget.Button
	Print   *widget.Button
	Message *widget.Label
	Table   *widget.Table
	rows    [][]string
	books   []clerk.Book
	root    fyne.CanvasObject
	gen     int // bumped by each Refresh; an older read is dropped
}

// NewRegistersTab builds the registers screen for the current year.
func NewRegistersTab(a *App) *RegistersTab {
	c := a.cat
	t := &RegistersTab{app: a, Year: widget.NewEntry(), Message: widget.NewLabel(""),
		books: []clerk.Book{clerk.BookOutgoing, clerk.BookIncoming, clerk.BookFollowUp}}
	t.Book = widget.NewSelect([]string{c.T(i18n.RegOutgoing), c.T(i18n.RegIncoming), c.T(i18n.RegFollowUp)}, func(string) { t.Refresh() })
	t.Year.SetText(strconv.Itoa(document.RegisterYear(a.clerkNow())))
	t.Year.OnChanged = func(string) { t.Refresh() }
	t.Export = widget.NewButton(c.T(i18n.RegExportCSV), func() { t.onExport(".csv") })
	t.Print = widget.NewButton(c.T(i18n.RegExportPDF), func() { t.onExport(".pdf") })
	t.Table = widget.NewTable(t.length, func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}, t.update)
	t.Book.SetSelectedIndex(0)
	top := container.NewHBox(widget.NewLabel(c.T(i18n.RegBook)), container.NewGridWrap(fyne.NewSize(330, t.Book.MinSize().Height), t.Book), widget.NewLabel(c.T(i18n.RegYear)),
		container.NewGridWrap(fyne.NewSize(90, t.Year.MinSize().Height), t.Year), t.Export, t.Print, t.Message)
	t.root = container.NewBorder(top, nil, nil, nil, t.Table)
	return t
}

// Object returns the screen.
func (t *RegistersTab) Object() fyne.CanvasObject { return t.root }

func (t *RegistersTab) selected() (clerk.Book, int, bool) {
	i := t.Book.SelectedIndex()
	y, err := strconv.Atoi(strings.TrimSpace(t.Year.Text))
	if i < 0 || err != nil || y < 1900 || y > 9999 {
		return 0, 0, false
	}
	return t.books[i], y, true
}

// Refresh reads the chosen book again, off Fyne's goroutine (a year's
// book reads every document of the year); the table shows it when read.
// Only the last refresh asked for is shown.
func (t *RegistersTab) Refresh() {
	if t.Table == nil || t.app.clerk == nil {
		return
	}
	book, year, ok := t.selected()
	if !ok {
		return
	}
	t.gen++
	gen, c := t.gen, t.app.clerk
	var rows [][]string
	t.app.run(i18n.ListLoading, nil, func(context.Context) error {
		var buf bytes.Buffer
		if err := c.ExportRegisterCSV(book, year, &buf); err != nil {
			return err
		}
		r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff"))))
		r.FieldsPerRecord = -1
		var err error
		rows, err = r.ReadAll()
		return err
	}, func(err error) {
		if gen != t.gen {
			return // a later refresh is under way
		}
		if err != nil {
			t.Message.SetText(t.app.cat.T(i18n.RegFailed, t.app.message("read register", err)))
			return
		}
		t.show(rows)
	})
}

func (t *RegistersTab) show(rows [][]string) {
	t.rows = rows
	for i := range t.columns() {
		w := float32(150)
		if i < len(t.rows[0]) && strings.Contains(strings.ToLower(t.rows[0][i]), "trích yếu") {
			w = 320
		}
		t.Table.SetColumnWidth(i, w)
	}
	t.Table.Refresh()
}

func (t *RegistersTab) columns() int {
	if len(t.rows) == 0 {
		return 0
	}
	return len(t.rows[0])
}

// Rows returns the book as shown, its header first.
func (t *RegistersTab) Rows() [][]string { return t.rows }

func (t *RegistersTab) length() (int, int) { return len(t.rows), t.columns() }

func (t *RegistersTab) update(id widget.TableCellID, o fyne.CanvasObject) {
	l := o.(*widget.Label)
	l.TextStyle = fyne.TextStyle{Bold: id.Row == 0}
	if id.Row < len(t.rows) && id.Col < len(t.rows[id.Row]) {
		l.SetText(t.rows[id.Row][id.Col])
	} else {
		l.SetText("")
	}
}

func (t *RegistersTab) onExport(ext string) {
	book, year, ok := t.selected()
	if !ok {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		t.ExportTo(book, year, path)
	}, t.app.win)
	d.SetFileName(t.app.cat.T(i18n.RegisterFileName, int(book), year, ext))
	d.Show()
}

// ExportTo writes a book to path, off Fyne's goroutine: a printable PDF
// (A4 landscape, the ND30 columns) when path ends in .pdf, CSV otherwise.
// The message line shows the result.
func (t *RegistersTab) ExportTo(book clerk.Book, year int, path string) {
	c := t.app.clerk
	t.Message.SetText(t.app.cat.T(i18n.WorkExport))
	t.app.run(i18n.WorkExport, []*widget.Button{t.Export, t.Print}, func(context.Context) error {
		return saveFile(path, func(w io.Writer) error {
			if strings.EqualFold(filepath.Ext(path), ".pdf") {
				return c.ExportRegisterPDF(book, year, w)
			}
			return c.ExportRegisterCSV(book, year, w)
		})
	}, func(err error) {
		if err != nil {
			t.Message.SetText(t.app.cat.T(i18n.RegFailed, t.app.message("export register", err)))
			return
		}
		t.Message.SetText(t.app.cat.T(i18n.RegExported, path))
	})
}

// saveFile writes what write produces to path whole or not at all: into
// memory first, then to a synced temporary file renamed over path.
func saveFile(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	return certs.ReplaceFile(path, buf.Bytes(), 0o644)
}
