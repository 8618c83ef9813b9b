package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	hubstore "lienthong/hub/store"
)

// TestPickClosedAgencyOffersSuccessor: Nghệ An's code was closed,
// succeeded by the Government Office. The tree shows it with its
// successor; picking it offers the successor, and accepting puts the
// successor, never the closed code, among the recipients.
func TestPickClosedAgencyOffersSuccessor(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	if _, err := h.Store.CloseAgencies(context.Background(), []hubstore.Succession{{Code: ngheAn, On: hubstore.DayOf(time.Now()),
		Successor: vpcp}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	a, w := startApp(t, initHome(t, h, quangNinh), Options{})
	syncNow(t, a.Clerk())
	a.Compose = NewComposeTab(a) // it loads the directory when built
	w.SetContent(a.Compose.Object())
	ct := a.Compose

	n, ok := ct.Picker.all[ngheAn]
	if !ok {
		t.Fatal("the closed agency is not in the tree: a clerk searching its old name finds nothing")
	}
	closed := hubstore.DayOf(time.Now()).Format("02/01/2006")
	if got := ct.Picker.Label(n.a); got != "Ủy ban nhân dân tỉnh Nghệ An (nay là Văn phòng Chính phủ, từ ngày "+closed+")" {
		t.Fatalf("tree label %q", got)
	}
	ct.Picker.Pick(certsCode(ngheAn))
	if len(ct.to) != 0 {
		t.Fatalf("the closed code was added: %+v", ct.to)
	}
	yes := findButton(w, "Gửi cho cơ quan kế thừa")
	if yes == nil {
		t.Fatal("no offer of the successor")
	}
	test.Tap(yes)
	if len(ct.to) != 1 || ct.to[0].Code != vpcp {
		t.Fatalf("recipients %+v, want the successor alone", ct.to)
	}
}

// TestDocumentFromClosedAgencyLabel: a document from a closed code is
// listed as "old name (nay là successor)".
func TestDocumentFromClosedAgencyLabel(t *testing.T) {
	cat := i18n.New(i18n.Vietnamese)
	s := store.Summary{Agency: "Sở Thông tin và Truyền thông tỉnh Quảng Ninh", Successor: &store.Agency{Name: "Sở Khoa học và Công nghệ tỉnh Quảng Ninh"}}
	got, imp := cellText(cat, s, ColAgency)
	if got != "Sở Thông tin và Truyền thông tỉnh Quảng Ninh (nay là Sở Khoa học và Công nghệ tỉnh Quảng Ninh)" || imp != widget.MediumImportance {
		t.Fatalf("cell %q", got)
	}
	s.Successor = nil
	if got, _ := cellText(cat, s, ColAgency); got != s.Agency {
		t.Fatalf("cell %q", got)
	}
}
