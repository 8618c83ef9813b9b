package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	hubstore "lienthong/hub/store"
	"lienthong/shared/document"
)

// formText is the labels of a document view's metadata form.
func formText(v *DocView) string {
	var b strings.Builder
	for _, o := range v.Meta.Objects {
		f, ok := o.(*widget.Form)
		if !ok {
			continue
		}
		for _, it := range f.Items {
			if l, ok := it.Widget.(*widget.Label); ok {
				b.WriteString(l.Text + "\n")
			}
		}
	}
	return b.String()
}

// TestResendReturnedToSuccessor: a clerk whose cached directory still
// lists Nghệ An sends to it after its code closed; the hub returns the
// document, the view says so and offers the successor; confirming sends
// it again, and the returned one stays, marked.
func TestResendReturnedToSuccessor(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	a, w := startApp(t, initHome(t, h, quangNinh), Options{})
	rec := &notifications{App: a.fyne}
	a.fyne = rec
	c := a.Clerk()
	syncNow(t, c)
	if _, err := h.Store.CloseAgencies(context.Background(), []hubstore.Succession{{Code: ngheAn, On: hubstore.DayOf(time.Now()),
		Successor: vpcp}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	id, err := c.Issue(t.Context(), &clerk.Draft{Files: []string{testdata("cong-van.pdf")}, Stamp: clerk.Stamp{Kind: clerk.StampText},
		Metadata: document.Metadata{Type: document.TypeCongVan, CodeNotation: "UBND-VP", Subject: "Về việc sáp nhập",
			Promulgation: document.Promulgation{Place: "Quảng Ninh"}, Signer: document.Signer{Position: "CHỦ TỊCH", FullName: "Trần Thị Lan"},
			To: []document.Recipient{{Code: certsCode(ngheAn)}}}})
	if err != nil {
		t.Fatal(err)
	}
	syncNow(t, c)
	settle(t, a)
	eventually(t, "the notice of the return", func() bool { return len(rec.sent) > 0 })
	if n := rec.sent[len(rec.sent)-1]; n.Title != "Văn bản đi bị trả lại" ||
		!strings.HasPrefix(n.Content, "Về việc sáp nhập: Nơi nhận đã sáp nhập vào cơ quan khác: Ủy ban nhân dân tỉnh Nghệ An → Văn phòng Chính phủ") {
		t.Errorf("notice %q: %q", n.Title, n.Content)
	}
	w.SetContent(a.Outgoing.View.root)
	v := a.Outgoing.View
	v.Show(id)
	if got := formText(v); !strings.Contains(got, "Bị trục trả lại, chưa gửi được: Nơi nhận đã sáp nhập vào cơ quan khác: Ủy ban nhân dân tỉnh Nghệ An → Văn phòng Chính phủ") {
		t.Fatalf("view %q", got)
	}
	rows, _, err := c.List(store.Query{Box: store.Outgoing, Limit: 10})
	if err != nil || len(rows) != 1 {
		t.Fatalf("outgoing %+v, %v", rows, err)
	}
	if got, imp := cellText(a.cat, rows[0], ColStatus); got != "Bị trả lại" || imp != widget.DangerImportance {
		t.Fatalf("status cell %q", got)
	}
	if !v.Resend.Visible() || v.Recall.Visible() {
		t.Fatalf("resend %v, recall %v on a returned document with a successor", v.Resend.Visible(), v.Recall.Visible())
	}
	test.Tap(v.Resend)
	yes := findButton(w, "Gửi lại")
	if yes == nil || yes == v.Resend {
		t.Fatal("no confirmation naming the successor")
	}
	test.Tap(yes)
	settle(t, a)
	d, err := c.Document(id)
	if err != nil || d.Doc.Returned == nil || d.Doc.Returned.ResentAs == "" {
		t.Fatalf("returned document after resend: %+v, %v", d.Doc.Returned, err)
	}
	syncNow(t, c)
	again, err := c.Document(d.Doc.Returned.ResentAs)
	if err != nil || again.Doc.SentAt.IsZero() || again.Doc.Payload.Metadata.To[0].Code != vpcp ||
		again.Doc.Payload.Metadata.CodeNumber != d.Doc.Payload.Metadata.CodeNumber {
		t.Fatalf("sent again: %+v, %v", again, err)
	}
	v.Show(id)
	if got := formText(v); !strings.Contains(got, "Đã gửi lại thành văn bản "+d.Doc.Returned.ResentAs) || v.Resend.Visible() {
		t.Fatalf("view after resend %q (resend %v)", got, v.Resend.Visible())
	}
}
