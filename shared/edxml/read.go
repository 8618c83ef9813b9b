package edxml

import (
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"lienthong/certs"
	"lienthong/shared/document"
)

// Options configure [Read].
type Options struct {
	// Limits bound the packet; zero fields take their defaults.
	Limits Limits
	// Attachment returns where the decoded bytes of the i-th attachment
	// (from 0, in the order they come) go. Nil discards them; their size
	// and SHA-256 are reported either way. A writer that fails stops the
	// read with [ErrAttachment].
	Attachment func(i int) (io.Writer, error)
}

// Read reads one edXML packet from r: a document packet or a status
// packet, in the QCVN 102:2016 form or the older SOAP form. It maps the
// packet to Lienthong's model (see the package documentation for the
// rules), reports every accepted deviation as a [Warning], and refuses
// what has no reading with an [*Error]. It does not validate the result
// against ND30's rules: call [document.Metadata.Validate] or
// [document.StatusUpdate.Validate] on it.
func Read(r io.Reader, opts Options) (*Packet, error) {
	if err := opts.Limits.Validate(); err != nil {
		return nil, err
	}
	rd := &reader{pkt: &Packet{}, seen: map[WarningKind]bool{}}
	p := &parser{lim: opts.Limits.withDefaults(), sink: opts.Attachment, warn: rd.warn}
	root, size, err := p.parse(r)
	rd.pkt.Size = size
	if err != nil {
		return nil, err
	}
	rd.atts = p.atts
	if err := rd.interpret(root); err != nil {
		return nil, err
	}
	return rd.pkt, nil
}

// reader maps the tree to the model.
type reader struct {
	pkt  *Packet
	atts []*b64sink
	seen map[WarningKind]bool
}

// onceKinds are reported once per packet, at their first place.
var onceKinds = map[WarningKind]bool{WarnLegacyNamespace: true, WarnNoNamespace: true}

func (rd *reader) warn(path string, kind WarningKind, detail string) {
	if onceKinds[kind] {
		if rd.seen[kind] {
			return
		}
		rd.seen[kind] = true
	}
	rd.pkt.Warnings = append(rd.pkt.Warnings, Warning{Path: path, Kind: kind, Detail: detail})
}

// ed reports an element in edXML's namespace (either one, or none).
func (rd *reader) ed(n *node, path string) bool {
	switch n.space {
	case Namespace:
		return true
	case LegacyNamespace:
		rd.warn(path, WarnLegacyNamespace, "older namespace "+LegacyNamespace)
		return true
	case "":
		rd.warn(path, WarnNoNamespace, "edXML element without a namespace")
		return true
	}
	return false
}

// indexed names repeat in a packet; their paths carry a 1-based index.
var indexed = map[string]bool{"To": true, "ResponseFor": true, "TraceHeader": true, "ReplacementInfo": true,
	"Reference": true, "Attachment": true}

// legacyNames maps the older SOAP form's containers to edXML's.
var legacyNames = map[string]string{"Envelope": "edXMLEnvelope", "Header": "edXMLHeader", "Body": "edXMLBody",
	"Manifest": "edXMLManifest"}

// lpath gives n's logical path below a parent's.
func lpath(parent string, n *node, i int) string {
	name := n.local
	if l, ok := legacyNames[name]; ok && (n.space == soapNamespace || name == "Manifest") {
		name = l
	}
	if name == "AttachmentEncoded" {
		return name // after the envelope, or inside the older form's Body
	}
	if indexed[n.local] {
		name += "[" + strconv.Itoa(i) + "]"
	}
	if parent == "" {
		return name
	}
	return parent + "/" + name
}

// kid is one child found by name, with its logical path.
type kid struct {
	n    *node
	path string
}

// children returns the edXML children of n called local, marked used.
func (rd *reader) children(n *node, path, local string) []kid {
	if n == nil {
		return nil
	}
	var out []kid
	for _, c := range n.elems() {
		if c.local == local && (c.space == Namespace || c.space == LegacyNamespace || c.space == "") {
			p := lpath(path, c, len(out)+1)
			rd.ed(c, p)
			c.used = true
			out = append(out, kid{c, p})
		}
	}
	return out
}

// child returns the one edXML child called local, or a zero kid; two are
// an error.
func (rd *reader) child(n *node, path, local string) (kid, error) {
	ks := rd.children(n, path, local)
	switch len(ks) {
	case 0:
		return kid{}, nil
	case 1:
		return ks[0], nil
	}
	return kid{}, errAt(ErrInvalid, ks[1].path, "given more than once")
}

// text returns a child's value, trimmed, "" for null, with warnings.
func (rd *reader) text(n *node, path, local string) (string, string, error) {
	k, err := rd.child(n, path, local)
	if err != nil || k.n == nil {
		return "", k.path, err
	}
	if len(k.n.elems()) > 0 {
		return "", k.path, errAt(ErrInvalid, k.path, "a value was expected, not elements")
	}
	for _, t := range k.n.kids {
		t.used = true
	}
	raw := k.n.value()
	v := strings.TrimSpace(raw)
	if v != raw && v != "" {
		rd.warn(k.path, WarnWhitespace, "spaces or line breaks around the value removed")
	}
	if strings.EqualFold(v, "null") {
		rd.warn(k.path, WarnNull, "the text null read as no value")
		v = ""
	}
	return rd.nfc(k.path, v), k.path, nil
}

func (rd *reader) number(n *node, path, local string, max int) (int, error) {
	v, p, err := rd.text(n, path, local)
	if err != nil || v == "" {
		return 0, err
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i > max {
		return 0, errAt(ErrInvalid, p, "not a number from 0 to %d", max)
	}
	return i, nil
}

func (rd *reader) date(n *node, path, local string) (document.Date, error) {
	v, p, err := rd.text(n, path, local)
	if err != nil || v == "" {
		return document.Date{}, err
	}
	d, std, ok := parseDate(v)
	if !ok {
		return document.Date{}, errAt(ErrInvalid, p, "not a date (yyyy/MM/dd)")
	}
	if !std {
		rd.warn(p, WarnDateFormat, "read as "+d.Slashed())
	}
	return d, nil
}

// organ reads an OrganId: an agency code, upper-cased, or any other
// non-empty text kept as written with a warning.
func (rd *reader) organ(n *node, path string) (certs.AgencyCode, error) {
	v, p, err := rd.text(n, path, "OrganId")
	if err != nil || v == "" {
		return "", err
	}
	up := strings.ToUpper(v)
	if _, err := certs.ParseAgencyCode(up); err != nil {
		rd.warn(p, WarnOrganID, "not a 13-character agency code; kept as written")
		return certs.AgencyCode(v), nil
	}
	if up != v {
		rd.warn(p, WarnOrganID, "lower-case agency code upper-cased")
	}
	return certs.AgencyCode(up), nil
}

func (rd *reader) interpret(root *node) error {
	var env, header, body, attEnc kid
	var err error
	switch {
	case root.local == "edXML" && (root.space == Namespace || root.space == LegacyNamespace):
		rd.ed(root, "")
		root.used = true
		if env, err = rd.child(root, "", "edXMLEnvelope"); err != nil {
			return err
		}
		if env.n == nil {
			return errAt(ErrMissing, "edXMLEnvelope", "the packet has no envelope")
		}
		if attEnc, err = rd.child(root, "", "AttachmentEncoded"); err != nil {
			return err
		}
		if header, err = rd.child(env.n, env.path, "edXMLHeader"); err != nil {
			return err
		}
		if body, err = rd.child(env.n, env.path, "edXMLBody"); err != nil {
			return err
		}
	case root.local == "edXMLEnvelope" && (root.space == Namespace || root.space == LegacyNamespace):
		rd.warn("edXMLEnvelope", WarnBareEnvelope, "edXMLEnvelope without edXML around it")
		root.used = true
		env = kid{root, "edXMLEnvelope"}
		rd.ed(root, env.path)
		if header, err = rd.child(root, env.path, "edXMLHeader"); err != nil {
			return err
		}
		if body, err = rd.child(root, env.path, "edXMLBody"); err != nil {
			return err
		}
	case root.local == "Envelope" && root.space == soapNamespace:
		rd.pkt.Legacy = true
		rd.warn("edXMLEnvelope", WarnLegacyForm, "SOAP envelope of the older e-doc.vn form")
		root.used = true
		env = kid{root, "edXMLEnvelope"}
		for _, c := range root.elems() {
			if c.space != soapNamespace {
				continue
			}
			switch c.local {
			case "Header":
				c.used = true
				header = kid{c, "edXMLEnvelope/edXMLHeader"}
			case "Body":
				c.used = true
				body = kid{c, "edXMLEnvelope/edXMLBody"}
			}
		}
		if attEnc, err = rd.child(body.n, body.path, "AttachmentEncoded"); err != nil {
			return err
		}
		if attEnc.n != nil {
			attEnc.path = "AttachmentEncoded"
		}
	default:
		return errAt(ErrNotEdXML, root.local, "root element {%s}%s", root.space, root.local)
	}
	if header.n == nil {
		return errAt(ErrMissing, "edXMLEnvelope/edXMLHeader", "the packet has no header")
	}
	// .NET's SignedXml, as documented, appends the signature to the root.
	rd.findSignature(header.n, env.n, root)

	status, err := rd.child(header.n, header.path, "Status")
	if err != nil {
		return err
	}
	msg, err := rd.child(header.n, header.path, "MessageHeader")
	if err != nil {
		return err
	}
	if status.n == nil && msg.n != nil {
		for _, c := range msg.n.elems() {
			if c.local == "StatusCode" {
				status = msg
			}
		}
	}
	if status.n != nil {
		st, err := rd.status(status)
		if err != nil {
			return err
		}
		if len(rd.atts) > 0 {
			return errAt(ErrInvalid, "AttachmentEncoded", "a status packet with attachments")
		}
		st.Extras = rd.extras(root)
		rd.pkt.Status = st
		return nil
	}
	if msg.n == nil {
		for _, c := range header.n.elems() {
			if c.local == "MessageHeader" || c.local == "Status" {
				return errAt(ErrNotEdXML, header.path+"/"+c.local, "in namespace %q, not edXML's", c.space)
			}
		}
		return errAt(ErrMissing, header.path+"/MessageHeader", "neither a document nor a status")
	}
	doc := &Document{}
	if err := rd.message(msg, &doc.Metadata); err != nil {
		return err
	}
	trace, err := rd.child(header.n, header.path, "TraceHeaderList")
	if err != nil {
		return err
	}
	if err := rd.trace(trace, doc); err != nil {
		return err
	}
	manifest, err := rd.manifestOf(body)
	if err != nil {
		return err
	}
	if err := rd.attachments(manifest, attEnc, doc); err != nil {
		return err
	}
	doc.Extras = rd.extras(root)
	rd.pkt.Document = doc
	return nil
}

// findSignature records the enveloped signature's place and keeps it out
// of the extras: a re-exported packet carries its own signature.
func (rd *reader) findSignature(places ...*node) {
	for _, n := range places {
		for _, c := range n.elems() {
			if c.space == dsigNamespace && c.local == "Signature" && rd.pkt.Signature == nil {
				markAll(c)
				rd.pkt.Signature = &Span{Start: c.start, End: c.end}
				if n != places[0] {
					rd.warn("edXMLEnvelope", WarnSignaturePlace, "signature outside edXMLHeader")
				}
			}
		}
	}
}

func (rd *reader) manifestOf(body kid) (kid, error) {
	if body.n == nil {
		return kid{}, nil
	}
	m, err := rd.child(body.n, body.path, "edXMLManifest")
	if err != nil || m.n != nil {
		return m, err
	}
	return rd.child(body.n, body.path, "Manifest")
}

// ref reads a reference to another document: a DocumentId, or failing
// that OrganId, Code ("number/notation") and PromulgationDate. The
// DocumentId is kept (left as an extra) when it is not of the standard
// form; ok is false when no reference can be built.
func (rd *reader) ref(k kid, idName string) (document.DocumentRef, bool, error) {
	idNode, err := rd.child(k.n, k.path, idName)
	if err != nil {
		return document.DocumentRef{}, false, err
	}
	idText, _, err := rd.text(k.n, k.path, idName)
	if err != nil {
		return document.DocumentRef{}, false, err
	}
	if idText != "" {
		if id, err := document.ParseDocumentID(idText); err == nil {
			if !strings.HasPrefix(strings.TrimSpace(idNode.n.value()), string(id.Organ)+","+id.Date.Slashed()) {
				rd.warn(idNode.path, WarnDateFormat, "date in DocumentId read as "+id.Date.Slashed())
			}
			rd.checkRef(k, id)
			return id, true, nil
		}
		rd.warn(idNode.path, WarnDocumentID, "not of the form OrganId,yyyy/MM/dd,Number/Notation; kept as written")
		idNode.n.used = false
	}
	organ, err := rd.organ(k.n, k.path)
	if err != nil {
		return document.DocumentRef{}, false, err
	}
	code, codePath, err := rd.text(k.n, k.path, "Code")
	if err != nil {
		return document.DocumentRef{}, false, err
	}
	date, err := rd.date(k.n, k.path, "PromulgationDate")
	if err != nil {
		return document.DocumentRef{}, false, err
	}
	number, notation, nerr := document.ParseNumberNotation(code)
	if organ == "" || date.IsZero() || nerr != nil {
		if code != "" && nerr != nil {
			rd.warn(codePath, WarnDocumentID, "not of the form Number/Notation")
		}
		return document.DocumentRef{}, false, nil
	}
	if idText == "" {
		rd.warn(k.path, WarnDocumentID, "no DocumentId; built from OrganId, Code and PromulgationDate")
	}
	return document.DocumentRef{Organ: organ, Date: date, Number: number, Notation: notation}, true, nil
}

// parseDate reads yyyy/MM/dd (std) and, leniently, dd/MM/yyyy, yyyy-MM-dd,
// one-digit days and months, and a time of day after the date.
func parseDate(s string) (d document.Date, std bool, ok bool) {
	datePart := s
	if i := strings.IndexAny(s, " T"); i > 0 {
		datePart = s[:i]
	}
	sep := "/"
	if strings.Count(datePart, "-") == 2 {
		sep = "-"
	}
	parts := strings.Split(datePart, sep)
	if len(parts) != 3 {
		return d, false, false
	}
	nums := make([]int, 3)
	for i, p := range parts {
		if p == "" || len(p) > 4 {
			return d, false, false
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return d, false, false
		}
		nums[i] = v
	}
	switch {
	case len(parts[0]) == 4 && len(parts[1]) <= 2 && len(parts[2]) <= 2:
		d = document.NewDate(nums[0], monthOf(nums[1]), nums[2])
	case len(parts[2]) == 4 && len(parts[0]) <= 2 && len(parts[1]) <= 2:
		d = document.NewDate(nums[2], monthOf(nums[1]), nums[0])
	default:
		return d, false, false
	}
	if !d.Valid() {
		return d, false, false
	}
	return d, s == d.Slashed(), true
}

func monthOf(m int) time.Month { return time.Month(m) }

// checkRef warns of OrganId, Code and PromulgationDate that disagree with
// the DocumentId they travel with; the DocumentId is taken.
func (rd *reader) checkRef(k kid, id document.DocumentRef) {
	for _, c := range rd.children(k.n, k.path, "OrganId") {
		markAll(c.n)
		if v := strings.TrimSpace(c.n.value()); v != "" && !strings.EqualFold(v, string(id.Organ)) {
			rd.warn(c.path, WarnDocumentID, "differs from the DocumentId; the DocumentId taken")
		}
	}
	for _, c := range rd.children(k.n, k.path, "Code") {
		markAll(c.n)
		v := strings.TrimSpace(c.n.value())
		if num, not, err := document.ParseNumberNotation(v); v != "" && (err != nil || num != id.Number || not != id.Notation) {
			rd.warn(c.path, WarnDocumentID, "differs from the DocumentId; the DocumentId taken")
		}
	}
	for _, c := range rd.children(k.n, k.path, "PromulgationDate") {
		markAll(c.n)
		v := strings.TrimSpace(c.n.value())
		if d, _, ok := parseDate(v); v != "" && (!ok || d != id.Date) {
			rd.warn(c.path, WarnDocumentID, "differs from the DocumentId; the DocumentId taken")
		}
	}
}

// nfc puts text in Unicode NFC, as the model keeps it; some systems send
// Vietnamese decomposed.
func (rd *reader) nfc(path, v string) string {
	if !utf8.ValidString(v) || norm.NFC.IsNormalString(v) {
		return v
	}
	rd.warn(path, WarnUnicode, "text put in Unicode NFC")
	return norm.NFC.String(v)
}
