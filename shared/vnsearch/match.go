package vnsearch

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokens folds s and splits it into words: maximal runs of letters and
// digits, in order of appearance, duplicates kept. Everything else (spaces,
// punctuation, the "/" and "-" of a number and notation) separates words.
func Tokens(s string) []string {
	f := Fold(s)
	var out []string
	start := -1
	for i, r := range f {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, f[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, f[start:])
	}
	return out
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return ('a' <= r && r <= 'z') || ('0' <= r && r <= '9')
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// Query is a folded search query, prepared once and matched against many
// texts.
type Query struct {
	words []string
}

// NewQuery folds and splits a query typed by a user.
func NewQuery(q string) Query { return Query{words: Tokens(q)} }

// Empty reports a query with no words, which matches every text.
func (q Query) Empty() bool { return len(q.words) == 0 }

// Words returns the query's folded words.
func (q Query) Words() []string { return append([]string(nil), q.words...) }

// Match reports whether every word of the query starts some word of text,
// in any order, ignoring case and diacritics.
func (q Query) Match(text string) bool {
	if len(q.words) == 0 {
		return true
	}
	return q.MatchFolded(Fold(text))
}

// MatchFolded is Match against a text already passed through [Fold]. A
// store that keeps the folded form of each subject searches it without
// allocating.
func (q Query) MatchFolded(folded string) bool {
	for _, w := range q.words {
		if !hasWordPrefix(folded, w) {
			return false
		}
	}
	return true
}

// hasWordPrefix reports whether w occurs in text at the start of a word.
// w is made of word runes only, so such an occurrence is a prefix of one of
// text's tokens.
func hasWordPrefix(text, w string) bool {
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], w)
		if j < 0 {
			return false
		}
		j += i
		if j == 0 {
			return true
		}
		if prev, _ := utf8.DecodeLastRuneInString(text[:j]); !isWordRune(prev) {
			return true
		}
		// UTF-8 is self-synchronising: a match of w never starts inside
		// a rune, so stepping one byte is safe.
		i = j + 1
	}
	return false
}

// MatchTokens is Match against a text already split by [Tokens], for
// callers that index documents once and search them many times.
func (q Query) MatchTokens(tokens []string) bool {
	for _, w := range q.words {
		found := false
		for _, t := range tokens {
			if strings.HasPrefix(t, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Match reports whether text matches query as [Query.Match] does: every
// query word starts some word of the text. Prepare a
// [Query] with [NewQuery] to match one query against many texts.
func Match(query, text string) bool { return NewQuery(query).Match(text) }
