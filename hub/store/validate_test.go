package store

import (
	"errors"
	"lienthong/shared/document"
	"strings"
	"testing"
	"time"
)

func TestValidMessageID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"Hex32", "0123456789abcdef0123456789abcdef", true},
		{"Hex64", strings.Repeat("ab", 32), true},
		{"UUID", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", true},
		{"Hex31", strings.Repeat("a", 31), false},
		{"Hex129", strings.Repeat("a", 129), false},
		{"Upper", "0123456789ABCDEF0123456789abcdef", false},
		{"UpperUUID", "3F2504E0-4F89-41D3-9A0C-0305E82C3301", false},
		{"UUIDMisplacedDash", "3f2504e04-f89-41d3-9a0c-0305e82c3301", false},
		{"NUL", "0123456789abcdef0123456789abcde\x00", false},
		{"Empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidMessageID(tc.id)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidMessageID(%q) = %v, want ok=%v", tc.id, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
		})
	}
}

// FuzzValidMessageID checks that an accepted id is safe as part of a
// store key: no separator byte, bounded, printable.
func FuzzValidMessageID(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef")
	f.Add("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
	f.Fuzz(func(t *testing.T, id string) {
		if ValidMessageID(id) != nil {
			return
		}
		if len(id) < 32 || len(id) > 128 {
			t.Fatalf("accepted %d-byte id", len(id))
		}
		for _, c := range []byte(id) {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || c == '-') {
				t.Fatalf("accepted byte %q in %q", c, id)
			}
		}
	})
}

func TestStatusValidate(t *testing.T) {
	base := func() StatusUpdate {
		return StatusUpdate{MessageID: strings.Repeat("a", 32), From: "000.00.00.G22", Code: document.StatusArrived,
			At: t0(), Signed: []byte("s")}
	}
	tests := []struct {
		name   string
		modify func(*StatusUpdate)
		ok     bool
	}{
		{"Arrived", func(*StatusUpdate) {}, true},
		{"AllCodes", func(s *StatusUpdate) { s.Code = document.StatusRejected }, true},
		{"RefusedWithReason", func(s *StatusUpdate) { s.Code, s.Reason = document.StatusRefused, "nhầm" }, true},
		{"RefusedNoReason", func(s *StatusUpdate) { s.Code = document.StatusRefused }, false},
		{"Code00", func(s *StatusUpdate) { s.Code = "00" }, false},
		{"Code1", func(s *StatusUpdate) { s.Code = "1" }, false},
		{"BadFrom", func(s *StatusUpdate) { s.From = "x" }, false},
		{"NoTime", func(s *StatusUpdate) { s.At = zeroTime }, false},
		{"Document", func(s *StatusUpdate) { s.Document = "000.00.00.G22,2026/03/02,12/VPCP-TTĐT" }, true},
		{"DocumentTooLong", func(s *StatusUpdate) { s.Document = strings.Repeat("x", 257) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.modify(&s)
			if err := s.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

var zeroTime time.Time

func t0() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }

// TestAgencyNameShowsWhatItSays: every clerk shows the directory's names,
// so a name may hold no character that hides or reorders text.
func TestAgencyNameShowsWhatItSays(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"Ủy ban nhân dân tỉnh Quảng Ninh", true},
		{"Sở Khoa học và Công nghệ (tỉnh Nghệ An)", true},
		{"Ủy ban nhân dân tỉnh \u202eniN gnauQ", false}, // right-to-left override
		{"Bộ Nội vụ\u200b", false},                      // zero-width space
		{"Bộ Nội vụ\nBộ Tài chính", false},
		{"Bộ Nội vụ\x00", false},
		{"\xff\xfe", false},
		{"", false},
	} {
		a := Agency{Code: "000.00.00.H49", Name: tc.name, Level: 1, Active: true}
		if err := a.Validate(); (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%q: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
