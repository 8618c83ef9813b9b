package pades

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func parseOne(t *testing.T, src string) (any, error) {
	t.Helper()
	l := newLexer(strings.NewReader(src), int64(len(src)), 0)
	return l.object(0)
}

func TestLexerObjects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"integer", "42", int64(42)},
		{"negative real", "-3.5", float64(-3.5)},
		{"leading dot", ".5", float64(0.5)},
		{"reference", "12 0 R", pdfRef{Num: 12}},
		{"two integers are not a reference", "[12 0]", pdfArray{int64(12), int64(0)}},
		{"reference in array", "[1 0 R 2 5 R 3]", pdfArray{pdfRef{Num: 1}, pdfRef{Num: 2, Gen: 5}, int64(3)}},
		{"name with escape", "/A#20B", pdfName("A B")},
		{"literal with escapes", `(a\(b\)\n\101\\)`, pdfString{Value: []byte("a(b)\nA\\"), Off: 0, End: 16}},
		{"nested parentheses", "(a(b)c)", pdfString{Value: []byte("a(b)c"), End: 7}},
		{"line continuation", "(ab\\\ncd)", pdfString{Value: []byte("abcd"), End: 8}},
		{"hex with space and odd digit", "<48 65 6>", pdfString{Value: []byte{0x48, 0x65, 0x60}, Hex: true, End: 9}},
		{"hex in one run, either case", "<4865aBcD>", pdfString{Value: []byte{0x48, 0x65, 0xab, 0xcd}, Hex: true, End: 10}},
		{"hex odd without space", "<486>", pdfString{Value: []byte{0x48, 0x60}, Hex: true, End: 5}},
		{"hex longer than the first window", "<" + strings.Repeat("0a", 5000) + ">", pdfString{Value: bytes.Repeat([]byte{0x0a}, 5000), Hex: true, End: 10002}},
		{"empty hex", "<>", pdfString{Hex: true, End: 2}},
		{"dictionary", "<</Type/Sig/N null/V [true false]>>", pdfDict{"Type": pdfName("Sig"), "V": pdfArray{true, false}}},
		{"comment skipped", "% comment\n7", int64(7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOne(t, tt.in)
			if err != nil {
				t.Fatalf("parse %q: %v", tt.in, err)
			}
			if gs, ok := got.(pdfString); ok {
				ws := tt.want.(pdfString)
				if !bytes.Equal(gs.Value, ws.Value) || gs.Hex != ws.Hex || gs.Off != ws.Off || gs.End != ws.End {
					t.Fatalf("got %+v, want %+v", gs, ws)
				}
				return
			}
			if !equalObjects(got, tt.want, nil, nil) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestLexerErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"unterminated string", "(abc"},
		{"unterminated dict", "<</A 1"},
		{"bad hex", "<4G>"},
		{"bad hex after a long run", "<" + strings.Repeat("ab", 3000) + "x>"},
		{"unterminated hex", "<" + strings.Repeat("ab", 3000)},
		{"key not a name", "<<1 2>>"},
		{"stray keyword", "obj"},
		{"deep nesting", strings.Repeat("[", maxDepth+2)},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := parseOne(t, tt.in); err == nil {
				t.Fatalf("parse %q = %#v, want an error", tt.in, v)
			}
		})
	}
}

// TestWriteObjectRoundTrip: what the writer produces, the lexer reads back.
func TestWriteObjectRoundTrip(t *testing.T) {
	values := []any{
		pdfDict{"T": textString("Chữ ký cơ quan"), "Rect": pdfArray{int64(0), 1.5, int64(-2), int64(3)}, "P": pdfRef{Num: 7}, "F": int64(132)},
		pdfString{Value: []byte("a(b)\\c\r\n")},
		pdfName("With Space#"),
		pdfArray{nil, true, false},
	}
	for _, v := range values {
		var b bytes.Buffer
		writeObject(&b, v)
		got, err := parseOne(t, b.String())
		if err != nil {
			t.Fatalf("reparse %q: %v", b.String(), err)
		}
		if !equalObjects(got, v, nil, nil) {
			t.Fatalf("round trip %q: got %#v, want %#v", b.String(), got, v)
		}
	}
	if got := decodeText(textString("Thời gian ký").Value); got != "Thời gian ký" {
		t.Fatalf("text string round trip: %q", got)
	}
}

func TestParsePDFDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"D:20261123091500+07'00'", "2026-11-23T09:15:00+07:00"},
		{"D:20261123021500Z", "2026-11-23T02:15:00Z"},
		{"D:20261123", "2026-11-23T00:00:00Z"},
		{"D:20261123091500-05'30", "2026-11-23T09:15:00-05:30"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parsePDFDate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if s := got.Format("2006-01-02T15:04:05Z07:00"); s != tt.want {
				t.Fatalf("got %s, want %s", s, tt.want)
			}
		})
	}
	if got := pdfDate(mustTime(t, "2026-11-23T09:15:00+07:00")); got != "D:20261123091500+07'00'" {
		t.Fatalf("pdfDate = %s", got)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
