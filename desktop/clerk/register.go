package clerk

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"lienthong/desktop/i18n"
	"lienthong/desktop/printable"
	"lienthong/desktop/store"
	"lienthong/shared/document"
)

// Book is one of the three registers (sổ) of ND30 Appendix IV.
type Book int

// The books.
const (
	BookOutgoing Book = iota // sổ đăng ký văn bản đi
	BookIncoming             // sổ đăng ký văn bản đến
	BookFollowUp             // sổ theo dõi giải quyết văn bản đến
)

// String names the book in English, for logs and flags.
func (b Book) String() string {
	switch b {
	case BookOutgoing:
		return "out"
	case BookIncoming:
		return "in"
	case BookFollowUp:
		return "followup"
	}
	return "book(" + strconv.Itoa(int(b)) + ")"
}

// registerText is the catalog registers are printed from: they are
// official records in the form ND30 Appendix IV gives, in Vietnamese
// whatever language the clerk's screens use.
var registerText = i18n.New(i18n.Vietnamese)

// Columns returns a book's column headings as ND30 Appendix IV prints them.
func (b Book) Columns() []string {
	var keys []i18n.Key
	switch b {
	case BookOutgoing:
		keys = []i18n.Key{i18n.RegNumberNotation, i18n.RegDocDate, i18n.RegTypeSubject, i18n.RegSigner, i18n.RegRecipients,
			i18n.RegFileCopy, i18n.RegCopies, i18n.RegHandedOver, i18n.RegReceivedBy, i18n.RegNote}
	case BookIncoming:
		keys = []i18n.Key{i18n.RegArrivalDate, i18n.RegArrivalNumber, i18n.RegAuthor, i18n.RegNumberShort, i18n.RegDateShort,
			i18n.RegTypeSubjShort, i18n.RegAssignee, i18n.RegHandedOver, i18n.RegReceivedBy, i18n.RegNote}
	case BookFollowUp:
		keys = []i18n.Key{i18n.RegArrivalNumber, i18n.RegDocSummary, i18n.RegAssignee, i18n.RegDeadline, i18n.RegProgress,
			i18n.RegReplies, i18n.RegNote}
	}
	cols := make([]string, len(keys))
	for i, k := range keys {
		cols[i] = registerText.T(k)
	}
	return cols
}

// vnDate prints a date as registers do: dd/mm/yyyy.
func vnDate(d document.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
}

func vnTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return vnDate(document.DateOf(t))
}

// all returns every document of a box, oldest stored first.
func (c *Clerk) all(box store.Box) ([]*store.Document, error) {
	var out []*store.Document
	for off := 0; ; off += 500 {
		rows, err := c.st.List(store.Query{Box: box, Sort: sortStored, Offset: off, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			d, err := c.st.Get(r.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
		if len(rows) < 500 {
			return out, nil
		}
	}
}

// sortStored is the sort the registers walk with: by date, ties in the
// order documents were stored.
const sortStored = store.SortDate

func numberValue(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func typeAndSubject(m *document.Metadata) string {
	return m.PrintedTypeName() + ": " + m.Subject
}

// RegisterRows returns a book's rows for a year (Vietnam time): the
// outgoing register by number, the incoming and follow-up registers by số
// đến. Recalls and updates are not entered in the outgoing register; they
// show in the Ghi chú of the document they concern.
func (c *Clerk) RegisterRows(book Book, year int) ([][]string, error) {
	switch book {
	case BookOutgoing:
		return c.outgoingRows(year)
	case BookIncoming, BookFollowUp:
		return c.incomingRows(book, year)
	}
	return nil, fmt.Errorf("register: unknown book %d", book)
}

func (c *Clerk) outgoingRows(year int) ([][]string, error) {
	docs, err := c.all(store.Outgoing)
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	recalled := map[string]string{}
	var books []*store.Document
	for _, d := range docs {
		m := d.Payload.Metadata
		switch m.Business.Type {
		case document.BusinessRecall:
			for _, t := range d.Payload.Targets {
				recalled[t] = registerText.T(i18n.RegNoteRecalled, m.Business.Reason)
			}
		case document.BusinessUpdate:
		default:
			if m.RegisterYear() == year {
				books = append(books, d)
			}
		}
	}
	slices.SortStableFunc(books, func(a, b *store.Document) int {
		return numberValue(a.Payload.Metadata.CodeNumber) - numberValue(b.Payload.Metadata.CodeNumber)
	})
	var rows [][]string
	for _, d := range books {
		m := d.Payload.Metadata
		var to []string
		for _, r := range m.To {
			to = append(to, r.Name)
		}
		to = append(to, m.ToPlaces...)
		copies := ""
		if m.PromulgationAmount > 0 {
			copies = strconv.Itoa(m.PromulgationAmount)
		}
		note := []string{}
		if m.Priority != document.UrgencyNormal {
			note = append(note, m.Priority.NameVI())
		}
		if m.Secrecy != document.SecrecyNone {
			note = append(note, m.Secrecy.NameVI())
		}
		if r := recalled[d.ID]; r != "" {
			note = append(note, r)
		}
		switch {
		case d.Returned != nil && d.Returned.ResentAs != "":
			note = append(note, registerText.T(i18n.RegNoteReturned), registerText.T(i18n.RegNoteResent))
		case d.Returned != nil:
			note = append(note, registerText.T(i18n.RegNoteReturned))
		case d.SentAt.IsZero():
			note = append(note, registerText.T(i18n.RegNoteNotSent))
		}
		rows = append(rows, []string{document.FormatNumberNotation(m.CodeNumber, m.CodeNotation), vnDate(m.Promulgation.Date),
			typeAndSubject(m), m.Signer.FullName, strings.Join(to, "; "), "", copies, vnTime(d.SentAt), "", strings.Join(note, "; ")})
	}
	return rows, nil
}

func (c *Clerk) incomingRows(book Book, year int) ([][]string, error) {
	docs, err := c.all(store.Incoming)
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	var reg []*store.Document
	for _, d := range docs {
		if d.Arrival.Number != "" && document.RegisterYear(d.Arrival.Time) == year {
			reg = append(reg, d)
		}
	}
	slices.SortStableFunc(reg, func(a, b *store.Document) int {
		return numberValue(a.Arrival.Number) - numberValue(b.Arrival.Number)
	})
	replies := map[string][]string{}
	if book == BookFollowUp {
		out, err := c.all(store.Outgoing)
		if err != nil {
			return nil, fmt.Errorf("register: %w", err)
		}
		for _, d := range out {
			m := d.Payload.Metadata
			if !m.ResponseFor.IsZero() && m.Business.Type == document.BusinessNew {
				k := m.ResponseFor.String()
				replies[k] = append(replies[k], document.FormatNumberNotation(m.CodeNumber, m.CodeNotation))
			}
		}
	}
	var rows [][]string
	for _, d := range reg {
		m := d.Payload.Metadata
		hist, err := c.st.History(d.ID)
		if err != nil {
			return nil, fmt.Errorf("register: %w", err)
		}
		var assignee, assigned string
		var last document.Status
		for _, h := range hist {
			if h.Copy != c.code {
				continue
			}
			for _, e := range h.Entries {
				if e.Update.Code == document.StatusAssigned {
					assignee, assigned = e.Update.Description, vnTime(e.Update.Time)
				}
				if e.Update.Code != document.StatusRecalled {
					last = e.Update.Code
				}
			}
		}
		if book == BookIncoming {
			note := ""
			if m.Priority != document.UrgencyNormal {
				note = m.Priority.NameVI()
			}
			rows = append(rows, []string{vnTime(d.Arrival.Time), d.Arrival.Number, m.From.Name,
				document.FormatNumberNotation(m.CodeNumber, m.CodeNotation), vnDate(m.Promulgation.Date), typeAndSubject(m),
				assignee, assigned, "", note})
			continue
		}
		desc := registerText.T(i18n.RegSummaryLine, m.PrintedTypeName(), document.FormatNumberNotation(m.CodeNumber, m.CodeNotation),
			vnDate(m.Promulgation.Date), m.Subject)
		note := ""
		if !m.DueDate.IsZero() && !d.Done && m.DueDate.Before(document.DateOf(c.now())) {
			note = registerText.T(i18n.RegNoteOverdue)
		}
		rows = append(rows, []string{d.Arrival.Number, desc, assignee, vnDate(m.DueDate), last.NameVI(),
			strings.Join(replies[m.ID().String()], "; "), note})
	}
	return rows, nil
}

// ExportRegisterCSV writes a book for a year as CSV with the ND30 columns,
// in UTF-8 with a byte order mark so that Excel shows Vietnamese.
func (c *Clerk) ExportRegisterCSV(book Book, year int, w io.Writer) error {
	rows, err := c.RegisterRows(book, year)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("export register: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(book.Columns()); err != nil {
		return fmt.Errorf("export register: %w", err)
	}
	for _, r := range rows {
		for i, cell := range r {
			r[i] = defuse(cell)
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("export register: %w", err)
	}
	return nil
}

// defuse keeps a spreadsheet from reading a cell written by another agency
// as a formula (CSV injection): such a cell gets a leading apostrophe.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Title is the heading a printed register carries.
func (b Book) Title(year int) string {
	switch b {
	case BookOutgoing:
		return registerText.T(i18n.RegTitleOutgoing, year)
	case BookIncoming:
		return registerText.T(i18n.RegTitleIncoming, year)
	case BookFollowUp:
		return registerText.T(i18n.RegTitleFollowUp, year)
	}
	return b.String()
}

// widths are the printed columns' relative widths, the subject widest.
func (b Book) widths() []float64 {
	switch b {
	case BookOutgoing:
		return []float64{1.2, 1, 3.2, 1.3, 1.8, 1.2, 0.7, 1, 0.8, 1}
	case BookIncoming:
		return []float64{1, 0.7, 1.8, 1.2, 1, 3.2, 1.5, 1, 0.8, 1}
	case BookFollowUp:
		return []float64{0.7, 3.4, 1.6, 1.1, 1.4, 1.4, 1}
	}
	return nil
}

// ExportRegisterPDF writes a register as a printable PDF: A4 landscape,
// the ND30 Appendix IV columns, the header repeated on every page.
func (c *Clerk) ExportRegisterPDF(book Book, year int, w io.Writer) error {
	rows, err := c.RegisterRows(book, year)
	if err != nil {
		return err
	}
	if err := printable.Write(w, printable.Table{Title: book.Title(year), Columns: book.Columns(), Widths: book.widths(), Rows: rows}); err != nil {
		return fmt.Errorf("export register: %w", err)
	}
	return nil
}
