package strictjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// maxDepth bounds how deeply arrays and objects may nest.
const maxDepth = 64

// checkDuplicateKeys walks the first JSON value in data and reports a key
// that appears twice in one object (compared as encoding/json compares
// field names, ignoring case) or nesting deeper than maxDepth. It reads the
// bytes directly, without building tokens: it runs on every envelope and
// receipt. Syntax it does not need to follow (numbers, literals, what comes
// after the value) is left to the decoder that runs next, which refuses
// anything malformed; the walk only refuses what it cannot step over.
func checkDuplicateKeys(data []byte) error {
	w := keyWalker{data: data}
	return w.value(0)
}

type keyWalker struct {
	data []byte
	pos  int
}

var errSyntax = errors.New("invalid JSON syntax")

func (w *keyWalker) skipSpace() {
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return
		}
	}
}

// next returns the next byte after white space, without consuming it; 0
// at the end of the data.
func (w *keyWalker) next() byte {
	w.skipSpace()
	if w.pos == len(w.data) {
		return 0
	}
	return w.data[w.pos]
}

func (w *keyWalker) value(depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	switch w.next() {
	case '{':
		w.pos++
		return w.object(depth)
	case '[':
		w.pos++
		return w.array(depth)
	case '"':
		_, _, err := w.str()
		return err
	case 0, ',', ':', ']', '}':
		return fmt.Errorf("%w at offset %d", errSyntax, w.pos)
	default: // a number or a literal: up to the next delimiter
		for w.pos < len(w.data) {
			switch w.data[w.pos] {
			case ',', ']', '}', ':', ' ', '\t', '\n', '\r', '{', '[', '"':
				return nil
			}
			w.pos++
		}
		return nil
	}
}

func (w *keyWalker) array(depth int) error {
	if w.next() == ']' {
		w.pos++
		return nil
	}
	for {
		if err := w.value(depth + 1); err != nil {
			return err
		}
		switch w.next() {
		case ',':
			w.pos++
		case ']':
			w.pos++
			return nil
		default:
			return fmt.Errorf("%w at offset %d", errSyntax, w.pos)
		}
	}
}

func (w *keyWalker) object(depth int) error {
	if w.next() == '}' {
		w.pos++
		return nil
	}
	var seen keySet
	for {
		if w.next() != '"' {
			return fmt.Errorf("%w at offset %d: want a key", errSyntax, w.pos)
		}
		raw, plain, err := w.str()
		if err != nil {
			return err
		}
		key, err := foldKey(raw, plain)
		if err != nil {
			return err
		}
		if !seen.add(key) {
			return fmt.Errorf("key %q appears twice", unquote(raw))
		}
		if w.next() != ':' {
			return fmt.Errorf("%w at offset %d: want ':'", errSyntax, w.pos)
		}
		w.pos++
		if err := w.value(depth + 1); err != nil {
			return err
		}
		switch w.next() {
		case ',':
			w.pos++
		case '}':
			w.pos++
			return nil
		default:
			return fmt.Errorf("%w at offset %d", errSyntax, w.pos)
		}
	}
}

// str consumes a string at w.pos and returns it as written, quotes
// included, and whether it is plain ASCII without escapes.
func (w *keyWalker) str() (raw []byte, plain bool, err error) {
	start := w.pos
	plain = true
	for i := start + 1; i < len(w.data); i++ {
		switch c := w.data[i]; {
		case c == '"':
			w.pos = i + 1
			return w.data[start:w.pos], plain, nil
		case c == '\\':
			plain = false
			i++ // the escaped byte cannot end the string
		case c >= 0x80 || c < 0x20:
			plain = false
		}
	}
	return nil, false, fmt.Errorf("%w: unterminated string at offset %d", errSyntax, start)
}

// foldKey returns the form of a quoted key under which encoding/json
// treats two keys as the same field.
func foldKey(raw []byte, plain bool) (string, error) {
	if plain { // the common case: fold ASCII in place
		b := make([]byte, len(raw)-2)
		for i, c := range raw[1 : len(raw)-1] {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i] = c
		}
		return string(b), nil
	}
	var key string
	if err := json.Unmarshal(raw, &key); err != nil {
		return "", err
	}
	return strings.ToLower(strings.ToUpper(key)), nil
}

// unquote returns a key for an error message.
func unquote(raw []byte) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return string(raw)
	}
	return s
}

// keySet holds an object's folded keys: a slice for the usual handful,
// a map once there are many.
type keySet struct {
	few  []string
	many map[string]struct{}
}

// add records key and reports whether it was new.
func (s *keySet) add(key string) bool {
	if s.many != nil {
		if _, ok := s.many[key]; ok {
			return false
		}
		s.many[key] = struct{}{}
		return true
	}
	for _, k := range s.few {
		if k == key {
			return false
		}
	}
	if len(s.few) < 16 {
		s.few = append(s.few, key)
		return true
	}
	s.many = make(map[string]struct{}, 2*len(s.few))
	for _, k := range s.few {
		s.many[k] = struct{}{}
	}
	s.many[key] = struct{}{}
	return true
}
