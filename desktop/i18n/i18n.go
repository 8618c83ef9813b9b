// Package i18n is the desktop app's message catalog: every string the clerk
// reads, in Vietnamese (the default) and English. It has no Fyne dependency,
// so the catalog is tested on its own and can serve other front ends.
//
// Keys are constants of type Key, so a mistyped key does not compile. The
// Vietnamese text is written in Unicode NFC. Messages with arguments use
// fmt verbs; T fills them in.
//
// The language is Vietnamese unless the clerk chose English in Cài đặt, or,
// before any choice, the LANG (or LC_ALL, LC_MESSAGES) environment variable
// starts with "en": see FromLocale.
package i18n

import (
	"fmt"
	"slices"
	"strings"
)

// Lang is a language of the catalog.
type Lang string

// The languages.
const (
	Vietnamese Lang = "vi"
	English    Lang = "en"
)

// Langs returns the languages in the order the settings screen lists them.
func Langs() []Lang { return []Lang{Vietnamese, English} }

// Valid reports a language of the catalog.
func (l Lang) Valid() bool { return l == Vietnamese || l == English }

// Name returns the language's name in itself ("Tiếng Việt", "English").
func (l Lang) Name() string {
	if l == English {
		return "English"
	}
	return "Tiếng Việt"
}

// ParseLang reads "vi" or "en" (any case, with or without a region or
// encoding: "en_US.UTF-8"); anything else gives Vietnamese and false.
func ParseLang(s string) (Lang, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "en"):
		return English, true
	case strings.HasPrefix(s, "vi"):
		return Vietnamese, true
	}
	return Vietnamese, false
}

// FromLocale chooses the language when the clerk has not chosen one:
// English when the first non-empty of LC_ALL, LC_MESSAGES and LANG starts
// with "en", Vietnamese otherwise. getenv is os.Getenv in the app.
func FromLocale(getenv func(string) string) Lang {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "en") {
				return English
			}
			return Vietnamese
		}
	}
	return Vietnamese
}

// Catalog gives the messages of one language. The zero value is not
// usable; call New.
type Catalog struct {
	lang Lang
	msgs map[Key]string
}

// New returns the catalog of lang; an unknown language gives Vietnamese.
func New(lang Lang) *Catalog {
	if lang == English {
		return &Catalog{lang: English, msgs: en}
	}
	return &Catalog{lang: Vietnamese, msgs: vi}
}

// Lang returns the catalog's language.
func (c *Catalog) Lang() Lang { return c.lang }

// T returns the message of key, formatted with args when there are any.
// A key missing from the catalog (which the tests forbid) returns the key
// itself, so the screen shows something searchable rather than nothing.
func (c *Catalog) T(key Key, args ...any) string {
	m, ok := c.msgs[key]
	if !ok {
		m = string(key)
	}
	if len(args) == 0 {
		return m
	}
	for i, a := range args {
		if n, ok := a.(Message); ok {
			args = slices.Clone(args)
			args[i] = c.T(n.Key, n.Args...)
		}
	}
	return fmt.Sprintf(m, args...)
}

// Message is a message not yet in a language; as an argument of T it is
// given in the catalog's.
type Message struct {
	Key  Key
	Args []any
}

// Keys returns every key of the catalog, for tests and tools.
func Keys() []Key {
	out := make([]Key, 0, len(vi))
	for k := range vi {
		out = append(out, k)
	}
	return out
}

// Has reports whether lang's catalog has key.
func Has(lang Lang, key Key) bool {
	m := vi
	if lang == English {
		m = en
	}
	_, ok := m[key]
	return ok
}
