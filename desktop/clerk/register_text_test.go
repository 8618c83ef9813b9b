package clerk

import (
	"slices"
	"strings"
	"testing"
)

// TestRegisterTextIsTheFormOfND30 pins the printed registers to ND30
// Appendix IV's Vietnamese headings, which now come from desktop/i18n: a
// register prints in Vietnamese whatever language the clerk's screens use.
func TestRegisterTextIsTheFormOfND30(t *testing.T) {
	for _, tt := range []struct {
		book        Book
		title       string
		first, last string
		columns     int
	}{
		{BookOutgoing, "SỔ ĐĂNG KÝ VĂN BẢN ĐI — NĂM 2026", "Số, ký hiệu văn bản", "Ghi chú", 10},
		{BookIncoming, "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN — NĂM 2026", "Ngày đến", "Ghi chú", 10},
		{BookFollowUp, "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN — NĂM 2026", "Số đến", "Ghi chú", 7},
	} {
		t.Run(tt.book.String(), func(t *testing.T) {
			if got := tt.book.Title(2026); got != tt.title {
				t.Errorf("title %q, want %q", got, tt.title)
			}
			cols := tt.book.Columns()
			if len(cols) != tt.columns || cols[0] != tt.first || cols[len(cols)-1] != tt.last {
				t.Errorf("columns %q", cols)
			}
			if len(cols) != len(tt.book.widths()) {
				t.Errorf("%d columns but %d widths", len(cols), len(tt.book.widths()))
			}
			// A key missing from the catalog prints as the key itself.
			if slices.ContainsFunc(cols, func(c string) bool { return c == "" || strings.HasPrefix(c, "Reg") }) {
				t.Errorf("a column heading is missing from the catalog: %q", cols)
			}
		})
	}
	if got := registerText.T("RegNoteRecalled", "sai sót"); got != "Thu hồi: sai sót" {
		t.Errorf("recall note %q", got)
	}
}
