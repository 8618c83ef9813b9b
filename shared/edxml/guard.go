package edxml

import "io"

// guard watches the raw bytes before encoding/xml sees them and stops a
// tag with too many attributes, an attribute or a tag with too many bytes, which the decoder would
// otherwise hold in memory whole before [parser] could count them.
type guard struct {
	r        io.Reader
	maxAttrs int
	maxTag   int
	maxValue int
	valLen   int
	state    int
	quote    byte
	attrs    int
	tagLen   int
	tail     [2]byte // the last two bytes, to find the end of a comment, CDATA or PI
	err      error
}

const (
	gText    = iota
	gOpen    // just after '<'
	gBang    // just after "<!"
	gTag     // inside a start or end tag
	gQuote   // inside an attribute value
	gComment // inside <!-- -->
	gCDATA   // inside <![CDATA[ ]]>
	gPI      // inside <? ?>
	gDecl    // inside another <! declaration, refused by the parser
)

func (g *guard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	for i := 0; i < n; i++ {
		if e := g.step(p[i]); e != nil {
			g.err = e
			return i, e
		}
	}
	return n, err
}

func (g *guard) step(c byte) error {
	prev := g.tail
	g.tail = [2]byte{g.tail[1], c}
	switch g.state {
	case gText:
		if c == '<' {
			g.state, g.attrs, g.tagLen = gOpen, 0, 1
		}
		return nil
	case gOpen:
		switch c {
		case '!':
			g.state = gBang
			return nil
		case '?':
			g.state = gPI
			return nil
		}
		g.state = gTag
	case gBang:
		switch c {
		case '-':
			g.state = gComment
		case '[':
			g.state = gCDATA
		default:
			g.state = gDecl
		}
		return nil
	case gComment:
		if c == '>' && prev == [2]byte{'-', '-'} {
			g.state = gText
		}
		return nil
	case gCDATA:
		if c == '>' && prev == [2]byte{']', ']'} {
			g.state = gText
		}
		return nil
	case gPI:
		if c == '>' && prev[1] == '?' {
			g.state = gText
		}
		return nil
	case gDecl:
		if c == '>' {
			g.state = gText
		}
		return nil
	}
	g.tagLen++
	if g.tagLen > g.maxTag {
		return errAt(ErrTooLarge, "", "a tag over %d bytes", g.maxTag)
	}
	switch g.state {
	case gTag:
		switch c {
		case '"', '\'':
			g.state, g.quote, g.valLen = gQuote, c, 0
		case '=':
			g.attrs++
			if g.attrs > g.maxAttrs {
				return errAt(ErrTooLarge, "", "an element with more than %d attributes", g.maxAttrs)
			}
		case '>':
			g.state = gText
		}
	case gQuote:
		if c == g.quote {
			g.state = gTag
		} else if g.valLen++; g.valLen > g.maxValue {
			return errAt(ErrTooLarge, "", "an attribute over %d bytes", g.maxValue)
		}
	}
	return nil
}
