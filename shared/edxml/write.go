package edxml

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"lienthong/shared/document"
)

// WriteDocument writes a document packet in the QCVN 102:2016 form: the
// standard namespace with the prefix "edXML", elements in the standard's
// order, the extras back at their paths, and each attachment's content,
// read from open(i) for doc.Attachments[i], base64-encoded as it streams
// and checked against the attachment's Size and SHA256 when they are set.
// Every attachment needs a ContentID of its own.
// The same document always gives the same bytes. It writes no signature;
// a signer adds one to the output. Secrecy has no edXML element: a secret
// document gives [ErrNotExpressible].
func WriteDocument(w io.Writer, doc *Document, open func(i int) (io.Reader, error)) error {
	if doc.Metadata.Secrecy != document.SecrecyNone {
		return errAt(ErrNotExpressible, "", "edXML has no element for secrecy (độ mật)")
	}
	m := &doc.Metadata
	switch {
	case m.From.Code == "":
		return errAt(ErrNotExpressible, "edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId", "no sender")
	case len(m.To) == 0:
		return errAt(ErrNotExpressible, "edXMLEnvelope/edXMLHeader/MessageHeader/To", "no recipient")
	case !m.Type.Valid():
		return errAt(ErrNotExpressible, "edXMLEnvelope/edXMLHeader/MessageHeader/DocumentType", "not one of ND30's types")
	}
	for i, r := range m.To {
		if r.Code == "" {
			return errAt(ErrNotExpressible, "edXMLEnvelope/edXMLHeader/MessageHeader/To["+strconv.Itoa(i+1)+"]", "a recipient without its code")
		}
	}
	seen := map[string]bool{}
	for i, a := range doc.Attachments {
		if a.ContentID == "" || seen[a.ContentID] {
			return errAt(ErrNotExpressible, "edXMLEnvelope/edXMLBody/edXMLManifest/Reference["+strconv.Itoa(i+1)+"]",
				"every attachment needs a ContentId of its own")
		}
		seen[a.ContentID] = true
	}
	// A dry run first, so that an extra with no place is refused before
	// anything is written.
	if err := writeDocument(newXW(io.Discard, doc.Extras), doc, nil); err != nil {
		return err
	}
	x := newXW(w, doc.Extras)
	if err := writeDocument(x, doc, open); err != nil {
		return err
	}
	return x.flush()
}

// WriteStatus writes a status packet: edXML › edXMLEnvelope › edXMLHeader ›
// Status with From, ResponseFor, StaffInfo, StatusCode, Description and
// Timestamp. edXML has one Description: a refusal (02) carries its reason
// there and no description, every other code its description and no
// reason; anything else gives [ErrNotExpressible].
func WriteStatus(w io.Writer, st *Status) error {
	u := &st.Update
	switch {
	case u.From == "" || u.Document.Organ == "" || u.Document.Date.IsZero() || u.Document.Number == "":
		return errAt(ErrNotExpressible, "", "a status needs its sender and the document it is about")
	case !u.Code.Valid():
		return errAt(ErrNotExpressible, "", "not one of the status codes 01-06, 13, 15, 16")
	case u.Time.IsZero():
		return errAt(ErrNotExpressible, "", "a status needs its time")
	}
	if u.Code == document.StatusRefused && u.Description != "" {
		return errAt(ErrNotExpressible, "", "a refusal (02) carries its reason in Description and has no other description")
	}
	if u.Code != document.StatusRefused && u.Reason != "" {
		return errAt(ErrNotExpressible, "", "only a refusal (02) carries a reason")
	}
	if err := writeStatus(newXW(io.Discard, st.Extras), st); err != nil {
		return err
	}
	x := newXW(w, st.Extras)
	if err := writeStatus(x, st); err != nil {
		return err
	}
	return x.flush()
}

// xw writes elements and puts the extras back.
type xw struct {
	w      *bufio.Writer
	extras map[string][]int
	all    []Extra
	done   []bool
	err    error
}

func newXW(w io.Writer, extras []Extra) *xw {
	x := &xw{w: bufio.NewWriter(w), extras: map[string][]int{}, all: extras, done: make([]bool, len(extras))}
	for i, e := range extras {
		x.extras[e.Path] = append(x.extras[e.Path], i)
	}
	return x
}

func (x *xw) raw(s string) {
	if x.err == nil {
		_, x.err = x.w.WriteString(s)
	}
}

func (x *xw) escaped(s string) {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	x.raw(b.String())
}

// hasExtras reports extras at path or below it.
func (x *xw) hasExtras(path string) bool {
	for p := range x.extras {
		if p == path || strings.HasPrefix(p, path+"/") {
			return true
		}
	}
	return false
}

// supersedes reports an element extra called local at path, which takes
// the place of the value the writer would compute.
func (x *xw) supersedes(path, local string) bool {
	for _, i := range x.extras[path] {
		if x.all[i].Name == local {
			return true
		}
	}
	return false
}

func (x *xw) open(path, local, decl string) {
	x.raw("<edXML:" + local + decl)
	k := 0
	for _, i := range x.extras[path] {
		e := x.all[i]
		if e.Attr == "" {
			continue
		}
		x.done[i] = true
		name, adecl := e.Attr, ""
		if strings.HasPrefix(name, "{") {
			end := strings.IndexByte(name, '}')
			name, adecl = qname(name[1:end], name[end+1:], "a"+strconv.Itoa(k))
			k++
		}
		x.raw(adecl + " " + name + `="`)
		x.escaped(e.Value)
		x.raw(`"`)
	}
	x.raw(">\n")
}

// named writes the element extras called local at path, in place.
func (x *xw) named(path, local string) {
	for _, i := range x.extras[path] {
		if e := x.all[i]; e.Attr == "" && e.Name == local && !x.done[i] {
			x.done[i] = true
			x.raw(e.XML)
		}
	}
}

func (x *xw) close(path, local string) {
	for _, i := range x.extras[path] {
		if e := x.all[i]; e.Attr == "" && !x.done[i] {
			x.done[i] = true
			x.raw(e.XML)
		}
	}
	x.raw("</edXML:" + local + ">\n")
}

// leaf writes a value; empty values and values an extra supersedes are
// left out, and the text "null" is refused.
func (x *xw) leaf(path, local, value string) {
	if x.supersedes(path, local) {
		x.named(path, local)
		return
	}
	if value == "" {
		return
	}
	if strings.EqualFold(value, "null") && x.err == nil {
		// Producers write null for no value, and so it is read.
		x.err = errAt(ErrNotExpressible, path+"/"+local, "the text null reads as no value in edXML")
	}
	x.raw("<edXML:" + local + ">")
	x.escaped(value)
	x.raw("</edXML:" + local + ">")
}

func (x *xw) flush() error {
	if x.err != nil {
		return x.err
	}
	return x.w.Flush()
}

// finish refuses extras that found no place.
func (x *xw) finish() error {
	for i, d := range x.done {
		if !d {
			return errAt(ErrNotExpressible, x.all[i].Path, "a kept element has no place in the packet")
		}
	}
	return x.err
}

const rootDecl = ` xmlns:edXML="` + Namespace + `"`

func writeDocument(x *xw, doc *Document, open func(i int) (io.Reader, error)) error {
	m := &doc.Metadata
	x.raw(xml.Header)
	x.open("", "edXML", rootDecl)
	env := "edXMLEnvelope"
	x.open(env, "edXMLEnvelope", "")
	head := env + "/edXMLHeader"
	x.open(head, "edXMLHeader", "")
	writeMessage(x, head+"/MessageHeader", m)
	writeTrace(x, head+"/TraceHeaderList", doc)
	x.close(head, "edXMLHeader")
	body := env + "/edXMLBody"
	if len(doc.Attachments) > 0 || x.hasExtras(body) {
		x.open(body, "edXMLBody", "")
		man := body + "/edXMLManifest"
		if len(doc.Attachments) > 0 || x.hasExtras(man) {
			x.open(man, "edXMLManifest", "")
			for i, a := range doc.Attachments {
				p := man + "/Reference[" + strconv.Itoa(i+1) + "]"
				x.open(p, "Reference", "")
				writeAttMeta(x, p, a)
				x.close(p, "Reference")
			}
			x.close(man, "edXMLManifest")
		}
		x.close(body, "edXMLBody")
	}
	x.close(env, "edXMLEnvelope")
	n := 0
	for _, a := range doc.Attachments {
		if a.Included {
			n++
		}
	}
	if n > 0 || x.hasExtras("AttachmentEncoded") {
		x.open("AttachmentEncoded", "AttachmentEncoded", "")
		k := 0
		for i, a := range doc.Attachments {
			if !a.Included {
				continue
			}
			k++
			p := "AttachmentEncoded/Attachment[" + strconv.Itoa(k) + "]"
			x.open(p, "Attachment", "")
			writeAttMeta(x, p, a)
			x.raw("<edXML:ContentTransferEncoded>")
			if open != nil && x.err == nil {
				if err := copyBase64(x.w, open, i, a); err != nil {
					return errAt(ErrAttachment, p, "%v", err)
				}
			}
			x.raw("</edXML:ContentTransferEncoded>")
			x.close(p, "Attachment")
		}
		x.close("AttachmentEncoded", "AttachmentEncoded")
	}
	x.close("", "edXML")
	return x.finish()
}

// copyBase64 streams an attachment's content into the packet and, when
// the attachment states a size or hash, checks the content against them.
func copyBase64(w io.Writer, open func(i int) (io.Reader, error), i int, a Attachment) error {
	r, err := open(i)
	if err != nil {
		return err
	}
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	h := sha256.New()
	enc := base64.NewEncoder(base64.StdEncoding, w)
	n, err := io.Copy(io.MultiWriter(enc, h), r)
	if err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if a.Size != 0 && n != a.Size {
		return fmt.Errorf("content of %d bytes, the attachment says %d", n, a.Size)
	}
	if a.SHA256 != ([32]byte{}) && [32]byte(h.Sum(nil)) != a.SHA256 {
		return errors.New("content does not match the attachment's SHA-256")
	}
	return nil
}

func writeAttMeta(x *xw, p string, a Attachment) {
	x.leaf(p, "ContentId", a.ContentID)
	x.leaf(p, "AttachmentName", a.Name)
	x.leaf(p, "ContentType", a.ContentType)
	x.leaf(p, "Description", a.Description)
}

func writeMessage(x *xw, mh string, m *document.Metadata) {
	x.open(mh, "MessageHeader", "")
	from := mh + "/From"
	x.open(from, "From", "")
	x.leaf(from, "OrganId", string(m.From.Code))
	x.named(from, "OrganizationInCharge")
	x.leaf(from, "OrganName", m.From.Name)
	x.close(from, "From")
	for i, r := range m.To {
		p := mh + "/To[" + strconv.Itoa(i+1) + "]"
		x.open(p, "To", "")
		x.leaf(p, "OrganId", string(r.Code))
		x.named(p, "OrganizationInCharge")
		x.leaf(p, "OrganName", r.Name)
		x.close(p, "To")
	}
	if code := mh + "/Code"; m.CodeNumber != "" || m.CodeNotation != "" || x.hasExtras(code) {
		x.open(code, "Code", "")
		x.leaf(code, "CodeNumber", m.CodeNumber)
		x.leaf(code, "CodeNotation", m.CodeNotation)
		x.close(code, "Code")
	}
	if p := mh + "/PromulgationInfo"; m.Promulgation.Place != "" || !m.Promulgation.Date.IsZero() || x.hasExtras(p) {
		x.open(p, "PromulgationInfo", "")
		x.leaf(p, "Place", m.Promulgation.Place)
		x.leaf(p, "PromulgationDate", dateText(m.Promulgation.Date))
		x.close(p, "PromulgationInfo")
	}
	dt := mh + "/DocumentType"
	x.open(dt, "DocumentType", "")
	for i, t := range document.Types() {
		if t.Type == m.Type {
			x.leaf(dt, "Type", strconv.Itoa(i+1))
		}
	}
	x.named(dt, "TypeDetail")
	x.leaf(dt, "TypeName", m.PrintedTypeName())
	x.close(dt, "DocumentType")
	x.leaf(mh, "Subject", m.Subject)
	x.named(mh, "Content")
	if p := mh + "/SignerInfo"; m.Signer != (document.Signer{}) || x.hasExtras(p) {
		x.open(p, "SignerInfo", "")
		x.leaf(p, "Competence", m.Signer.Competence)
		x.leaf(p, "Position", m.Signer.Position)
		x.leaf(p, "FullName", m.Signer.FullName)
		x.close(p, "SignerInfo")
	}
	x.leaf(mh, "DueDate", dateText(m.DueDate))
	if p := mh + "/ToPlaces"; len(m.ToPlaces) > 0 || x.hasExtras(p) {
		x.open(p, "ToPlaces", "")
		for _, pl := range m.ToPlaces {
			x.leaf(p, "Place", pl)
		}
		x.close(p, "ToPlaces")
	}
	oi := mh + "/OtherInfo"
	x.open(oi, "OtherInfo", "")
	x.leaf(oi, "Priority", strconv.Itoa(int(m.Priority)))
	x.named(oi, "SphereOfPromulgation")
	x.named(oi, "TyperNotation")
	x.leaf(oi, "PromulgationAmount", positive(m.PromulgationAmount))
	x.leaf(oi, "PageAmount", positive(m.PageAmount))
	x.named(oi, "Direction")
	if p := oi + "/Appendixes"; len(m.Appendixes) > 0 || x.hasExtras(p) {
		x.open(p, "Appendixes", "")
		for _, a := range m.Appendixes {
			x.leaf(p, "Appendix", a)
		}
		x.close(p, "Appendixes")
	}
	x.close(oi, "OtherInfo")
	x.leaf(mh, "SteeringType", strconv.Itoa(int(m.SteeringType)))
	if p := mh + "/ResponseFor[1]"; !m.ResponseFor.IsZero() || x.hasExtras(p) {
		writeRef(x, p, m.ResponseFor)
	}
	x.leaf(mh, "DocumentId", idText(m.ID()))
	x.close(mh, "MessageHeader")
}

// writeRef writes a ResponseFor: the document's sender, "number/notation",
// date and DocumentId.
func writeRef(x *xw, p string, ref document.DocumentRef) {
	x.open(p, "ResponseFor", "")
	if !ref.IsZero() {
		x.leaf(p, "OrganId", string(ref.Organ))
		x.leaf(p, "Code", document.FormatNumberNotation(ref.Number, ref.Notation))
		x.leaf(p, "PromulgationDate", dateText(ref.Date))
	}
	x.leaf(p, "DocumentId", idText(ref))
	x.close(p, "ResponseFor")
}

func writeTrace(x *xw, tl string, doc *Document) {
	x.open(tl, "TraceHeaderList", "")
	for i, h := range doc.Trace {
		p := tl + "/TraceHeader[" + strconv.Itoa(i+1) + "]"
		x.open(p, "TraceHeader", "")
		x.leaf(p, "OrganId", h.Organ)
		x.leaf(p, "Timestamp", timeText(h.Time))
		x.close(p, "TraceHeader")
	}
	b := &doc.Metadata.Business
	bp := tl + "/Bussiness"
	x.open(bp, "Bussiness", "")
	x.leaf(bp, "BussinessDocType", strconv.Itoa(int(b.Type)))
	x.leaf(bp, "BussinessDocReason", b.Reason)
	switch b.Type {
	case document.BusinessRecall, document.BusinessUpdate:
		for _, d := range b.Documents {
			x.leaf(bp, "DocumentId", idText(d))
		}
	case document.BusinessReplace:
		lp := bp + "/ReplacementInfoList"
		x.open(lp, "ReplacementInfoList", "")
		for i, d := range b.Documents {
			p := lp + "/ReplacementInfo[" + strconv.Itoa(i+1) + "]"
			x.open(p, "ReplacementInfo", "")
			x.leaf(p, "DocumentId", idText(d))
			x.close(p, "ReplacementInfo")
		}
		x.close(lp, "ReplacementInfoList")
	}
	x.close(bp, "Bussiness")
	x.close(tl, "TraceHeaderList")
}

func writeStatus(x *xw, st *Status) error {
	u := &st.Update
	x.raw(xml.Header)
	x.open("", "edXML", rootDecl)
	env := "edXMLEnvelope"
	x.open(env, "edXMLEnvelope", "")
	head := env + "/edXMLHeader"
	x.open(head, "edXMLHeader", "")
	el := st.Element
	if el == "" {
		el = "Status"
	}
	sp := head + "/" + el
	x.open(sp, el, "")
	from := sp + "/From"
	x.open(from, "From", "")
	x.leaf(from, "OrganId", string(u.From))
	x.close(from, "From")
	writeRef(x, sp+"/ResponseFor[1]", u.Document)
	if p := sp + "/StaffInfo"; u.Staff != "" || x.hasExtras(p) {
		x.open(p, "StaffInfo", "")
		x.named(p, "Department")
		x.leaf(p, "Staff", u.Staff)
		x.close(p, "StaffInfo")
	}
	x.leaf(sp, "StatusCode", string(u.Code))
	x.leaf(sp, "Description", u.Description+u.Reason)
	x.leaf(sp, "Timestamp", timeText(u.Time))
	x.close(sp, el)
	x.close(head, "edXMLHeader")
	x.close(env, "edXMLEnvelope")
	x.close("", "edXML")
	return x.finish()
}

func dateText(d document.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.Slashed()
}

// idText writes an id, or nothing for one that is not complete (a
// document without a date or with an OrganId that is not a code).
func idText(id document.DocumentID) string {
	if id.Check() != nil {
		return ""
	}
	return id.String()
}

// timeText writes an instant as xs:dateTime in Vietnam time, keeping its
// fraction of a second.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(document.VietnamTime).Format(time.RFC3339Nano)
}

func positive(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}
