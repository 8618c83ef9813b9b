package certs

import (
	"errors"
	"testing"
)

func TestParseAgencyCode(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
		level    int
		parent   string
	}{
		{"province", "000.00.00.H49", true, 1, ""},
		{"government office", "000.00.00.G22", true, 1, ""},
		{"department", "000.00.12.H49", true, 2, "000.00.00.H49"},
		{"level 3", "000.05.12.H49", true, 3, "000.00.12.H49"},
		{"level 4", "A01.05.12.H49", true, 4, "000.05.12.H49"},
		{"too short", "000.00.0.H49", false, 0, ""},
		{"too long", "000.00.000.H49", false, 0, ""},
		{"lower case", "000.00.00.h49", false, 0, ""},
		{"digits in top group", "000.00.00.149", false, 0, ""},
		{"letter in top digits", "000.00.00.HA9", false, 0, ""},
		{"wrong separators", "000-00-00-H49", false, 0, ""},
		{"groups misplaced", "0000.0.00.H49", false, 0, ""},
		{"empty", "", false, 0, ""},
		{"space", "000.00.00 H49", false, 0, ""},
		{"non-ASCII of the right byte length", "000.00.0Đ.H49", false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := ParseAgencyCode(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrBadAgencyCode) {
					t.Fatalf("ParseAgencyCode(%q) = %q, %v; want ErrBadAgencyCode", tt.in, code, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAgencyCode(%q): %v", tt.in, err)
			}
			if got := code.Level(); got != tt.level {
				t.Errorf("Level() = %d, want %d", got, tt.level)
			}
			parent, ok := code.Parent()
			if string(parent) != tt.parent || ok != (tt.parent != "") {
				t.Errorf("Parent() = %q, %v; want %q", parent, ok, tt.parent)
			}
			if code.URI() != "urn:lienthong:agency:"+tt.in {
				t.Errorf("URI() = %q", code.URI())
			}
		})
	}
}

func FuzzParseAgencyCode(f *testing.F) {
	for _, s := range []string{"000.00.00.H49", "A01.05.12.H49", "000.00.0Đ.H49", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, err := ParseAgencyCode(s)
		if err != nil {
			return
		}
		if string(code) != s || len(s) != 13 {
			t.Fatalf("accepted %q as %q", s, code)
		}
		if l := code.Level(); l < 1 || l > 4 {
			t.Fatalf("level %d", l)
		}
		if p, ok := code.Parent(); ok {
			if _, err := ParseAgencyCode(string(p)); err != nil || p.Level() >= code.Level() {
				t.Fatalf("parent %q of %q: %v", p, code, err)
			}
		}
	})
}
