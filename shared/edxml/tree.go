package edxml

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// The namespaces edXML packets use.
const (
	// Namespace is QCVN 102:2016's, the one this package writes.
	Namespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
	// LegacyNamespace is the older e-doc.vn form's, still read.
	LegacyNamespace = "http://www.e-doc.vn/Schema/"
	soapNamespace   = "http://schemas.xmlsoap.org/soap/envelope/"
	dsigNamespace   = "http://www.w3.org/2000/09/xmldsig#"
)

// node is one element (or, with local "", one run of text) of the bounded
// tree that read builds; attachment content never enters it.
type node struct {
	space, local string
	attrs        []xml.Attr // namespace declarations left out
	kids         []*node
	text         string
	parent       *node
	used         bool  // mapped to a field, or reported
	start, end   int64 // byte offsets of the element in the input
	att          *b64sink
}

func (n *node) isText() bool { return n.local == "" }

// elems returns the element children.
func (n *node) elems() []*node {
	var out []*node
	for _, k := range n.kids {
		if !k.isText() {
			out = append(out, k)
		}
	}
	return out
}

// value returns the element's own text.
func (n *node) value() string {
	var b strings.Builder
	for _, k := range n.kids {
		if k.isText() {
			b.WriteString(k.text)
		}
	}
	return b.String()
}

// countingReader stops at a limit and says so.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
	over  bool
}

var errOverLimit = errors.New("packet over its size limit")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n > c.limit {
		c.over = true
		return 0, errOverLimit
	}
	if rem := c.limit + 1 - c.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	k, err := c.r.Read(p)
	c.n += int64(k)
	if c.n > c.limit {
		c.over = true
		return k, errOverLimit
	}
	return k, err
}

// parser builds the tree and streams attachment content to its sinks.
type parser struct {
	lim      Limits
	sink     func(i int) (io.Writer, error)
	warn     func(path string, kind WarningKind, detail string)
	elements int
	atts     []*b64sink
	bom      int64
}

// isAttachmentData reports an element whose text is an attachment's
// base64 content: ContentTransferEncoded (some producers write
// ContentTransfered) inside AttachmentEncoded › Attachment. Anywhere else
// such text is ordinary text, under MaxTextSize.
func isAttachmentData(local string, parent *node) bool {
	return (local == "ContentTransferEncoded" || local == "ContentTransfered") &&
		parent != nil && parent.local == "Attachment" && parent.parent != nil && parent.parent.local == "AttachmentEncoded"
}

func (p *parser) parse(r io.Reader) (*node, int64, error) {
	cr := &countingReader{r: r, limit: p.lim.MaxPacketSize}
	br := bufio.NewReader(cr)
	if head, _ := br.Peek(3); bytes.Equal(head, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
		p.bom = 3
		p.warn("", WarnBOM, "UTF-8 byte order mark skipped")
	} else if len(head) >= 2 && (head[0] == 0xFE && head[1] == 0xFF || head[0] == 0xFF && head[1] == 0xFE) {
		return nil, 0, errAt(ErrMalformed, "", "UTF-16 is not accepted; edXML is UTF-8")
	}
	// A tag holds its name, its attributes (each within MaxTextSize) and
	// namespace declarations: allow for all of them, and no more.
	maxTag := p.lim.MaxAttributes*(p.lim.MaxTextSize+256) + 4096
	d := xml.NewDecoder(&guard{r: br, maxAttrs: p.lim.MaxAttributes, maxTag: maxTag, maxValue: p.lim.MaxTextSize})
	d.Strict = true
	var root, cur *node
	depth := 0
	for {
		off := d.InputOffset() + p.bom
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if cr.over {
				return nil, cr.n, errAt(ErrTooLarge, "", "more than %d bytes", p.lim.MaxPacketSize)
			}
			var ae *Error
			if errors.As(err, &ae) {
				return nil, cr.n, ae
			}
			return nil, cr.n, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			p.elements++
			if depth > p.lim.MaxDepth {
				return nil, cr.n, errAt(ErrTooLarge, pathOf(cur), "nesting deeper than %d", p.lim.MaxDepth)
			}
			if p.elements > p.lim.MaxElements {
				return nil, cr.n, errAt(ErrTooLarge, pathOf(cur), "more than %d elements", p.lim.MaxElements)
			}
			if len(t.Attr) > p.lim.MaxAttributes {
				return nil, cr.n, errAt(ErrTooLarge, pathOf(cur), "an element with more than %d attributes", p.lim.MaxAttributes)
			}
			n := &node{space: t.Name.Space, local: t.Name.Local, parent: cur, start: off}
			for _, a := range t.Attr {
				if len(a.Value) > p.lim.MaxTextSize {
					return nil, cr.n, errAt(ErrTooLarge, pathOf(cur), "an attribute over %d bytes", p.lim.MaxTextSize)
				}
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					continue
				}
				n.attrs = append(n.attrs, a)
			}
			if cur == nil {
				if root != nil {
					return nil, cr.n, errAt(ErrMalformed, "", "more than one root element")
				}
				root = n
			} else {
				if cur.att != nil {
					return nil, cr.n, errAt(ErrAttachment, pathOf(cur), "an element inside attachment content")
				}
				cur.kids = append(cur.kids, n)
			}
			if isAttachmentData(n.local, cur) {
				if err := p.openAttachment(n); err != nil {
					return nil, cr.n, err
				}
			}
			cur = n
		case xml.EndElement:
			depth--
			cur.end = d.InputOffset() + p.bom
			if cur.att != nil {
				if err := cur.att.finish(); err != nil {
					return nil, cr.n, errAt(ErrAttachment, pathOf(cur), "%v", err)
				}
			}
			cur = cur.parent
		case xml.CharData:
			if cur == nil {
				continue // whitespace around the root; the decoder refuses anything else
			}
			if cur.att != nil {
				if err := cur.att.write(t); err != nil {
					return nil, cr.n, errAt(ErrAttachment, pathOf(cur), "%v", err)
				}
				continue
			}
			if len(bytes.TrimSpace(t)) == 0 && len(cur.kids) > 0 && !cur.kids[len(cur.kids)-1].isText() {
				continue // indentation between elements
			}
			if len(cur.value())+len(t) > p.lim.MaxTextSize {
				return nil, cr.n, errAt(ErrTooLarge, pathOf(cur), "text over %d bytes", p.lim.MaxTextSize)
			}
			if k := len(cur.kids); k > 0 && cur.kids[k-1].isText() {
				cur.kids[k-1].text += string(t)
			} else {
				cur.kids = append(cur.kids, &node{text: string(t), parent: cur})
			}
		case xml.Directive:
			return nil, cr.n, errAt(ErrMalformed, pathOf(cur), "DOCTYPE and other declarations are not accepted")
		}
	}
	if root == nil {
		return nil, cr.n, errAt(ErrMalformed, "", "no root element")
	}
	// Whitespace-only text next to elements is layout, not content.
	var strip func(n *node)
	strip = func(n *node) {
		if len(n.elems()) > 0 {
			kept := n.kids[:0]
			for _, k := range n.kids {
				if !k.isText() || strings.TrimSpace(k.text) != "" {
					kept = append(kept, k)
				}
			}
			n.kids = kept
		}
		for _, k := range n.kids {
			if !k.isText() {
				strip(k)
			}
		}
	}
	strip(root)
	return root, cr.n, nil
}

func (p *parser) openAttachment(n *node) error {
	i := len(p.atts)
	if i >= p.lim.MaxAttachments {
		return errAt(ErrTooLarge, pathOf(n.parent), "more than %d attachments", p.lim.MaxAttachments)
	}
	s := &b64sink{h: sha256.New()}
	if p.sink != nil {
		w, err := p.sink(i)
		if err != nil {
			return errAt(ErrAttachment, pathOf(n), "no place for attachment %d: %v", i+1, err)
		}
		s.w = w
	}
	n.att = s
	p.atts = append(p.atts, s)
	return nil
}

// pathOf is the element's path as written in the input, for errors found
// while the tree is built.
func pathOf(n *node) string {
	var parts []string
	for ; n != nil; n = n.parent {
		parts = append(parts, n.local)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, "/")
}

// b64sink decodes base64 as it arrives, in groups of four characters, and
// writes the bytes to the caller's writer while hashing and counting them.
type b64sink struct {
	w        io.Writer
	h        hash.Hash
	n        int64
	head     []byte
	buf      [4096]byte
	bn       int
	out      [3072]byte
	padded   bool // a '=' was seen
	unpadded bool // the content lacked its padding
	done     bool
	claimed  bool // an Attachment of the packet took it
}

func (s *b64sink) write(p []byte) error {
	for _, c := range p {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '=':
			s.padded = true
		default:
			if s.padded {
				return errors.New("base64 data after its padding")
			}
		}
		s.buf[s.bn] = c
		s.bn++
		if s.bn == len(s.buf) {
			if err := s.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *b64sink) flush() error {
	k, err := base64.StdEncoding.Decode(s.out[:], s.buf[:s.bn])
	if err != nil {
		return errors.New("not valid base64")
	}
	s.bn = 0
	return s.emit(s.out[:k])
}

func (s *b64sink) emit(b []byte) error {
	if len(s.head) < 4 {
		s.head = append(s.head, b[:min(len(b), 4-len(s.head))]...)
	}
	s.n += int64(len(b))
	s.h.Write(b)
	if s.w != nil {
		if _, err := s.w.Write(b); err != nil {
			return fmt.Errorf("writing the attachment: %w", err)
		}
	}
	return nil
}

func (s *b64sink) finish() error {
	if s.done {
		return nil
	}
	s.done = true
	switch s.bn % 4 {
	case 1:
		return errors.New("not valid base64: truncated")
	case 2, 3:
		if s.padded {
			return errors.New("not valid base64: wrong padding")
		}
		s.unpadded = true
		for s.bn%4 != 0 {
			s.buf[s.bn] = '='
			s.bn++
		}
	}
	if s.bn > 0 {
		return s.flush()
	}
	return nil
}
