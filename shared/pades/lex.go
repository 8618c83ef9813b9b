package pades

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
)

// Limits that keep hostile input from costing unbounded time or memory.
const (
	maxDepth       = 64       // nesting of arrays and dictionaries
	maxObjectBytes = 16 << 20 // one object's text (streams' data excluded)
	maxElements    = 1 << 18  // entries in one array or dictionary
)

// lexer reads PDF tokens from an io.ReaderAt starting at an offset, pulling
// bytes into a window as it goes (Bytes: the window is the rest of the
// document, in place). It never reads past size.
type lexer struct {
	src  io.ReaderAt
	size int64
	buf  []byte
	base int64 // file offset of buf[0]
	pos  int
	// budget, when set, counts the values parsed; nesting too deep and
	// containers too long are over budget rather than damage.
	budget *budget
}

func newLexer(src io.ReaderAt, size, off int64) *lexer {
	l := &lexer{src: src, size: size, base: off}
	if b, ok := src.(Bytes); ok && size == int64(len(b)) && off >= 0 && off <= size {
		l.buf = b[off:size:size] // all there is: fill has nothing to add
	}
	return l
}

func (l *lexer) offset() int64 { return l.base + int64(l.pos) }

// fill extends the window; it reports false at the end of the input or when
// the window would exceed maxObjectBytes.
func (l *lexer) fill() bool {
	end := l.base + int64(len(l.buf))
	if end >= l.size || len(l.buf) >= maxObjectBytes {
		return false
	}
	n := int64(len(l.buf))
	if n < 1024 {
		n = 1024 // most objects are small: a field, a page, a trailer
	}
	if end+n > l.size {
		n = l.size - end
	}
	old := len(l.buf)
	l.buf = append(l.buf, make([]byte, n)...)
	k, err := l.src.ReadAt(l.buf[old:], end)
	l.buf = l.buf[:old+k]
	if k == 0 && err != nil {
		return false
	}
	return true
}

func (l *lexer) peek() (byte, bool) {
	for l.pos >= len(l.buf) {
		if !l.fill() {
			return 0, false
		}
	}
	return l.buf[l.pos], true
}

func (l *lexer) next() (byte, bool) {
	c, ok := l.peek()
	if ok {
		l.pos++
	}
	return c, ok
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func (l *lexer) skipSpace() {
	for {
		c, ok := l.peek()
		if !ok {
			return
		}
		if isSpace(c) {
			l.pos++
			continue
		}
		if c == '%' {
			for {
				c, ok := l.peek()
				if !ok || c == '\n' || c == '\r' {
					break
				}
				l.pos++
			}
			continue
		}
		return
	}
}

// keyword reads a run of regular characters (a keyword or number).
func (l *lexer) keyword() string {
	start := l.pos
	for {
		c, ok := l.peek()
		if !ok || isSpace(c) || isDelim(c) {
			break
		}
		l.pos++
		if l.pos-start > 256 {
			break
		}
	}
	return string(l.buf[start:l.pos])
}

type syntaxError struct {
	off int64
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("offset %d: %s", e.off, e.msg) }

func (l *lexer) errorf(format string, args ...any) error {
	return &syntaxError{off: l.offset(), msg: fmt.Sprintf(format, args...)}
}

// over reports a limit met while parsing, counted in the budget if any.
func (l *lexer) over(what string, limit int64) error {
	if l.budget == nil {
		return &BudgetError{What: what, Limit: limit}
	}
	return l.budget.over(what, limit)
}

// object parses one direct object (or reference).
func (l *lexer) object(depth int) (any, error) {
	if depth > maxDepth {
		return nil, l.over("levels of nested arrays and dictionaries", maxDepth)
	}
	if l.budget != nil {
		if err := l.budget.chargeValue(); err != nil {
			return nil, err
		}
	}
	l.skipSpace()
	start := l.offset()
	c, ok := l.peek()
	if !ok {
		return nil, l.errorf("unexpected end of data")
	}
	switch {
	case c == '/':
		l.pos++
		return l.name()
	case c == '(':
		l.pos++
		return l.literal(start)
	case c == '<':
		l.pos++
		c2, ok := l.peek()
		if ok && c2 == '<' {
			l.pos++
			return l.dict(depth)
		}
		return l.hexString(start)
	case c == '[':
		l.pos++
		var a pdfArray
		for {
			l.skipSpace()
			c, ok := l.peek()
			if !ok {
				return nil, l.errorf("unterminated array")
			}
			if c == ']' {
				l.pos++
				return a, nil
			}
			if len(a) >= maxElements {
				return nil, l.over("entries in one array", maxElements)
			}
			v, err := l.object(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		return l.number()
	}
	kw := l.keyword()
	switch kw {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	case "":
		l.pos++
		return nil, l.errorf("unexpected character %q", c)
	}
	return nil, l.errorf("unexpected keyword %q", kw)
}

func (l *lexer) name() (pdfName, error) {
	var b []byte
	for {
		c, ok := l.peek()
		if !ok || isSpace(c) || isDelim(c) {
			return pdfName(b), nil
		}
		l.pos++
		if c == '#' {
			h1, ok1 := l.next()
			h2, ok2 := l.next()
			v, err := strconv.ParseUint(string([]byte{h1, h2}), 16, 8)
			if !ok1 || !ok2 || err != nil {
				return "", l.errorf("bad #xx escape in name")
			}
			c = byte(v)
		}
		b = append(b, c)
		if len(b) > 127*3 {
			return "", l.errorf("name too long")
		}
	}
}

func (l *lexer) literal(start int64) (pdfString, error) {
	var b []byte
	depth := 1
	for {
		c, ok := l.next()
		if !ok {
			return pdfString{}, l.errorf("unterminated string")
		}
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return pdfString{Value: b, Off: start, End: l.offset()}, nil
			}
		case '\\':
			e, ok := l.next()
			if !ok {
				return pdfString{}, l.errorf("unterminated string")
			}
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if n, ok := l.peek(); ok && n == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for i := 0; i < 2; i++ {
						d, ok := l.peek()
						if !ok || d < '0' || d > '7' {
							break
						}
						l.pos++
						v = v*8 + int(d-'0')
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		b = append(b, c)
	}
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (l *lexer) hexString(start int64) (pdfString, error) {
	// Fast path: a signature's /Contents is thousands of hex digits with
	// no white space; decode the span at once when the window holds it.
	for {
		if end := bytes.IndexByte(l.buf[l.pos:], '>'); end >= 0 {
			span := l.buf[l.pos : l.pos+end]
			if len(span) > 0 && len(span)%2 == 0 {
				b := make([]byte, len(span)/2)
				if _, err := hex.Decode(b, span); err == nil {
					l.pos += end + 1
					return pdfString{Value: b, Hex: true, Off: start, End: l.offset()}, nil
				}
			}
			break // white space, an odd count or a bad digit: the slow path says which
		}
		if !l.fill() {
			break
		}
	}
	var b []byte
	var hi byte
	half := false
	for {
		c, ok := l.next()
		if !ok {
			return pdfString{}, l.errorf("unterminated hex string")
		}
		if c == '>' {
			if half {
				b = append(b, hi<<4)
			}
			return pdfString{Value: b, Hex: true, Off: start, End: l.offset()}, nil
		}
		if isSpace(c) {
			continue
		}
		v, ok := unhex(c)
		if !ok {
			return pdfString{}, l.errorf("bad character %q in hex string", c)
		}
		if half {
			b = append(b, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
}

func (l *lexer) dict(depth int) (pdfDict, error) {
	d := pdfDict{}
	for {
		l.skipSpace()
		c, ok := l.peek()
		if !ok {
			return nil, l.errorf("unterminated dictionary")
		}
		if c == '>' {
			l.pos++
			if c, ok := l.next(); !ok || c != '>' {
				return nil, l.errorf("bad dictionary end")
			}
			return d, nil
		}
		if c != '/' {
			return nil, l.errorf("dictionary key is not a name")
		}
		l.pos++
		k, err := l.name()
		if err != nil {
			return nil, err
		}
		v, err := l.object(depth + 1)
		if err != nil {
			return nil, err
		}
		if len(d) >= maxElements {
			return nil, l.over("entries in one dictionary", maxElements)
		}
		if v != nil { // a null value is the same as an absent key
			d[k] = v
		}
	}
}

// number parses an integer or real; an integer followed by "gen R" becomes
// a pdfRef.
func (l *lexer) number() (any, error) {
	kw := l.keyword()
	if i, err := strconv.ParseInt(kw, 10, 64); err == nil {
		save := l.pos
		if i >= 0 && i < 1<<31 {
			l.skipSpace()
			if c, ok := l.peek(); ok && c >= '0' && c <= '9' {
				g := l.keyword()
				if gen, err := strconv.ParseInt(g, 10, 32); err == nil && gen >= 0 && gen <= 65535 {
					l.skipSpace()
					if c, ok := l.peek(); ok && c == 'R' {
						l.pos++
						if c, ok := l.peek(); !ok || isSpace(c) || isDelim(c) {
							return pdfRef{Num: int(i), Gen: int(gen)}, nil
						}
					}
				}
			}
		}
		l.pos = save
		return i, nil
	}
	f, err := strconv.ParseFloat(kw, 64)
	if err != nil {
		// PDF producers write things like "--1" or "1.2.3" rarely; be strict.
		return nil, l.errorf("bad number %q", kw)
	}
	return f, nil
}

// expectKeyword skips space and requires kw.
func (l *lexer) expectKeyword(kw string) error {
	l.skipSpace()
	got := l.keyword()
	if got != kw {
		return l.errorf("expected %q, found %q", kw, got)
	}
	return nil
}

func (l *lexer) integer() (int64, error) {
	l.skipSpace()
	kw := l.keyword()
	i, err := strconv.ParseInt(kw, 10, 64)
	if err != nil {
		return 0, l.errorf("expected an integer, found %q", kw)
	}
	return i, nil
}

// hasPrefixAt reports whether the input at the lexer's position starts with p.
func (l *lexer) hasPrefix(p string) bool {
	for len(l.buf)-l.pos < len(p) {
		if !l.fill() {
			return false
		}
	}
	return bytes.HasPrefix(l.buf[l.pos:], []byte(p))
}
