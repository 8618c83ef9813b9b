package clerk_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/evidence"
	"lienthong/shared/wire"
)

const (
	vpcp      = "000.00.00.G22"
	quangNinh = "000.00.00.H49"
	ngheAn    = "000.00.00.H41"
	caoBang   = "000.00.00.H14"
	hanoi     = "000.00.00.H26"
)

var passphrase = []byte("mật khẩu của văn thư")

var fiveAgencies = []struct{ Code, Name string }{
	{vpcp, "Văn phòng Chính phủ"},
	{quangNinh, "Ủy ban nhân dân tỉnh Quảng Ninh"},
	{ngheAn, "Ủy ban nhân dân tỉnh Nghệ An"},
	{caoBang, "Ủy ban nhân dân tỉnh Cao Bằng"},
	{hanoi, "Ủy ban nhân dân thành phố Hà Nội"},
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// newClerk initialises and opens a clerk's store for an agency of the hub,
// importing its key from a real .p12.
func newClerk(t testing.TB, h *hubtest.Hub, code string) *clerk.Clerk {
	t.Helper()
	home := filepath.Join(t.TempDir(), "clerk-"+code)
	initClerk(t, h, code, home)
	return openClerk(t, home)
}

func initClerk(t testing.TB, h *hubtest.Hub, code, home string) {
	t.Helper()
	p12, err := certs.EncodePKCS12(h.Agencies[code].Key, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	err = clerk.Init(clerk.InitOptions{Home: home, Passphrase: passphrase, P12: p12, P12Passphrase: "p12-pass",
		HubAddr: h.Addr, ServerName: "localhost", RootsPEM: h.PKI.RootPEM()})
	if err != nil {
		t.Fatalf("init %s: %v", code, err)
	}
}

func openClerk(t testing.TB, home string) *clerk.Clerk {
	t.Helper()
	c, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), PollWait: 2 * time.Second, MaxBackoff: 500 * time.Millisecond})
	if err != nil {
		t.Fatalf("open %s: %v", home, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func pdf(name string) string {
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return p
}

func agencyName(code string) string {
	for _, a := range fiveAgencies {
		if a.Code == code {
			return a.Name
		}
	}
	return ""
}

// draft is a công văn (or the type of the file) to the given agencies,
// named as the directory names them.
func draft(_ testing.TB, file string, to ...string) *clerk.Draft {
	m := document.Metadata{
		CodeNotation: "UBND-VP", Type: document.TypeCongVan,
		Promulgation: document.Promulgation{Place: "Hạ Long"},
		Subject:      "Về việc triển khai Trục liên thông văn bản quốc gia",
		Signer:       document.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
		Priority:     document.UrgencyUrgent,
	}
	switch file {
	case "quyet-dinh.pdf":
		m.Type, m.CodeNotation, m.Subject = document.TypeQuyetDinh, "QĐ-UBND", "Quyết định ban hành quy chế quản lý văn bản điện tử"
	case "bao-cao.pdf":
		m.Type, m.CodeNotation, m.Subject = document.TypeBaoCao, "BC-UBND", "Báo cáo kết quả chuyển đổi số năm 2026"
	}
	for _, c := range to {
		m.To = append(m.To, document.Recipient{Code: certs.AgencyCode(c), Name: agencyName(c)})
	}
	return &clerk.Draft{Metadata: m, Files: []string{pdf(file)}, Stamp: clerk.Stamp{Kind: clerk.StampText}}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustSync(t testing.TB, ctx context.Context, cs ...*clerk.Clerk) {
	t.Helper()
	for _, c := range cs {
		if err := c.Sync(ctx); err != nil {
			code, _ := c.Agency()
			t.Fatalf("sync %s: %v", code, err)
		}
	}
}

func inbox(t testing.TB, c *clerk.Clerk) []store.Summary {
	t.Helper()
	rows, n, err := c.List(store.Query{Box: store.Incoming, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(rows) {
		t.Fatalf("list gave %d rows, count %d", len(rows), n)
	}
	return rows
}

func codesOf(es []store.StatusEntry) []document.Status {
	var out []document.Status
	for _, e := range es {
		out = append(out, e.Update.Code)
	}
	return out
}

func recipientCodes(t testing.TB, c *clerk.Clerk, id string) map[certs.AgencyCode][]document.Status {
	t.Helper()
	v, err := c.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[certs.AgencyCode][]document.Status{}
	for _, r := range v.Recipients {
		out[r.Agency] = codesOf(r.History)
	}
	return out
}

func TestInitRefusals(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	p12, err := certs.EncodePKCS12(h.Agencies[quangNinh].Key, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	good := clerk.InitOptions{Passphrase: passphrase, P12: p12, P12Passphrase: "p12-pass", HubAddr: h.Addr, RootsPEM: h.PKI.RootPEM()}
	other := hubtest.Start(t, hubtest.Options{})
	tests := []struct {
		name   string
		change func(o *clerk.InitOptions)
		want   error
	}{
		{"wrong p12 passphrase", func(o *clerk.InitOptions) { o.P12Passphrase = "sai" }, nil},
		{"no hub", func(o *clerk.InitOptions) { o.HubAddr = "" }, nil},
		{"a bad hub node", func(o *clerk.InitOptions) { o.HubAddr += ",truc2.example" }, nil},
		{"roots of another PKI", func(o *clerk.InitOptions) { o.RootsPEM = other.PKI.RootPEM() }, nil},
		{"no roots", func(o *clerk.InitOptions) { o.RootsPEM = nil }, nil},
		{"empty passphrase", func(o *clerk.InitOptions) { o.Passphrase = nil }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good
			o.Home = t.TempDir()
			tt.change(&o)
			if err := clerk.Init(o); err == nil {
				t.Fatal("init accepted it")
			}
			if clerk.Exists(o.Home) {
				t.Fatal("a failed init left a store")
			}
		})
	}
	t.Run("existing store and wrong passphrase", func(t *testing.T) {
		o := good
		o.Home = t.TempDir()
		if err := clerk.Init(o); err != nil {
			t.Fatal(err)
		}
		if err := clerk.Init(o); !errors.Is(err, clerk.ErrExists) {
			t.Fatalf("second init: %v, want ErrExists", err)
		}
		if _, err := clerk.Open(o.Home, []byte("sai"), clerk.Options{}); !errors.Is(err, store.ErrWrongPassphrase) {
			t.Fatalf("open with a wrong passphrase: %v", err)
		}
		c, err := clerk.Open(o.Home, passphrase, clerk.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		code, name := c.Agency()
		if code != quangNinh || name != "Ủy ban nhân dân tỉnh Quảng Ninh" {
			t.Fatalf("agency %s %q", code, name)
		}
		hello, err := c.TestConnection(ctxT(t))
		if err != nil || hello.Agency != quangNinh {
			t.Fatalf("hello: %v %+v", err, hello)
		}
		if !c.Online() {
			t.Fatal("not online after a hello")
		}
	})
}

func TestValidate(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	c := newClerk(t, h, quangNinh)
	mustSync(t, ctxT(t), c) // the directory, for recipients' names
	tests := []struct {
		name   string
		change func(d *clerk.Draft)
		field  string
		code   document.ProblemCode
	}{
		{"ok", func(d *clerk.Draft) {}, "", ""},
		{"no subject", func(d *clerk.Draft) { d.Metadata.Subject = "" }, "subject", document.ProblemRequired},
		{"no recipient", func(d *clerk.Draft) { d.Metadata.To = nil }, "to", document.ProblemRequired},
		{"to itself", func(d *clerk.Draft) { d.Metadata.To[0].Code = quangNinh }, "to[0].code", document.ProblemSenderIsRecipient},
		{"subject too long", func(d *clerk.Draft) { d.Metadata.Subject = strings.Repeat("ă", 501) }, "subject", document.ProblemTooLong},
		{"no file", func(d *clerk.Draft) { d.Files = nil }, "files", document.ProblemRequired},
		{"missing file", func(d *clerk.Draft) { d.Files = []string{"/nonexistent.pdf"} }, "files[0]", document.ProblemRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := draft(t, "cong-van.pdf", ngheAn)
			tt.change(d)
			err := c.Validate(d)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("valid draft refused: %v", err)
				}
				return
			}
			var ve *document.ValidationError
			if !errors.As(err, &ve) || !ve.Has(tt.field, tt.code) {
				t.Fatalf("got %v, want a %s problem on %s", err, tt.code, tt.field)
			}
		})
	}
	t.Run("numbers previewed, taken by issuing", func(t *testing.T) {
		n, err := c.NextNumber("")
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := c.NextNumber(""); again != n {
			t.Fatalf("preview took a number: %d then %d", n, again)
		}
		if _, err := c.Issue(ctxT(t), draft(t, "cong-van.pdf", ngheAn)); err != nil {
			t.Fatal(err)
		}
		if m, _ := c.NextNumber(""); m != n+1 {
			t.Fatalf("next number after issuing %d is %d", n, m)
		}
		if err := c.Validate(draft(t, "cong-van.pdf", ngheAn)); err != nil {
			t.Fatalf("validate after issuing: %v", err)
		}
	})
	t.Run("not a PDF", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "anh.pdf")
		if err := os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\n not a pdf"), 0o600); err != nil {
			t.Fatal(err)
		}
		before := c.OutboxLen()
		d := draft(t, "cong-van.pdf", ngheAn)
		d.Files = []string{bad}
		if _, err := c.Issue(ctxT(t), d); err == nil {
			t.Fatal("issued a PNG as a PDF")
		}
		if c.OutboxLen() != before {
			t.Fatal("a refused document was queued")
		}
	})
}

// TestTwoClerks exchanges a signed công văn between two clerks and walks
// the recipient's statuses back to the sender.
func TestTwoClerks(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	mustSync(t, ctx, qn, na)

	id, err := qn.Issue(ctx, draft(t, "cong-van.pdf", ngheAn))
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	if qn.OutboxLen() != 1 {
		t.Fatalf("outbox %d, want 1", qn.OutboxLen())
	}
	sent, err := qn.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Doc.Payload.Metadata.CodeNumber != "1" || sent.Doc.Payload.Metadata.To[0].Name != "Ủy ban nhân dân tỉnh Nghệ An" {
		t.Fatalf("issued metadata: %+v", sent.Doc.Payload.Metadata)
	}
	mustSync(t, ctx, qn)
	if qn.OutboxLen() != 0 {
		t.Fatalf("outbox after sync %d", qn.OutboxLen())
	}
	// A one-page PDF goes with its packet: no upload of its own.
	if up, sub := h.Requests(t, "route", "PATCH "+wire.PathUpload), h.Requests(t, "route", "POST "+wire.PathMessages, "outcome", "ok"); up != 0 || sub != 1 {
		t.Fatalf("%v uploads and %v submissions for one small document", up, sub)
	}
	if v, _ := qn.Document(id); v.Doc.SentAt.IsZero() || len(v.Receipts) != 1 || v.Receipts[0].Event != "accepted" {
		t.Fatalf("sent document: sent at %v, receipts %+v", v.Doc.SentAt, v.Receipts)
	}

	mustSync(t, ctx, na)
	rows := inbox(t, na)
	if len(rows) != 1 || rows[0].ID != id || rows[0].Read {
		t.Fatalf("inbox %+v", rows)
	}
	v, err := na.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Report == nil || !v.Report.Valid() || len(v.Report.Signatures) != 1 || v.Report.Signatures[0].Signer == "" {
		t.Fatalf("signature report of the received PDF: %+v", v.Report)
	}
	if !slices.Equal(codesOf(v.Statuses), []document.Status{"01"}) {
		t.Fatalf("recipient's statuses %v", codesOf(v.Statuses))
	}
	// The attachment is the signed PDF, intact.
	rc, att, err := na.OpenAttachment(id, 0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if int64(buf.Len()) != att.Size || !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("attachment %d bytes, want %d", buf.Len(), att.Size)
	}

	n, err := na.Register(id, "Lê Thị Thư")
	if err != nil || n != 1 {
		t.Fatalf("register: %d %v", n, err)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"assign", func() error { return na.Assign(id, "Phòng Hành chính", "Lê Thị Thư") }},
		{"process", func() error { return na.Process(id, "Trần Văn Xử", "đang dự thảo trả lời") }},
		{"complete", func() error { return na.Complete(id, "Trần Văn Xử", "đã trả lời") }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	if err := na.Refuse(id, "Lê Thị Thư", "nhầm"); !errors.Is(err, document.ErrTransition) {
		t.Fatalf("refuse after completion: %v", err)
	}
	mustSync(t, ctx, na, qn)
	got := recipientCodes(t, qn, id)
	if want := []document.Status{"01", "03", "04", "05", "06"}; !slices.Equal(got[ngheAn], want) {
		t.Fatalf("sender sees %v at Nghệ An, want %v", got[ngheAn], want)
	}
	// Syncing again changes nothing: nothing is delivered or applied twice.
	mustSync(t, ctx, na, qn, na, qn)
	if got := recipientCodes(t, qn, id); len(got[ngheAn]) != 5 {
		t.Fatalf("after more syncs: %v", got[ngheAn])
	}
	if rows := inbox(t, na); len(rows) != 1 {
		t.Fatalf("inbox after more syncs: %d", len(rows))
	}
	if qn.OutboxLen() != 0 || na.OutboxLen() != 0 {
		t.Fatalf("outboxes %d %d", qn.OutboxLen(), na.OutboxLen())
	}
	if v, _ := qn.Document(id); len(v.Receipts) != 2 {
		t.Fatalf("sender's receipts: %d, want accepted + delivered", len(v.Receipts))
	}

	t.Run("read and deadlines", func(t *testing.T) {
		unread := func() int {
			_, n, err := na.List(store.Query{Box: store.Incoming, Filter: store.Filter{Unread: true}})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if unread() != 1 {
			t.Fatal("a new document is not unread")
		}
		if err := na.MarkRead(id, true); err != nil || unread() != 0 {
			t.Fatalf("mark read: %v, %d unread", err, unread())
		}
		if rows, err := na.Overdue(store.Incoming, 10); err != nil || len(rows) != 0 {
			t.Fatalf("overdue: %v %d", err, len(rows))
		}
	})
	t.Run("search", func(t *testing.T) {
		for _, q := range []string{"trien khai", "Triển khai", "truc lien thong"} {
			rows, err := na.Search(store.Incoming, q, 0, 10)
			if err != nil || len(rows) != 1 {
				t.Errorf("search %q: %d rows, %v", q, len(rows), err)
			}
		}
	})
	t.Run("evidence", func(t *testing.T) {
		for name, c := range map[string]*clerk.Clerk{"sender": qn, "recipient": na} {
			var zip bytes.Buffer
			if err := c.ExportEvidence(ctx, id, &zip); err != nil {
				t.Fatalf("%s: export: %v", name, err)
			}
			b, err := evidence.Read(bytes.NewReader(zip.Bytes()), int64(zip.Len()))
			if err != nil {
				t.Fatalf("%s: read bundle: %v", name, err)
			}
			rep := evidence.Verify(b, evidence.Options{Verifier: h.Verifier(), LogKey: h.LogKey})
			if !rep.OK() {
				t.Fatalf("%s: bundle does not verify: %+v", name, rep.Checks)
			}
			if len(b.Receipts) < 2 || len(b.Statuses) != 4 || len(b.Entries) < 2 {
				t.Fatalf("%s: bundle holds %d receipts, %d statuses, %d log entries", name, len(b.Receipts), len(b.Statuses), len(b.Entries))
			}
		}
	})
	t.Run("registers", func(t *testing.T) {
		year := document.RegisterYear(time.Now())
		for _, tt := range []struct {
			name string
			c    *clerk.Clerk
			book clerk.Book
			want []string
		}{
			{"outgoing", qn, clerk.BookOutgoing, []string{"1/UBND-VP", "Nguyễn Văn Hùng", "Ủy ban nhân dân tỉnh Nghệ An"}},
			{"incoming", na, clerk.BookIncoming, []string{"Ủy ban nhân dân tỉnh Quảng Ninh", "1/UBND-VP", "Phòng Hành chính"}},
			{"follow-up", na, clerk.BookFollowUp, []string{"Phòng Hành chính", "Hoàn thành"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var out bytes.Buffer
				if err := tt.c.ExportRegisterCSV(tt.book, year, &out); err != nil {
					t.Fatal(err)
				}
				s := out.String()
				if !strings.HasPrefix(s, "\uFEFF") {
					t.Fatal("no byte order mark")
				}
				lines := strings.Split(strings.TrimSpace(s), "\r\n")
				if len(lines) != 2 || !strings.Contains(lines[0], tt.book.Columns()[0]) {
					t.Fatalf("csv:\n%s", s)
				}
				for _, w := range tt.want {
					if !strings.Contains(lines[1], w) {
						t.Errorf("row lacks %q: %s", w, lines[1])
					}
				}
			})
		}
	})
}
