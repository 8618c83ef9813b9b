package pades

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Why a parser of our own rather than pdfcpu: signing must stay within
// 1.5x the time it takes to SHA-256 the file, so it may read only the tail,
// the cross-reference sections and the handful of objects it changes
// (catalog, AcroForm, one page). pdfcpu's reader loads and parses every
// object of the file up front, and it does not expose what revision
// analysis needs: each object's location per revision and the raw byte
// offsets of a signature's /Contents. pdfcpu stays in the tests as an
// independent validator.

const (
	maxObjectNumber = 2 << 20
	maxDecoded      = 32 << 20 // one decoded xref or object stream
)

type entryKind uint8

const (
	entryFree entryKind = iota
	entryInUse
	entryCompressed
)

// xrefEntry locates one object: at Offset, or as the Index-th object of
// object stream pdfStream.
type xrefEntry struct {
	Kind   entryKind
	Offset int64
	Gen    int
	stream int
	Index  int
}

// document is a PDF opened for reading at one revision: the bytes
// [0, size) of src, resolved through the cross-reference chain that ends at
// the last startxref.
type document struct {
	src        io.ReaderAt
	size       int64
	startxref  int64
	xref       map[int]xrefEntry
	trailer    pdfDict // the newest trailer
	lastIsStrm bool    // the newest section is a cross-reference stream
	sections   []int64
	fam        *family
	objstms    map[int]*objStream // by object number, as this revision's xref says
	depth      int
}

// family is what a document shares with the revisions its signatures
// sign (prefixes of the same bytes): one budget, and the object streams
// decoded so far, which are the same bytes at the same offsets in each.
type family struct {
	budget  *budget
	objstms map[streamKey]*objStream // nil: damaged
}

type streamKey struct{ off, len int64 }

func newFamily(size int64) *family {
	return &family{budget: newBudget(size), objstms: map[streamKey]*objStream{}}
}

// damaged wraps a reading error in ErrDamaged, unless the document went
// over its budget: then the budget error says why, and only it.
func (f *family) damaged(format string, args ...any) error {
	if err := f.budget.exceeded(); err != nil {
		return err
	}
	return fmt.Errorf("%w: "+format, append([]any{ErrDamaged}, args...)...)
}

// lexer returns a lexer over the document from off that counts what it
// parses in the budget.
func (d *document) lexer(off int64) *lexer {
	l := newLexer(d.src, d.size, off)
	l.budget = d.fam.budget
	return l
}

// openDocument reads the header, tail and cross-reference chain of
// src[0:size]. It returns ErrNotPDF, ErrDamaged or ErrEncrypted (wrapped)
// for input it cannot sign or verify.
func openDocument(src io.ReaderAt, size int64) (*document, error) {
	return openDocumentIn(newFamily(size), src, size)
}

// openDocumentIn opens src[0:size] as a member of fam.
func openDocumentIn(fam *family, src io.ReaderAt, size int64) (*document, error) {
	src = inMemory(src, size)
	head, _ := readAt(src, 0, min(size, 1024))
	// The header at offset 0, not anywhere in the first KB as viewers
	// allow: bytes before it make a file that is also an HTML page or a
	// script (a polyglot) pass for a PDF.
	if !bytes.HasPrefix(head, []byte("%PDF-")) {
		return nil, fmt.Errorf("%w: the file does not begin with %%PDF-", ErrNotPDF)
	}
	d := &document{src: src, size: size, xref: map[int]xrefEntry{}, fam: fam, objstms: map[int]*objStream{}}
	sx, err := findStartXRef(src, size)
	if err != nil {
		return nil, err
	}
	d.startxref = sx
	if err := d.readXRefChain(sx); err != nil {
		return nil, fam.damaged("cross-reference: %w", err)
	}
	if _, ok := d.trailer["Encrypt"]; ok {
		return nil, fmt.Errorf("%w: the document is password-protected (trailer /Encrypt); remove the protection and try again", ErrEncrypted)
	}
	root, ok := d.trailer.ref("Root")
	if !ok {
		return nil, fmt.Errorf("%w: trailer has no /Root", ErrDamaged)
	}
	cat, err := d.resolveDict(root)
	if err != nil {
		return nil, fam.damaged("catalog: %w", err)
	}
	if cat.name("Type") != "Catalog" {
		return nil, fmt.Errorf("%w: /Root is not a catalog", ErrDamaged)
	}
	return d, nil
}

// Bytes is a document in memory. Verify, Prepare and PageBox lex it in
// place; any other io.ReaderAt is read through a window per object,
// doubled until it holds the object, which for a small document (an
// attachment sent with its packet) cost several times its size.
type Bytes []byte

// ReadAt implements io.ReaderAt.
func (b Bytes) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("pades: negative offset")
	}
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readAt returns n bytes of src from off, or as many as it holds there,
// in place when src is Bytes. They are not to be changed.
func readAt(src io.ReaderAt, off, n int64) ([]byte, error) {
	if b, ok := src.(Bytes); ok && off >= 0 && off <= int64(len(b)) {
		end := min(off+max(n, 0), int64(len(b)))
		if end-off < n {
			return b[off:end:end], io.EOF
		}
		return b[off:end:end], nil
	}
	buf := make([]byte, max(n, 0))
	k, err := src.ReadAt(buf, off)
	return buf[:k], err
}

// inMemory returns src[0:size] as Bytes when src is Bytes (a revision
// of a document in memory is a prefix of it), else src.
func inMemory(src io.ReaderAt, size int64) io.ReaderAt {
	if b, ok := src.(Bytes); ok && size >= 0 && size <= int64(len(b)) {
		return b[:size:size]
	}
	return src
}

// findStartXRef finds the last "startxref N" near the end of src[0:size].
func findStartXRef(src io.ReaderAt, size int64) (int64, error) {
	tail := int64(2048)
	if size < tail {
		tail = size
	}
	buf, err := readAt(src, size-tail, tail)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read tail: %w", err)
	}
	if !bytes.Contains(buf, []byte("%%EOF")) {
		return 0, fmt.Errorf("%w: no %%%%EOF marker at the end (truncated file?)", ErrDamaged)
	}
	i := bytes.LastIndex(buf, []byte("startxref"))
	if i < 0 {
		return 0, fmt.Errorf("%w: no startxref at the end (truncated file?)", ErrDamaged)
	}
	l := newLexer(bytes.NewReader(buf), int64(len(buf)), int64(i+len("startxref")))
	v, err := l.integer()
	if err != nil || v < 0 || v >= size {
		return 0, fmt.Errorf("%w: bad startxref value", ErrDamaged)
	}
	return v, nil
}

func (d *document) readXRefChain(off int64) error {
	seen := map[int64]bool{}
	first := true
	for {
		if seen[off] {
			return fmt.Errorf("loop in /Prev chain at offset %d", off)
		}
		if err := d.fam.budget.chargeSection(); err != nil {
			return err
		}
		seen[off] = true
		d.sections = append(d.sections, off)
		trailer, isStream, err := d.readXRefSection(off)
		if err != nil {
			return err
		}
		if first {
			d.trailer = trailer
			d.lastIsStrm = isStream
			first = false
		}
		// A hybrid file's table trailer points at a stream with more entries.
		if xs, ok := trailer["XRefStm"].(int64); ok && !isStream && xs >= 0 && xs < d.size && !seen[xs] {
			seen[xs] = true
			if err := d.fam.budget.chargeSection(); err != nil {
				return err
			}
			if _, _, err := d.readXRefSection(xs); err != nil {
				return fmt.Errorf("hybrid /XRefStm: %w", err)
			}
		}
		prev, ok := trailer["Prev"].(int64)
		if !ok {
			return nil
		}
		if prev < 0 || prev >= d.size {
			return fmt.Errorf("/Prev %d outside the file", prev)
		}
		off = prev
	}
}

// add records an entry unless a newer section already defined the object.
func (d *document) add(num int, e xrefEntry) error {
	if _, ok := d.xref[num]; ok {
		return nil
	}
	if err := d.fam.budget.chargeEntry(); err != nil {
		return err
	}
	d.xref[num] = e
	return nil
}

func (d *document) readXRefSection(off int64) (pdfDict, bool, error) {
	l := d.lexer(off)
	l.skipSpace()
	if l.hasPrefix("xref") {
		l.pos += 4
		t, err := d.readXRefTable(l)
		return t, false, err
	}
	obj, err := d.readObjectAt(off, nil)
	if err != nil {
		return nil, false, fmt.Errorf("section at %d: %w", off, err)
	}
	s, ok := obj.(*pdfStream)
	if !ok || s.dict.name("Type") != "XRef" {
		return nil, false, fmt.Errorf("offset %d is neither an xref table nor an xref stream", off)
	}
	return s.dict, true, d.readXRefStream(s)
}

func (d *document) readXRefTable(l *lexer) (pdfDict, error) {
	for {
		l.skipSpace()
		if l.hasPrefix("trailer") {
			l.pos += len("trailer")
			t, err := l.object(0)
			if err != nil {
				return nil, fmt.Errorf("trailer: %w", err)
			}
			td, ok := t.(pdfDict)
			if !ok {
				return nil, fmt.Errorf("trailer is not a dictionary")
			}
			return td, nil
		}
		start, err := l.integer()
		if err != nil {
			return nil, err
		}
		count, err := l.integer()
		if err != nil {
			return nil, err
		}
		if start < 0 || count < 0 || start+count > maxObjectNumber {
			return nil, fmt.Errorf("bad subsection %d %d", start, count)
		}
		for i := int64(0); i < count; i++ {
			o, err := l.integer()
			if err != nil {
				return nil, err
			}
			g, err := l.integer()
			if err != nil {
				return nil, err
			}
			l.skipSpace()
			kind := l.keyword()
			num := int(start + i)
			var e xrefEntry
			switch kind {
			case "n":
				// Some writers leave 0 for unused entries; treat as free.
				if o > 0 && o < d.size {
					e = xrefEntry{Kind: entryInUse, Offset: o, Gen: int(g)}
				}
			case "f":
				e = xrefEntry{Kind: entryFree, Gen: int(g)}
			default:
				return nil, l.errorf("bad xref entry type %q", kind)
			}
			if err := d.add(num, e); err != nil {
				return nil, err
			}
		}
	}
}

func (d *document) readXRefStream(s *pdfStream) error {
	data, err := d.decodeStream(s)
	if err != nil {
		return err
	}
	w, ok := s.dict["W"].(pdfArray)
	if !ok || len(w) != 3 {
		return fmt.Errorf("xref stream /W missing")
	}
	var ws [3]int
	for i, v := range w {
		n, ok := v.(int64)
		if !ok || n < 0 || n > 8 {
			return fmt.Errorf("bad xref stream /W")
		}
		ws[i] = int(n)
	}
	rowLen := ws[0] + ws[1] + ws[2]
	if rowLen == 0 {
		return fmt.Errorf("bad xref stream /W")
	}
	size, _ := s.dict["Size"].(int64)
	index := pdfArray{int64(0), size}
	if ix, ok := s.dict["Index"].(pdfArray); ok {
		index = ix
	}
	if len(index)%2 != 0 {
		return fmt.Errorf("bad xref stream /Index")
	}
	field := func(b []byte, def int64) int64 {
		if len(b) == 0 {
			return def
		}
		var v int64
		for _, c := range b {
			v = v<<8 | int64(c)
		}
		return v
	}
	pos := 0
	for i := 0; i < len(index); i += 2 {
		start, ok1 := index[i].(int64)
		count, ok2 := index[i+1].(int64)
		if !ok1 || !ok2 || start < 0 || count < 0 || start+count > maxObjectNumber {
			return fmt.Errorf("bad xref stream /Index")
		}
		for j := int64(0); j < count; j++ {
			if pos+rowLen > len(data) {
				return fmt.Errorf("xref stream data too short")
			}
			row := data[pos : pos+rowLen]
			pos += rowLen
			t := field(row[:ws[0]], 1)
			f2 := field(row[ws[0]:ws[0]+ws[1]], 0)
			f3 := field(row[ws[0]+ws[1]:], 0)
			num := int(start + j)
			var e xrefEntry
			switch t {
			case 0:
			case 1:
				if f2 > 0 && f2 < d.size {
					e = xrefEntry{Kind: entryInUse, Offset: f2, Gen: int(f3)}
				}
			case 2:
				if f2 <= 0 || f2 > maxObjectNumber || f3 > maxObjectNumber {
					return fmt.Errorf("bad compressed xref entry")
				}
				e = xrefEntry{Kind: entryCompressed, stream: int(f2), Index: int(f3)}
			default:
				continue // unknown types are to be treated as null references
			}
			if err := d.add(num, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// readObjectAt parses "num gen obj ... endobj" at off. If want is not nil
// the header must name that object.
func (d *document) readObjectAt(off int64, want *pdfRef) (any, error) {
	if off < 0 || off >= d.size {
		return nil, fmt.Errorf("object offset %d outside the file", off)
	}
	l := d.lexer(off)
	num, err := l.integer()
	if err != nil {
		return nil, err
	}
	gen, err := l.integer()
	if err != nil {
		return nil, err
	}
	if err := l.expectKeyword("obj"); err != nil {
		return nil, err
	}
	if want != nil && (int(num) != want.Num || int(gen) != want.Gen) {
		return nil, fmt.Errorf("xref points at object %d %d, want %d %d", num, gen, want.Num, want.Gen)
	}
	v, err := l.object(0)
	if err != nil {
		return nil, err
	}
	dict, ok := v.(pdfDict)
	if !ok {
		return v, nil
	}
	l.skipSpace()
	if !l.hasPrefix("stream") {
		return dict, nil
	}
	l.pos += len("stream")
	if c, ok := l.peek(); ok && c == '\r' {
		l.pos++
	}
	if c, ok := l.peek(); ok && c == '\n' {
		l.pos++
	}
	dataOff := l.offset()
	length, err := d.streamLength(dict)
	if err != nil {
		return nil, err
	}
	if length < 0 || dataOff+length > d.size {
		return nil, fmt.Errorf("stream of object %d runs past the end of the file", num)
	}
	// Check that endstream follows, as the length says.
	el := newLexer(d.src, d.size, dataOff+length)
	if err := el.expectKeyword("endstream"); err != nil {
		return nil, fmt.Errorf("object %d: /Length does not end at endstream", num)
	}
	return &pdfStream{dict: dict, Off: dataOff, Len: length}, nil
}

func (d *document) streamLength(dict pdfDict) (int64, error) {
	switch v := dict["Length"].(type) {
	case int64:
		return v, nil
	case pdfRef:
		o, err := d.resolve(v)
		if err != nil {
			return 0, fmt.Errorf("stream /Length: %w", err)
		}
		n, ok := o.(int64)
		if !ok {
			return 0, fmt.Errorf("stream /Length is not an integer")
		}
		return n, nil
	}
	return 0, fmt.Errorf("stream without /Length")
}

// resolve returns the value of an indirect object (nil for a free or
// missing one, as the PDF specification says).
func (d *document) resolve(r pdfRef) (any, error) {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxRefDepth {
		return nil, d.fam.budget.over("levels of references followed", maxRefDepth)
	}
	e, ok := d.xref[r.Num]
	if !ok {
		return nil, nil
	}
	switch e.Kind {
	case entryInUse:
		if e.Gen != r.Gen {
			return nil, nil
		}
		return d.readObjectAt(e.Offset, &r)
	case entryCompressed:
		if r.Gen != 0 {
			return nil, nil
		}
		os, err := d.objStream(e.stream)
		if err != nil {
			return nil, fmt.Errorf("object %d in object stream %d: %w", r.Num, e.stream, err)
		}
		if e.Index < 0 || e.Index >= len(os.nums) || os.nums[e.Index] != r.Num {
			return nil, fmt.Errorf("object %d not found in object stream %d", r.Num, e.stream)
		}
		o := os.offs[e.Index]
		l := newLexer(bytes.NewReader(os.data), int64(len(os.data)), int64(o))
		l.budget = d.fam.budget
		return l.object(0)
	}
	return nil, nil
}

// resolveValue follows v if it is a reference.
func (d *document) resolveValue(v any) (any, error) {
	if r, ok := v.(pdfRef); ok {
		return d.resolve(r)
	}
	return v, nil
}

func (d *document) resolveDict(r pdfRef) (pdfDict, error) {
	v, err := d.resolve(r)
	if err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case pdfDict:
		return v, nil
	case *pdfStream:
		return v.dict, nil
	}
	return nil, fmt.Errorf("object %d is not a dictionary", r.Num)
}

func (d *document) root() pdfRef {
	r, _ := d.trailer.ref("Root")
	return r
}

func (d *document) catalog() (pdfDict, error) { return d.resolveDict(d.root()) }

// maxSize returns the trailer's /Size: the next free object number.
func (d *document) maxSize() int {
	n, _ := d.trailer["Size"].(int64)
	m := int64(0)
	for k := range d.xref {
		if int64(k) >= m {
			m = int64(k) + 1
		}
	}
	if m > n {
		n = m
	}
	return int(n)
}

// pages lists the page references in order, stopping after limit pages
// (limit <= 0 for all).
func (d *document) pages(limit int) ([]pdfRef, error) {
	cat, err := d.catalog()
	if err != nil {
		return nil, err
	}
	pr, ok := cat.ref("Pages")
	if !ok {
		return nil, fmt.Errorf("catalog has no /Pages reference")
	}
	var out []pdfRef
	seen := map[int]bool{}
	var walk func(r pdfRef, depth int) error
	walk = func(r pdfRef, depth int) error {
		if limit > 0 && len(out) >= limit {
			return nil
		}
		if depth > 64 || seen[r.Num] {
			return fmt.Errorf("page tree has a loop or is too deep")
		}
		seen[r.Num] = true
		node, err := d.resolveDict(r)
		if err != nil {
			return fmt.Errorf("page tree node %d: %w", r.Num, err)
		}
		switch node.name("Type") {
		case "Page":
			out = append(out, r)
			return nil
		case "Pages":
		default:
			if _, ok := node["Kids"]; !ok {
				out = append(out, r)
				return nil
			}
		}
		kids, err := d.resolveValue(node["Kids"])
		if err != nil {
			return err
		}
		ka, _ := kids.(pdfArray)
		for _, k := range ka {
			kr, ok := k.(pdfRef)
			if !ok {
				return fmt.Errorf("page tree kid is not a reference")
			}
			if err := walk(kr, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(pr, 0); err != nil {
		return nil, err
	}
	return out, nil
}
