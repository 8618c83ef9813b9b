package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/wire"
)

// TestReturnedInDocumentView sends a document to an agency the hub does
// not know: the hub refuses it for good, the core returns it (no sync
// failure in the status bar: nothing waits), and the document's view says
// why in Vietnamese, from the hub's code, without the technical text; no
// successor was named, so nothing offers to send it again.
func TestReturnedInDocumentView(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	a, _ := startApp(t, initHome(t, h, quangNinh), Options{})
	c := a.Clerk()
	syncNow(t, c)
	id, err := c.Issue(t.Context(), &clerk.Draft{Files: []string{testdata("cong-van.pdf")}, Stamp: clerk.Stamp{Kind: clerk.StampText},
		Metadata: document.Metadata{Type: document.TypeCongVan, CodeNotation: "UBND-VP", Subject: "Gửi tới cơ quan chưa có trên máy chủ",
			Promulgation: document.Promulgation{Place: "Quảng Ninh"}, Signer: document.Signer{Position: "CHỦ TỊCH", FullName: "Trần Thị Lan"},
			To: []document.Recipient{{Code: "000.00.00.H99", Name: "Cơ quan thử"}}}})
	if err != nil {
		t.Fatal(err)
	}
	syncNow(t, c)
	if c.OutboxLen() != 0 {
		t.Fatalf("the returned document stays queued (%d)", c.OutboxLen())
	}
	settle(t, a)
	if a.Status.SyncError.Visible() {
		t.Errorf("a returned document shows as a sync failure: %q", a.Status.SyncError.Text)
	}
	v := a.Outgoing.View
	v.Show(id)
	want := "Bị trục trả lại, chưa gửi được: Nơi nhận không có trong danh bạ của máy chủ"
	if got := formText(v); !strings.Contains(got, want) || strings.Contains(got, "unknown_recipient") {
		t.Errorf("view %q, want %q", got, want)
	}
	if v.Resend.Visible() || v.Recall.Visible() {
		t.Errorf("resend %v, recall %v on a document returned without a successor", v.Resend.Visible(), v.Recall.Visible())
	}
}

type fakeOutbox struct {
	items []store.OutboxItem
	err   error
}

func (f *fakeOutbox) Outbox() ([]store.OutboxItem, error) { return f.items, f.err }

// TestSyncFailuresClear follows the failures the status bar shows: one
// line for the latest with the count, an outbox item cleared once it left
// the outbox, an incoming packet once a document arrived behind it.
func TestSyncFailuresClear(t *testing.T) {
	ob := &fakeOutbox{items: []store.OutboxItem{{Doc: "out-1"}, {Doc: "out-2"}}}
	f := newSyncFailures(i18n.New(i18n.Vietnamese), ob)
	msg := func(err error) string { return clerk.Explain(err).Message(i18n.New(i18n.Vietnamese)) }
	refused := wire.Errorf(wire.CodeUnknownRecipient, "no such agency")
	steps := []struct {
		name    string
		before  func()
		ev      clerk.Event
		changed bool
		want    string
	}{
		{"an outbox item refused", nil, clerk.SyncFailed{ID: "out-1", Err: refused}, true,
			"Không đồng bộ được: Nơi nhận không có trong danh bạ của máy chủ hoặc đã ngừng hoạt động. Hãy đồng bộ rồi chọn lại nơi nhận."},
		{"an incoming packet refused", nil, clerk.SyncFailed{ID: "in-1", Err: errors.New("x509: certificate signed by unknown authority")}, true,
			"Không đồng bộ được 2 mục: Đã xảy ra lỗi không mong muốn."},
		{"the outbox moves but the item stays", nil, clerk.OutboxChanged{Pending: 2}, false, "Không đồng bộ được 2 mục:"},
		{"the outbox is unreadable", func() { ob.items, ob.err = nil, errors.New("closed") }, clerk.OutboxChanged{Pending: 0}, false, "Không đồng bộ được 2 mục:"},
		{"a document arrives", func() { ob.items, ob.err = []store.OutboxItem{{Doc: "out-1"}}, nil }, clerk.DocumentArrived{ID: "in-2"}, true,
			"Không đồng bộ được: Nơi nhận không có"},
		{"unrelated events", nil, clerk.StatusChanged{ID: "out-1"}, false, "Không đồng bộ được: Nơi nhận không có"},
		{"the item goes through", func() { ob.items = nil }, clerk.OutboxChanged{Pending: 0}, true, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.before != nil {
				s.before()
			}
			if changed := f.apply(s.ev, msg); changed != s.changed {
				t.Errorf("changed %v, want %v", changed, s.changed)
			}
			got := f.text()
			if (s.want == "") != (got == "") || !strings.HasPrefix(got, s.want) {
				t.Errorf("text %q, want it to start with %q", got, s.want)
			}
		})
	}
}

// TestStatusBarSyncLine: the refusals win over the result of the last
// sync asked for; a sync that succeeds clears its own line.
func TestStatusBarSyncLine(t *testing.T) {
	test.NewTempApp(t)
	b := NewStatusBar(i18n.New(i18n.Vietnamese), func() {})
	steps := []struct {
		name string
		do   func()
		want string
	}{
		{"nothing failed", func() {}, ""},
		{"a sync asked for failed", func() { b.SetSyncResult("Không kết nối được máy chủ liên thông.") },
			"Không đồng bộ được: Không kết nối được máy chủ liên thông."},
		{"an item refused", func() {
			b.SetSyncFailed("Không đồng bộ được: Máy chủ liên thông không có văn bản này.")
		},
			"Không đồng bộ được: Máy chủ liên thông không có văn bản này."},
		{"the item went through", func() { b.SetSyncFailed("") }, "Không đồng bộ được: Không kết nối được máy chủ liên thông."},
		{"a sync succeeded", func() { b.SetSyncResult("") }, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.do()
			if b.SyncError.Text != s.want || b.SyncError.Visible() != (s.want != "") {
				t.Errorf("line %q (visible %v), want %q", b.SyncError.Text, b.SyncError.Visible(), s.want)
			}
		})
	}
}
