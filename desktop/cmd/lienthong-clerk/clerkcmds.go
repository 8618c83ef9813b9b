package main

// The clerk's subcommands over lienthong/desktop/clerk: init, send, sync,
// inbox, outbox, show, status, recall, register, verify, directory and
// evidence. Each opens the store in --home, does one thing, and closes it.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/shared/document"
)

// EnvPassphrase is where the store's passphrase may come from when no
// --passphrase-file is given.
const EnvPassphrase = "LIENTHONG_PASSPHRASE"

// defaultHome is the store's folder when --home is not given:
// $XDG_DATA_HOME/lienthong when set, else the user's configuration folder
// (os.UserConfigDir) + /lienthong.
func defaultHome() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "lienthong")
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "lienthong")
	}
	return "lienthong"
}

// clerkFlags are the flags every clerk subcommand takes.
type clerkFlags struct {
	fs       *flag.FlagSet
	home     *string
	passFile *string
	json     *bool
}

func newClerkFlags(name string, jsonFlag bool) *clerkFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := &clerkFlags{fs: fs, home: fs.String("home", defaultHome(), ""), passFile: fs.String("passphrase-file", "", "")}
	if jsonFlag {
		f.json = fs.Bool("json", false, "")
	} else {
		f.json = new(bool)
	}
	return f
}

// parse parses flags wherever they stand among the arguments and returns
// the positional arguments.
func (f *clerkFlags) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usagef("%v", err)
		}
		if f.fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, f.fs.Arg(0))
		args = f.fs.Args()[1:]
	}
}

// readSecret reads the first line of a file.
func readSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	return b, nil
}

// passphrase comes from --passphrase-file, else $LIENTHONG_PASSPHRASE,
// else the terminal.
func (f *clerkFlags) passphrase() ([]byte, error) {
	if *f.passFile != "" {
		p, err := readSecret(*f.passFile)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		return p, nil
	}
	if p := os.Getenv(EnvPassphrase); p != "" {
		return []byte(p), nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return nil, usagef("no passphrase: give --passphrase-file or set %s", EnvPassphrase)
	}
	fmt.Fprint(os.Stderr, "Mật khẩu (passphrase): ")
	p, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	return p, nil
}

func (f *clerkFlags) open() (*clerk.Clerk, error) {
	if !clerk.Exists(*f.home) {
		return nil, fmt.Errorf("no clerk store in %s: run lienthong-clerk init first", *f.home)
	}
	p, err := f.passphrase()
	if err != nil {
		return nil, err
	}
	return clerk.Open(*f.home, p, clerk.Options{})
}

// openWith parses args, wants exactly n arguments (what says which, for the
// usage error) and opens the clerk's store.
func (f *clerkFlags) openWith(args []string, n int, what string) (*clerk.Clerk, []string, error) {
	pos, err := f.parse(args)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != n {
		return nil, nil, usagef("%s", what)
	}
	c, err := f.open()
	if err != nil {
		return nil, nil, err
	}
	return c, pos, nil
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// trySync pushes what an action queued, if the hub answers within a few
// seconds; the action stays queued otherwise.
func trySync(c *clerk.Clerk, stdout io.Writer, quiet bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Sync(ctx); err != nil && !quiet {
		fmt.Fprintf(stdout, "queued: the hub did not answer (%s); run lienthong-clerk sync later\n", oneLine(err.Error()))
	}
}

const initUsage = `usage: lienthong-clerk init --p12 FILE --p12-passphrase-file FILE --hub HOST:PORT --roots FILE [--server-name NAME] [--home DIR] [--passphrase-file FILE]

Creates the clerk's encrypted store in --home, imports the agency's key and
certificate from the .p12, and saves the hub's address and the trusted roots.
The store's own passphrase comes from --passphrase-file, $LIENTHONG_PASSPHRASE
or the terminal.
`

func runInit(args []string, stdout io.Writer) error {
	f := newClerkFlags("init", false)
	p12 := f.fs.String("p12", "", "")
	p12Pass := f.fs.String("p12-passphrase-file", "", "")
	hub := f.fs.String("hub", "", "")
	roots := f.fs.String("roots", "", "")
	server := f.fs.String("server-name", "", "")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("init takes no arguments")
	}
	if *p12 == "" || *p12Pass == "" || *hub == "" || *roots == "" {
		return usagef("init needs --p12, --p12-passphrase-file, --hub and --roots")
	}
	data, err := os.ReadFile(*p12)
	if err != nil {
		return fmt.Errorf("read .p12: %w", err)
	}
	pp, err := readSecret(*p12Pass)
	if err != nil {
		return fmt.Errorf("read .p12 passphrase: %w", err)
	}
	rootsPEM, err := os.ReadFile(*roots)
	if err != nil {
		return fmt.Errorf("read roots: %w", err)
	}
	pass, err := f.passphrase()
	if err != nil {
		return err
	}
	err = clerk.Init(clerk.InitOptions{Home: *f.home, Passphrase: pass, P12: data, P12Passphrase: string(pp), HubAddr: *hub, ServerName: *server, RootsPEM: rootsPEM})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "store created in %s\n", *f.home)
	return nil
}

const sendUsage = `usage: lienthong-clerk send [flags] --to CODE [--to CODE...] MAIN.pdf [APPENDIX.pdf...]

Issues a document: takes the next number of the outgoing register, signs each
PDF with the agency's key (text stamp top right of page 1), seals and queues
it, then tries to send it at once (it stays queued if the hub is unreachable).

  --meta FILE          metadata as JSON (document.Metadata, without number and from); flags override it
  --type KEY           document type key (cong_van, quyet_dinh, bao_cao...)
  --notation TEXT      ký hiệu, e.g. UBND-VP or QĐ-UBND
  --subject TEXT       trích yếu
  --place TEXT         place of issue
  --signer NAME        the competent signer's full name
  --position TEXT      the signer's position
  --competence TEXT    e.g. "TM. ỦY BAN NHÂN DÂN"
  --urgency N          0 Thường .. 4 Hỏa tốc hẹn giờ
  --due YYYY-MM-DD     deadline
  --series NAME        register series ("" the main one)
  --stamp text|none    visible stamp (default text)
  --no-sync            only queue
  --json               print the result as JSON
`

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runSend(args []string, stdout io.Writer) error {
	f := newClerkFlags("send", true)
	var to multiFlag
	f.fs.Var(&to, "to", "")
	meta := f.fs.String("meta", "", "")
	typ := f.fs.String("type", "", "")
	notation := f.fs.String("notation", "", "")
	subject := f.fs.String("subject", "", "")
	place := f.fs.String("place", "", "")
	signer := f.fs.String("signer", "", "")
	position := f.fs.String("position", "", "")
	competence := f.fs.String("competence", "", "")
	urgency := f.fs.Int("urgency", -1, "")
	due := f.fs.String("due", "", "")
	series := f.fs.String("series", "", "")
	stampKind := f.fs.String("stamp", "text", "")
	noSync := f.fs.Bool("no-sync", false, "")
	files, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("give one or more PDFs")
	}
	var m document.Metadata
	if *meta != "" {
		data, err := os.ReadFile(*meta)
		if err != nil {
			return fmt.Errorf("read metadata: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("read metadata %s: %w", *meta, err)
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if *typ != "" {
		m.Type = document.DocType(*typ)
	}
	set(&m.CodeNotation, *notation)
	set(&m.Subject, *subject)
	set(&m.Promulgation.Place, *place)
	set(&m.Signer.FullName, *signer)
	set(&m.Signer.Position, *position)
	set(&m.Signer.Competence, *competence)
	if *urgency >= 0 {
		m.Priority = document.Urgency(*urgency)
	}
	if *due != "" {
		d, err := document.ParseDate(*due)
		if err != nil {
			return usagef("--due: %v", err)
		}
		m.DueDate = d
	}
	for _, code := range to {
		ac, err := certs.ParseAgencyCode(code)
		if err != nil {
			return usagef("--to %s: %v", code, err)
		}
		m.To = append(m.To, document.Recipient{Code: ac})
	}
	if len(m.To) == 0 {
		return usagef("give one or more --to CODE (or \"to\" in --meta)")
	}
	d := &clerk.Draft{Metadata: m, Files: files, Series: *series}
	switch *stampKind {
	case "text":
		d.Stamp.Kind = clerk.StampText
	case "none":
		d.Stamp.Kind = clerk.StampNone
	default:
		return usagef("--stamp must be text or none")
	}
	c, err := f.open()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := signalContext()
	defer cancel()
	id, err := c.Issue(ctx, d)
	if err != nil {
		var ve *document.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("invalid document: %s", strings.ReplaceAll(ve.MessagesVI(), "\n", " "))
		}
		return err
	}
	if !*noSync {
		trySync(c, stdout, *f.json)
	}
	v, err := c.Document(id)
	if err != nil {
		return err
	}
	dm := v.Doc.Payload.Metadata
	out := struct {
		ID       string `json:"id"`
		Number   string `json:"number"`
		Notation string `json:"notation"`
		Sent     bool   `json:"sent"`
	}{id, dm.CodeNumber, dm.CodeNotation, !v.Doc.SentAt.IsZero()}
	if *f.json {
		return writeJSON(stdout, out)
	}
	state := "queued"
	if out.Sent {
		state = "sent"
	}
	fmt.Fprintf(stdout, "%s %s %s\n", id, document.FormatNumberNotation(out.Number, out.Notation), state)
	return nil
}

const syncUsage = `usage: lienthong-clerk sync [--watch] [--hub HOST:PORT] [--home DIR]

Pushes the outbox, pulls the inbox and statuses and refreshes the directory,
once; with --watch, keeps syncing (long polls) until interrupted. --hub
changes the hub's address first (it is kept).
`

func runSync(args []string, stdout io.Writer) error {
	f := newClerkFlags("sync", false)
	watch := f.fs.Bool("watch", false, "")
	hub := f.fs.String("hub", "", "")
	c, _, err := f.openWith(args, 0, "sync takes no arguments")
	if err != nil {
		return err
	}
	defer c.Close()
	if *hub != "" {
		if err := c.SetHubAddress(*hub); err != nil {
			return err
		}
	}
	ctx, cancel := signalContext()
	defer cancel()
	if *watch {
		events, stop := c.Subscribe()
		defer stop()
		go func() {
			for ev := range events {
				switch e := ev.(type) {
				case clerk.DocumentArrived:
					fmt.Fprintf(stdout, "arrived %s %s: %s\n", e.ID, e.From, e.Subject)
				case clerk.StatusChanged:
					fmt.Fprintf(stdout, "status %s %s %s\n", e.ID, e.Agency, e.Code)
				case clerk.ConnectionChanged:
					fmt.Fprintf(stdout, "online %v %s\n", e.Online, e.Transport)
				}
			}
		}()
		return c.Run(ctx)
	}
	if err := c.Sync(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "synced; %d waiting to send\n", c.OutboxLen())
	return nil
}

type row struct {
	ID       string `json:"id"`
	Number   string `json:"number"`
	Notation string `json:"notation"`
	Date     string `json:"date"`
	Agency   string `json:"agency"`
	Code     string `json:"agency_code"`
	Subject  string `json:"subject"`
	Urgency  int    `json:"urgency"`
	Status   string `json:"status"`
	Read     bool   `json:"read"`
	Arrival  string `json:"arrival_number,omitempty"`
}

func rowOf(s store.Summary) row {
	return row{ID: s.ID, Number: s.Number, Notation: s.Notation, Date: s.Date.String(), Agency: s.Agency, Code: string(s.AgencyCode),
		Subject: s.Subject, Urgency: int(s.Urgency), Status: string(s.Status), Read: s.Read, Arrival: s.Arrival.Number}
}

const listUsage = `usage: lienthong-clerk inbox|outbox [--unread] [--search TEXT] [--limit N] [--json] [--home DIR]

Lists received (inbox) or issued (outbox) documents, newest first.
`

// runInbox and runOutbox list the two boxes.
var (
	runInbox  = runList(store.Incoming)
	runOutbox = runList(store.Outgoing)
)

func runList(box store.Box) func([]string, io.Writer) error {
	return func(args []string, stdout io.Writer) error {
		f := newClerkFlags(box.String(), true)
		unread := f.fs.Bool("unread", false, "")
		search := f.fs.String("search", "", "")
		limit := f.fs.Int("limit", 50, "")
		pos, err := f.parse(args)
		if err != nil {
			return err
		}
		if len(pos) != 0 {
			return usagef("no arguments expected")
		}
		c, err := f.open()
		if err != nil {
			return err
		}
		defer c.Close()
		var rows []store.Summary
		if *search != "" {
			rows, err = c.Search(box, *search, 0, *limit)
		} else {
			rows, _, err = c.List(store.Query{Box: box, Desc: true, Limit: *limit, Filter: store.Filter{Unread: *unread}})
		}
		if err != nil {
			return err
		}
		out := make([]row, 0, len(rows))
		for _, r := range rows {
			out = append(out, rowOf(r))
		}
		if *f.json {
			return writeJSON(stdout, out)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, r := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, document.FormatNumberNotation(r.Number, r.Notation), r.Date, r.Status, r.Agency, r.Subject)
		}
		if box == store.Outgoing {
			fmt.Fprintf(tw, "%d waiting to send\n", c.OutboxLen())
		}
		return tw.Flush()
	}
}

const showUsage = `usage: lienthong-clerk show DOC [--json] [--home DIR]

Shows a document: metadata, attachments, signature report, statuses, receipts.
`

func runShow(args []string, stdout io.Writer) error {
	f := newClerkFlags("show", true)
	c, pos, err := f.openWith(args, 1, "give one document id")
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := c.Document(pos[0])
	if err != nil {
		return err
	}
	if *f.json {
		type status struct {
			Agency string    `json:"agency"`
			Code   string    `json:"code"`
			Staff  string    `json:"staff,omitempty"`
			Reason string    `json:"reason,omitempty"`
			Time   time.Time `json:"time"`
		}
		out := struct {
			ID          string             `json:"id"`
			Box         string             `json:"box"`
			Metadata    *document.Metadata `json:"metadata"`
			Attachments any                `json:"attachments"`
			Arrival     string             `json:"arrival_number,omitempty"`
			Sent        bool               `json:"sent"`
			Valid       *bool              `json:"signatures_valid,omitempty"`
			Statuses    []status           `json:"statuses"`
			Receipts    []string           `json:"receipts"`
		}{ID: v.Doc.ID, Box: v.Doc.Box.String(), Metadata: v.Doc.Payload.Metadata, Attachments: v.Doc.Payload.Attachments,
			Arrival: v.Doc.Arrival.Number, Sent: !v.Doc.SentAt.IsZero(), Statuses: []status{}, Receipts: []string{}}
		if v.Report != nil {
			ok := true
			for _, r := range v.Reports {
				ok = ok && r != nil && r.Valid()
			}
			out.Valid = &ok
		}
		add := func(es []store.StatusEntry) {
			for _, e := range es {
				out.Statuses = append(out.Statuses, status{string(e.Copy), string(e.Update.Code), e.Update.Staff, e.Update.Reason, e.Update.Time})
			}
		}
		add(v.Statuses)
		for _, r := range v.Recipients {
			add(r.History)
		}
		for _, r := range v.Receipts {
			out.Receipts = append(out.Receipts, r.Event)
		}
		return writeJSON(stdout, out)
	}
	m := v.Doc.Payload.Metadata
	fmt.Fprintf(stdout, "%s %s (%s)\n", m.PrintedTypeName(), document.FormatNumberNotation(m.CodeNumber, m.CodeNotation), v.Doc.Box)
	fmt.Fprintf(stdout, "Trích yếu: %s\nNơi ban hành: %s, %s\nNgười ký: %s\n", m.Subject, m.From.Name, m.Promulgation.Date, m.Signer.FullName)
	for _, a := range v.Doc.Payload.Attachments {
		fmt.Fprintf(stdout, "Tệp: %s (%d bytes)\n", a.Name, a.Size)
	}
	for i, r := range v.Reports {
		state := "không đọc được"
		if r != nil && r.Valid() {
			state = "chữ ký hợp lệ"
		} else if r != nil {
			state = "chữ ký KHÔNG hợp lệ"
		}
		fmt.Fprintf(stdout, "Tệp %d: %s\n", i+1, state)
	}
	for _, e := range v.Statuses {
		fmt.Fprintf(stdout, "  %s %s %s\n", e.Update.Code, e.Update.Code.NameVI(), e.Update.Time.In(document.VietnamTime).Format(time.RFC3339))
	}
	for _, r := range v.Recipients {
		var cs []string
		for _, e := range r.History {
			cs = append(cs, string(e.Update.Code))
		}
		fmt.Fprintf(stdout, "  %s %s: %s\n", r.Agency, r.Name, strings.Join(cs, " "))
	}
	return nil
}

const statusUsage = `usage: lienthong-clerk status DOC CODE [--reason TEXT] [--note TEXT] [--staff NAME] [--no-sync] [--home DIR]

Sets a status on a received document and sends it to the sender:
03 register (prints the số đến), 04 assign (--note: to whom), 05 processing,
06 completed, 02 refuse (--reason required), 15/16 accept or refuse a recall
(--reason required for 16).
`

func runStatus(args []string, stdout io.Writer) error {
	f := newClerkFlags("status", false)
	reason := f.fs.String("reason", "", "")
	note := f.fs.String("note", "", "")
	staff := f.fs.String("staff", "", "")
	noSync := f.fs.Bool("no-sync", false, "")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("give DOC and CODE")
	}
	id, code := pos[0], document.Status(pos[1])
	if !code.Valid() || code == document.StatusArrived || code == document.StatusRecalled {
		return usagef("status code %q: use 02, 03, 04, 05, 06, 15 or 16", pos[1])
	}
	c, err := f.open()
	if err != nil {
		return err
	}
	defer c.Close()
	switch code {
	case document.StatusReceived:
		n, err := c.Register(id, *staff)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "số đến %d\n", n)
	case document.StatusAssigned:
		err = c.Assign(id, *note, *staff)
	case document.StatusProcessing:
		err = c.Process(id, *staff, *note)
	case document.StatusCompleted:
		err = c.Complete(id, *staff, *note)
	case document.StatusRefused:
		err = c.Refuse(id, *staff, *reason)
	case document.StatusAccepted, document.StatusRejected:
		err = c.AnswerRecall(id, code == document.StatusAccepted, *staff, *reason)
	}
	if err != nil {
		return err
	}
	if !*noSync {
		trySync(c, stdout, false)
	}
	return nil
}

const recallUsage = `usage: lienthong-clerk recall DOC --reason TEXT [--no-sync] [--home DIR]

Recalls (thu hồi) an issued document: recipients that have not fetched it never
will; those that have are asked to answer 15 or 16. Prints the recall's id.
`

func runRecall(args []string, stdout io.Writer) error {
	f := newClerkFlags("recall", false)
	reason := f.fs.String("reason", "", "")
	noSync := f.fs.Bool("no-sync", false, "")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give one document id")
	}
	if *reason == "" {
		return usagef("--reason is required")
	}
	c, err := f.open()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := signalContext()
	defer cancel()
	rid, err := c.Recall(ctx, pos[0], *reason)
	if err != nil {
		return err
	}
	if !*noSync {
		trySync(c, stdout, false)
	}
	fmt.Fprintln(stdout, rid)
	return nil
}

const registerUsage = `usage: lienthong-clerk register export --book out|in|followup --format csv|pdf [--year Y] [--out FILE] [--home DIR]

Exports a register (sổ đăng ký) in the ND30 Appendix IV columns, as CSV in
UTF-8 with a byte order mark (Excel shows the Vietnamese) or as a printable
PDF (A4 landscape). The year defaults to the current one, Vietnam time.
`

func runRegister(args []string, stdout io.Writer) error {
	f := newClerkFlags("register", false)
	bookName := f.fs.String("book", "", "")
	format := f.fs.String("format", "csv", "")
	year := f.fs.Int("year", 0, "")
	out := f.fs.String("out", "", "")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "export" {
		return usagef("the only register action is export")
	}
	var book clerk.Book
	switch *bookName {
	case "out":
		book = clerk.BookOutgoing
	case "in":
		book = clerk.BookIncoming
	case "followup":
		book = clerk.BookFollowUp
	default:
		return usagef("--book must be out, in or followup")
	}
	export := map[string]func(*clerk.Clerk, clerk.Book, int, io.Writer) error{
		"csv": (*clerk.Clerk).ExportRegisterCSV, "pdf": (*clerk.Clerk).ExportRegisterPDF,
	}[*format]
	if export == nil {
		return usagef("--format must be csv or pdf")
	}
	if *year == 0 {
		*year = document.RegisterYear(time.Now())
	}
	c, err := f.open()
	if err != nil {
		return err
	}
	defer c.Close()
	if *out == "" {
		return export(c, book, *year, stdout)
	}
	var buf bytes.Buffer
	if err := export(c, book, *year, &buf); err != nil {
		return err
	}
	return certs.ReplaceFile(*out, buf.Bytes(), 0o600)
}

const verifyUsage = `usage: lienthong-clerk verify FILE.pdf [--json] [--home DIR]

Checks every signature of a PDF against the store's trusted roots. Exits 0
only if there is at least one signature and all are valid.
`

func runVerify(args []string, stdout io.Writer) error {
	f := newClerkFlags("verify", true)
	c, pos, err := f.openWith(args, 1, "give one PDF")
	if err != nil {
		return err
	}
	defer c.Close()
	rep, err := c.VerifyFile(pos[0])
	if err != nil {
		return err
	}
	if *f.json {
		if err := writeJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		for _, s := range rep.Signatures {
			state := "valid"
			if !s.Valid() {
				state = "INVALID: " + strings.Join(s.Problems, "; ")
			}
			fmt.Fprintf(stdout, "%s: %s (%s) %s\n", s.Field, s.Signer, s.Level, state)
		}
	}
	if !rep.Valid() {
		return errors.New("the document's signatures are not all valid")
	}
	return nil
}

const directoryUsage = `usage: lienthong-clerk directory [--search TEXT] [--limit N] [--json] [--home DIR]

Lists agencies of the cached directory (refreshed by sync), searching names
with or without diacritics.
`

func runDirectory(args []string, stdout io.Writer) error {
	f := newClerkFlags("directory", true)
	search := f.fs.String("search", "", "")
	limit := f.fs.Int("limit", 50, "")
	c, _, err := f.openWith(args, 0, "no arguments expected")
	if err != nil {
		return err
	}
	defer c.Close()
	as, err := c.Directory(*search, *limit)
	if err != nil {
		return err
	}
	if *f.json {
		if as == nil {
			as = []store.Agency{}
		}
		return writeJSON(stdout, as)
	}
	w := bufio.NewWriter(stdout)
	for _, a := range as {
		fmt.Fprintf(w, "%s  %s\n", a.Code, a.Name)
	}
	return w.Flush()
}

const evidenceUsage = `usage: lienthong-clerk evidence DOC --out FILE [--home DIR]

Writes the document's evidence bundle (a zip: packet, PDFs, receipts, statuses,
log entries with inclusion proofs and the hub's signed checkpoint) for
lienthong-verify evidence. Needs the hub.
`

func runEvidence(args []string, stdout io.Writer) error {
	f := newClerkFlags("evidence", false)
	out := f.fs.String("out", "", "")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usagef("give DOC and --out FILE")
	}
	c, err := f.open()
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := signalContext()
	defer cancel()
	var buf bytes.Buffer
	if err := c.ExportEvidence(ctx, pos[0], &buf); err != nil {
		return err
	}
	if err := certs.WriteNewFile(*out, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s (%s bytes)\n", *out, strconv.Itoa(buf.Len()))
	return nil
}
