// Package vnsearch folds Vietnamese text for search, so that a clerk who types
// without diacritics still finds what they look for: "cong van" finds
// "Công văn", "quyet dinh" finds "QUYẾT ĐỊNH".
//
// # Folding
//
// [Fold] lower-cases a string and strips every diacritic: the five tone marks
// (huyền, sắc, hỏi, ngã, nặng) and the vowel marks (ă â ê ô ơ ư become a a e
// o o u), and maps đ and Đ to d. It works the same on precomposed (NFC) and
// decomposed (NFD) input and on any mix of the two, so text pasted from
// another program needs no normalisation first. Latin letters of other
// languages lose their accents too (é → e, ñ → n). Other scripts are only
// lower-cased. The look-alikes of Đ that careless keyboards produce (Ð
// U+00D0, Ɖ U+0189) fold to d as well.
//
// # Words and matching
//
// [Tokens] splits folded text into words: runs of letters and digits, so
// "1234/STTTT-CNTT" gives "1234", "stttt" and "cntt". [Match] and [Query]
// find a text when every query word is the start of some word of the text, in
// any order: "qd ubnd" finds "567/QĐ-UBND", "quyet" finds "Quyết định".
// A store that keeps each text's folded form searches it with
// [Query.MatchFolded], which allocates nothing.
package vnsearch

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ranges of the folding tables: Latin-1 Supplement with Latin Extended-A and
// -B, and Latin Extended Additional, where the precomposed Vietnamese letters
// with two marks (ấ, ệ, ữ ...) live.
const (
	lowTableEnd  = 0x0250
	extFirst     = 0x1E00
	extTableSize = 0x0100
)

// The folding tables, foldLow and foldExt (fold_tables.go), give the folded
// ASCII byte of a rune, or 0 when the rune does not fold to a single ASCII
// letter. They are generated from Unicode's decompositions by
// TestFoldTables (go test -run TestFoldTables -update), so that no program
// computes them at start-up.

// isMark reports a combining diacritical mark (U+0300–U+036F), which is
// where every Vietnamese mark lives in decomposed text.
func isMark(r rune) bool { return 0x0300 <= r && r <= 0x036F }

// Fold returns s lower-cased with every diacritic removed and đ mapped to d.
// A string that is already folded (plain lower-case ASCII) is returned as is,
// without allocating; otherwise Fold allocates once.
func Fold(s string) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	// Folded text is never longer than its input except for the rare
	// non-Latin capital whose lower case is longer in UTF-8.
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r < lowTableEnd:
			if f := foldLow[r]; f != 0 {
				b.WriteByte(f)
				continue
			}
		case isMark(r):
			continue
		case extFirst <= r && r < extFirst+extTableSize:
			if f := foldExt[r-extFirst]; f != 0 {
				b.WriteByte(f)
				continue
			}
		}
		if r == utf8.RuneError && size == 1 {
			// Keep invalid bytes out of the folded form.
			b.WriteRune(utf8.RuneError)
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
