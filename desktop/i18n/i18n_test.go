package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

func TestCatalogComplete(t *testing.T) {
	if len(vi) != len(en) {
		t.Errorf("vi has %d messages, en %d", len(vi), len(en))
	}
	for k, v := range vi {
		t.Run(string(k), func(t *testing.T) {
			e, ok := en[k]
			if !ok {
				t.Fatalf("no English message")
			}
			for lang, m := range map[string]string{"vi": v, "en": e} {
				if strings.TrimSpace(m) == "" {
					t.Errorf("%s: empty message", lang)
				}
				if !utf8.ValidString(m) || !norm.NFC.IsNormalString(m) {
					t.Errorf("%s: %q is not NFC UTF-8", lang, m)
				}
			}
			// Both languages take the same arguments in the same order.
			if fmt.Sprint(verb.FindAllString(v, -1)) != fmt.Sprint(verb.FindAllString(e, -1)) {
				t.Errorf("verbs differ: vi %q, en %q", v, e)
			}
		})
	}
}

func TestT(t *testing.T) {
	tests := []struct {
		name string
		lang Lang
		key  Key
		args []any
		want string
	}{
		{"vietnamese tab", Vietnamese, TabIncoming, nil, "Văn bản đến"},
		{"english tab", English, TabIncoming, nil, "Incoming"},
		{"vietnamese with argument", Vietnamese, Pending, []any{3}, "Chờ gửi: 3"},
		{"english with argument", English, ListCount, []any{100000}, "100000 documents"},
		{"unknown language is vietnamese", Lang("fr"), TabSettings, nil, "Cài đặt"},
		{"missing key shows the key", Vietnamese, Key("NoSuchKey"), nil, "NoSuchKey"},
		{"urgency flash", Vietnamese, UrgencyFlash, nil, "Hỏa tốc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := New(tc.lang).T(tc.key, tc.args...); got != tc.want {
				t.Errorf("T = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFromLocale(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want Lang
	}{
		{"nothing set", nil, Vietnamese},
		{"LANG english", map[string]string{"LANG": "en_US.UTF-8"}, English},
		{"LANG vietnamese", map[string]string{"LANG": "vi_VN.UTF-8"}, Vietnamese},
		{"LANG C", map[string]string{"LANG": "C.UTF-8"}, Vietnamese},
		{"LC_ALL wins over LANG", map[string]string{"LC_ALL": "vi_VN", "LANG": "en_GB"}, Vietnamese},
		{"LC_MESSAGES english", map[string]string{"LC_MESSAGES": "en", "LANG": "vi_VN"}, English},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FromLocale(func(k string) string { return tc.env[k] }); got != tc.want {
				t.Errorf("FromLocale = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseLang(t *testing.T) {
	tests := []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"vi", Vietnamese, true},
		{"EN", English, true},
		{"en_US.UTF-8", English, true},
		{"", Vietnamese, false},
		{"de", Vietnamese, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseLang(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseLang(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParseLang feeds the environment's locale strings and the stored
// preference, which come from outside, to the parsers.
func FuzzParseLang(f *testing.F) {
	for _, s := range []string{"vi", "en_US.UTF-8", "C", "", "vi_VN@tcvn", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, ok := ParseLang(s)
		if !l.Valid() {
			t.Fatalf("ParseLang(%q) = %q", s, l)
		}
		if ok && New(l).Lang() != l {
			t.Fatalf("catalog of %q", l)
		}
		if g := FromLocale(func(string) string { return s }); !g.Valid() {
			t.Fatalf("FromLocale(%q) = %q", s, g)
		}
	})
}

// TestEveryKeyHasBothTexts reads the Key constants declared in this
// package's source: a key declared but missing from a catalog would show
// its own name on screen.
func TestEveryKeyHasBothTexts(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Key" {
					continue
				}
				for i, name := range vs.Names {
					n++
					lit := vs.Values[i].(*ast.BasicLit)
					if lit.Value != `"`+name.Name+`"` {
						t.Errorf("%s = %s: a key's value is its name", name.Name, lit.Value)
					}
					for _, l := range Langs() {
						if !Has(l, Key(name.Name)) {
							t.Errorf("%s has no %s text", name.Name, l)
						}
					}
				}
			}
		}
	}
	if n < 100 || n != len(Keys()) {
		t.Errorf("%d keys declared, %d in the catalog", n, len(Keys()))
	}
}
