package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
)

var directory = []store.Agency{
	{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh", Level: 1, Active: true},
	{Code: "000.00.01.H49", Name: "Văn phòng Ủy ban nhân dân tỉnh Quảng Ninh", Parent: "000.00.00.H49", Level: 2, Active: true},
	{Code: "000.00.02.H49", Name: "Sở Thông tin và Truyền thông tỉnh Quảng Ninh", Parent: "000.00.00.H49", Level: 2, Active: true},
	{Code: "000.01.02.H49", Name: "Trung tâm Công nghệ thông tin và Truyền thông", Parent: "000.00.02.H49", Level: 3, Active: true},
	{Code: "000.00.00.H41", Name: "Ủy ban nhân dân tỉnh Nghệ An", Level: 1, Active: true},
	{Code: "000.00.00.G22", Name: "Văn phòng Chính phủ", Level: 1, Active: true},
}

func TestAgencyPicker(t *testing.T) {
	test.NewTempApp(t)
	p := NewAgencyPicker(i18n.New(i18n.Vietnamese), directory)
	tests := []struct {
		name, query string
		want        []string // shown, parents before children
		empty       bool
	}{
		{"empty query shows the level-1 bodies", "", []string{"Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng Ủy ban nhân dân tỉnh Quảng Ninh",
			"Sở Thông tin và Truyền thông tỉnh Quảng Ninh", "Trung tâm Công nghệ thông tin và Truyền thông", "Ủy ban nhân dân tỉnh Nghệ An", "Văn phòng Chính phủ"}, false},
		{"with diacritics", "Nghệ An", []string{"Ủy ban nhân dân tỉnh Nghệ An"}, false},
		{"without diacritics", "nghe an", []string{"Ủy ban nhân dân tỉnh Nghệ An"}, false},
		{"upper case and any order", "CHINH PHU VAN", []string{"Văn phòng Chính phủ"}, false},
		{"a child shows under its parents", "trung tam cong nghe", []string{"Ủy ban nhân dân tỉnh Quảng Ninh",
			"Sở Thông tin và Truyền thông tỉnh Quảng Ninh", "Trung tâm Công nghệ thông tin và Truyền thông"}, false},
		{"word prefixes", "van phong", []string{"Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng Chính phủ"}, false},
		{"đ typed as d", "dan", []string{"Ủy ban nhân dân tỉnh Quảng Ninh", "Văn phòng Ủy ban nhân dân tỉnh Quảng Ninh", "Ủy ban nhân dân tỉnh Nghệ An"}, false},
		{"nothing", "Hà Giang", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p.Search.SetText("")
			test.Type(p.Search, tc.query)
			if got := p.Matches(); !slices.Equal(got, tc.want) {
				t.Errorf("matches %q, want %q", got, tc.want)
			}
			if p.Empty.Visible() != tc.empty {
				t.Errorf("empty message visible %v", p.Empty.Visible())
			}
		})
	}
	var picked []certs.AgencyCode
	p.OnPick = func(a store.Agency) { picked = append(picked, a.Code) }
	p.Tree.Select("000.00.00.G22")
	if !slices.Equal(picked, []certs.AgencyCode{"000.00.00.G22"}) {
		t.Errorf("picked %v", picked)
	}
}

func TestUrgencyColors(t *testing.T) {
	th := NewTheme(ThemeLight)
	dark := NewTheme(ThemeDark)
	tests := []struct {
		name   string
		u      document.Urgency
		color  string
		marked bool
	}{
		{"normal has no mark", document.UrgencyNormal, "", false},
		{"urgent", document.UrgencyUrgent, string(ColorNameUrgent), true},
		{"very urgent", document.UrgencyVeryUrgent, string(ColorNameVeryUrgent), true},
		{"flash is red", document.UrgencyFlash, string(ColorNameFlash), true},
		{"scheduled flash is red", document.UrgencyFlashScheduled, string(ColorNameFlash), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name, ok := UrgencyColorName(tc.u)
			if ok != tc.marked || string(name) != tc.color {
				t.Fatalf("UrgencyColorName = %q %v", name, ok)
			}
			if !ok {
				return
			}
			if th.Color(name, theme.VariantLight) == dark.Color(name, theme.VariantLight) {
				t.Error("light and dark themes use the same mark colour")
			}
		})
	}
	r, g, b, _ := th.Color(ColorNameFlash, theme.VariantLight).RGBA()
	if r>>8 < 0xa0 || g>>8 > 0x40 || b>>8 > 0x40 {
		t.Errorf("Hỏa tốc is not red: %x %x %x", r>>8, g>>8, b>>8)
	}
	// The dark mode holds whatever the desktop prefers.
	if th.Color(theme.ColorNameBackground, theme.VariantDark) == dark.Color(theme.ColorNameBackground, theme.VariantDark) {
		t.Error("the light theme follows the system's dark variant")
	}
}

// issueN issues documents through the clerk, as the compose screen does.
func issueN(t *testing.T, c *clerk.Clerk, docs []document.Metadata) {
	t.Helper()
	for _, m := range docs {
		m.Type, m.CodeNotation = document.TypeCongVan, "UBND-VP"
		m.Promulgation.Place = "Quảng Ninh"
		m.Signer = document.Signer{Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"}
		if _, err := c.Issue(t.Context(), &clerk.Draft{Metadata: m, Files: []string{testdata("cong-van.pdf")}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDocListSortFilterSearch(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	a, _ := startApp(t, initHome(t, h, quangNinh), Options{})
	syncNow(t, a.Clerk())
	to := []document.Recipient{{Code: vpcp}}
	issueN(t, a.Clerk(), []document.Metadata{
		{Subject: "Báo cáo tình hình kinh tế quý IV", Priority: document.UrgencyNormal, To: to},
		{Subject: "Phòng chống bão số 3", Priority: document.UrgencyFlash, To: to, DueDate: document.DateOf(a.clerkNow())},
		{Subject: "Ảnh hưởng của dịch bệnh", Priority: document.UrgencyUrgent, To: to},
	})
	l := a.Outgoing.List
	l.Reload()
	subjects := func() []string {
		l.Wait()
		mainQueue.drain()
		var out []string
		for i := range l.Total() {
			r, _ := l.Row(i)
			out = append(out, r.Subject)
		}
		return out
	}
	tests := []struct {
		name string
		do   func()
		want []string
	}{
		{"by urgency, highest first", func() { l.SortBy(ColUrgency) }, []string{"Phòng chống bão số 3", "Ảnh hưởng của dịch bệnh", "Báo cáo tình hình kinh tế quý IV"}},
		{"by urgency again reverses", func() { l.SortBy(ColUrgency) }, []string{"Báo cáo tình hình kinh tế quý IV", "Ảnh hưởng của dịch bệnh", "Phòng chống bão số 3"}},
		{"by subject, Vietnamese order", func() { l.SortBy(ColSubject) }, []string{"Ảnh hưởng của dịch bệnh", "Báo cáo tình hình kinh tế quý IV", "Phòng chống bão số 3"}},
		{"by number, highest first", func() { l.SortBy(ColNumber) }, []string{"Ảnh hưởng của dịch bệnh", "Phòng chống bão số 3", "Báo cáo tình hình kinh tế quý IV"}},
		{"due soon", func() { a.Outgoing.Filter.SetSelected("Sắp đến hạn") }, []string{"Phòng chống bão số 3"}},
		{"all again", func() { a.Outgoing.Filter.SetSelected("Tất cả") }, []string{"Ảnh hưởng của dịch bệnh", "Phòng chống bão số 3", "Báo cáo tình hình kinh tế quý IV"}},
		{"search without diacritics", func() { test.Type(l.Search, "bao so") }, []string{"Phòng chống bão số 3"}},
		{"search by notation", func() { l.Search.SetText(""); test.Type(l.Search, "ubnd-vp anh huong") }, []string{"Ảnh hưởng của dịch bệnh"}},
		{"search nothing", func() { l.Search.SetText(""); test.Type(l.Search, "hà giang") }, nil},
		{"clear search", func() { l.Search.SetText("") }, []string{"Ảnh hưởng của dịch bệnh", "Phòng chống bão số 3", "Báo cáo tình hình kinh tế quý IV"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.do()
			if got := subjects(); !slices.Equal(got, tc.want) {
				t.Errorf("rows %q, want %q", got, tc.want)
			}
			if want := i18n.New(i18n.Vietnamese).T(i18n.ListCount, len(tc.want)); l.Count.Text != want {
				t.Errorf("count %q, want %q", l.Count.Text, want)
			}
		})
	}
	// Header text shows the sort.
	if got := l.columnTitle(ColNumber); got != "Số/Ký hiệu" {
		t.Errorf("header %q", got)
	}
	if got := l.columnTitle(ColAgency); got != "Nơi nhận" {
		t.Errorf("outgoing agency header %q", got)
	}

	t.Run("registers", func(t *testing.T) {
		a.ShowTab(TabRegisters)
		settle(t, a)
		rows := a.Registers.Rows()
		if len(rows) != 4 {
			t.Fatalf("outgoing register has %d rows (header included)", len(rows))
		}
		if !strings.Contains(strings.Join(rows[0], "|"), "Số, ký hiệu") {
			t.Errorf("register header %q", rows[0])
		}
		out := filepath.Join(t.TempDir(), "so-di.csv")
		a.Registers.ExportTo(clerk.BookOutgoing, document.RegisterYear(a.clerkNow()), out)
		settle(t, a)
		b, _ := os.ReadFile(out)
		if !strings.Contains(string(b), "Phòng chống bão số 3") || !strings.HasPrefix(a.Registers.Message.Text, "Đã xuất sổ ra ") {
			t.Errorf("export: %q", a.Registers.Message.Text)
		}
		pdf := filepath.Join(t.TempDir(), "so-di.pdf")
		a.Registers.ExportTo(clerk.BookOutgoing, document.RegisterYear(a.clerkNow()), pdf)
		settle(t, a)
		if b, _ := os.ReadFile(pdf); !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("the printable register is not a PDF (%d bytes)", len(b))
		}
	})
}

func TestVerifyTab(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	a, _ := startApp(t, initHome(t, h, quangNinh), Options{})
	tests := []struct {
		name, file string
		want       []string
	}{
		{"unsigned pdf", testdata("cong-van.pdf"), []string{"Tệp không có chữ ký số"}},
		{"not a pdf", testdata("not-a-pdf.pdf"), []string{"Không kiểm tra được"}},
		{"no file", "", []string{"Chọn tệp PDF để kiểm tra chữ ký"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a.Verify.Path.SetText(tc.file)
			test.Tap(a.Verify.Check)
			settle(t, a)
			for _, w := range tc.want {
				if !strings.Contains(a.Verify.Result.Text, w) {
					t.Errorf("result %q lacks %q", a.Verify.Result.Text, w)
				}
			}
		})
	}
}

func TestLanguageAndSettings(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	home := initHome(t, h, quangNinh)
	tests := []struct {
		name string
		env  map[string]string
		tab  string
	}{
		{"Vietnamese by default", nil, "Văn bản đến"},
		{"English from LANG", map[string]string{"LANG": "en_US.UTF-8"}, "Incoming"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := startApp(t, home, Options{Getenv: func(k string) string { return tc.env[k] }})
			if got := a.Tabs.Items[0].Text; got != tc.tab {
				t.Errorf("first tab %q, want %q", got, tc.tab)
			}
			a.Close()
		})
	}
	t.Run("choosing English in Cài đặt", func(t *testing.T) {
		a, _ := startApp(t, home, Options{})
		a.Settings.Lang.SetSelected("English")
		if a.Settings.Message.Text != "The new language applies when the app is opened again" {
			t.Errorf("message %q", a.Settings.Message.Text)
		}
		if got := a.fyne.Preferences().String(PrefLang); got != "en" {
			t.Errorf("preference %q", got)
		}
		a.Settings.Theme.SetSelected("Tối")
		if _, ok := a.fyne.Settings().Theme().(*Theme); !ok || a.fyne.Settings().Theme().(*Theme).Mode != ThemeDark {
			t.Error("the dark theme was not applied")
		}
		test.Type(a.Settings.Staff, "Lê Thị Hoa")
		if a.staff() != "Lê Thị Hoa" {
			t.Errorf("staff %q", a.staff())
		}
	})
	t.Run("hub nodes in Cài đặt", func(t *testing.T) {
		a, _ := startApp(t, home, Options{})
		defer a.Close()
		save := func(addr string) {
			a.Settings.Hub.SetText(addr)
			test.Tap(a.Settings.SaveHub)
			settle(t, a)
		}
		save("truc1.example:4433, truc2.example")
		if got := a.Settings.Message.Text; !strings.Contains(got, "“truc2.example” không hợp lệ") {
			t.Errorf("a bad address: message %q", got)
		}
		if got := a.Clerk().HubAddress(); got != h.Addr {
			t.Fatalf("a bad address was kept: %q", got)
		}
		save(" " + h.Addr + " , 127.0.0.1:1 ")
		want := h.Addr + ",127.0.0.1:1"
		if got := a.Clerk().HubAddress(); got != want || a.Settings.Hub.Text != want {
			t.Errorf("kept %q, shown %q, want %q", got, a.Settings.Hub.Text, want)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := a.Clerk().TestConnection(ctx); err != nil {
			t.Errorf("hello through the first of two nodes: %v", err)
		}
	})
	t.Run("poll address in Cài đặt", func(t *testing.T) {
		a, _ := startApp(t, home, Options{})
		defer a.Close()
		save := func(addr string) {
			a.Settings.Poll.SetText(addr)
			test.Tap(a.Settings.SavePoll)
			settle(t, a)
		}
		save("cho-tin.example")
		if got := a.Settings.Message.Text; !strings.Contains(got, "“cho-tin.example” không hợp lệ") || a.Clerk().PollAddress() != "" {
			t.Errorf("a bad address: message %q, kept %q", got, a.Clerk().PollAddress())
		}
		save(" cho-tin.example:4434 ")
		if got := a.Clerk().PollAddress(); got != "cho-tin.example:4434" || a.Settings.Poll.Text != got {
			t.Errorf("kept %q, shown %q", got, a.Settings.Poll.Text)
		}
		save("")
		if got := a.Clerk().PollAddress(); got != "" {
			t.Errorf("cleared: kept %q", got)
		}
	})
	t.Run("proxy in Cài đặt", func(t *testing.T) {
		a, _ := startApp(t, home, Options{})
		defer a.Close()
		save := func(proxy string) {
			a.Settings.Proxy.SetText(proxy)
			test.Tap(a.Settings.SaveProxy)
			settle(t, a)
		}
		save("http://vanthu:bimat@127.0.0.1:3128")
		if got := a.Clerk().Proxy(); got != "http://vanthu:bimat@127.0.0.1:3128" {
			t.Fatalf("kept %q", got)
		}
		if got := a.Settings.Proxy.Text; got != "http://vanthu:xxxxx@127.0.0.1:3128" {
			t.Errorf("shown %q, want the password masked", got)
		}
		save(a.Settings.Proxy.Text)
		if got := a.Clerk().Proxy(); got != "http://vanthu:bimat@127.0.0.1:3128" {
			t.Errorf("saving the masked setting unchanged kept %q, want the password kept", got)
		}
		save("socks5://proxy:1080")
		if got := a.Settings.Message.Text; !strings.Contains(got, "Địa chỉ proxy không hợp lệ") {
			t.Errorf("a SOCKS proxy: message %q", got)
		}
		save("")
		if got := a.Clerk().Proxy(); got != "" {
			t.Errorf("an empty setting kept %q, want the environment's (\"\")", got)
		}
	})
}

func TestShortcuts(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	a, w := startApp(t, initHome(t, h, quangNinh), Options{})
	press := func(k fyne.KeyName) {
		w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault})
	}
	tests := []struct {
		name string
		key  fyne.KeyName
		tab  int
	}{
		{"Ctrl+N composes", fyne.KeyN, 2},
		{"Ctrl+6 settings", fyne.Key6, 5},
		{"Ctrl+4 registers", fyne.Key4, 3},
		{"Ctrl+F searches the incoming list", fyne.KeyF, 0},
		{"Ctrl+2 outgoing", fyne.Key2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			press(tc.key)
			if got := a.Tabs.SelectedIndex(); got != tc.tab {
				t.Errorf("tab %d, want %d", got, tc.tab)
			}
		})
	}
	press(fyne.KeyF)
	if w.Canvas().Focused() != a.Outgoing.List.Search {
		t.Error("Ctrl+F on Văn bản đi did not focus its search")
	}
}

func TestStatusBar(t *testing.T) {
	test.NewTempApp(t)
	b := NewStatusBar(i18n.New(i18n.Vietnamese), func() {})
	tests := []struct {
		name             string
		do               func()
		online, transfer string
		pending          string
		progressVisible  bool
	}{
		{"starts offline", func() {}, "Ngoại tuyến", "", "Chờ gửi: 0", false},
		{"online", func() { b.SetOnline(true, "") }, "Trực tuyến", "", "Chờ gửi: 0", false},
		{"offline with a reason", func() { b.SetOnline(false, "hết thời gian chờ") }, "Ngoại tuyến: hết thời gian chờ", "", "Chờ gửi: 0", false},
		{"three waiting", func() { b.SetPending(3) }, "Ngoại tuyến: hết thời gian chờ", "", "Chờ gửi: 3", false},
		{"upload in progress", func() { b.SetTransfer(true, 3<<20, 12<<20) }, "Ngoại tuyến: hết thời gian chờ", "Đang gửi 3.0 MB / 12.0 MB", "Chờ gửi: 3", true},
		{"download in progress", func() { b.SetTransfer(false, 512<<10, 2<<20) }, "Ngoại tuyến: hết thời gian chờ", "Đang nhận 512 kB / 2.0 MB", "Chờ gửi: 3", true},
		{"transfer done", func() { b.SetTransfer(false, 2<<20, 2<<20) }, "Ngoại tuyến: hết thời gian chờ", "", "Chờ gửi: 3", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.do()
			if b.Online.Text != tc.online || b.Transfer.Text != tc.transfer || b.Pending.Text != tc.pending || b.Progress.Visible() != tc.progressVisible {
				t.Errorf("bar shows %q, %q, %q, progress %v", b.Online.Text, b.Transfer.Text, b.Pending.Text, b.Progress.Visible())
			}
		})
	}
}

func TestOfflineSendQueues(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	home := initHome(t, h, quangNinh)
	c, err := clerk.Open(home, testPass, clerk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	syncNow(t, c) // the directory, for the recipients' tree
	c.Close()
	h.Stop()

	a, w := startApp(t, home, Options{})
	compose(t, a, testdata("cong-van.pdf"), "Gửi khi mất mạng", 0, "van phong chinh phu")
	test.Tap(a.Compose.Send)
	test.Tap(findButton(w, "Đồng ý"))
	settle(t, a)
	if !strings.Contains(a.Compose.Problems.Text, "Đã ký và đưa vào hàng gửi") {
		t.Fatalf("offline send: %q", a.Compose.Problems.Text)
	}
	if err := a.Clerk().Sync(t.Context()); err == nil {
		t.Fatal("sync with the hub stopped succeeded")
	}
	eventually(t, "the status bar to say offline and one waiting", func() bool {
		return strings.HasPrefix(a.Status.Online.Text, "Ngoại tuyến") && a.Status.Pending.Text == "Chờ gửi: 1"
	})
	test.Tap(a.Status.SyncButton)
	settle(t, a)
	if got := a.Status.SyncError.Text; !strings.HasPrefix(got, "Không đồng bộ được: ") || strings.Contains(got, "sync:") {
		t.Errorf("the sync asked for offline shows %q", got)
	}
	r, _ := a.Outgoing.List.Row(0)
	a.Outgoing.View.Show(r.ID)
	if !containsText(texts(a.Outgoing.View.Object()), "Đang chờ gửi") {
		t.Error("the document view does not say it waits to be sent")
	}
}

// TestDocListSearchInBackground types into the search box of a list of
// documents while the search runs in the background: rows read before the
// result lands must not fail, and only the last keystroke's result shows.
func TestDocListSearchInBackground(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	a, _ := startApp(t, initHome(t, h, quangNinh), Options{})
	syncNow(t, a.Clerk())
	issueN(t, a.Clerk(), []document.Metadata{
		{Subject: "Kế hoạch chuyển đổi số", To: []document.Recipient{{Code: vpcp}}},
		{Subject: "Báo cáo chuyển đổi số quý IV", To: []document.Recipient{{Code: vpcp}}},
	})
	l := a.Outgoing.List
	l.Reload()
	for _, q := range []string{"c", "ch", "chuyen", "chuyen doi", "chuyen doi so bao"} {
		l.Search.SetText(q)
		for i := range l.Total() + 2 {
			l.Row(i) // as the table would while the search runs
		}
	}
	l.Wait()
	mainQueue.drain()
	if l.Total() != 1 {
		t.Fatalf("%d rows after the last keystroke", l.Total())
	}
	if r, _ := l.Row(0); r.Subject != "Báo cáo chuyển đổi số quý IV" {
		t.Errorf("row %q", r.Subject)
	}
}
