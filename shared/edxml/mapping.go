package edxml

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"lienthong/shared/document"
)

// message maps a MessageHeader to the metadata.
func (rd *reader) message(msg kid, m *document.Metadata) error {
	m.Version = document.SchemaVersion
	n, path := msg.n, msg.path
	from, err := rd.child(n, path, "From")
	if err != nil {
		return err
	}
	if from.n != nil {
		if m.From.Code, err = rd.organ(from.n, from.path); err != nil {
			return err
		}
		if m.From.Name, _, err = rd.text(from.n, from.path, "OrganName"); err != nil {
			return err
		}
	}
	if m.From.Code == "" {
		return errAt(ErrMissing, path+"/From/OrganId", "no sender")
	}
	for _, to := range rd.children(n, path, "To") {
		code, err := rd.organ(to.n, to.path)
		if err != nil {
			return err
		}
		name, _, err := rd.text(to.n, to.path, "OrganName")
		if err != nil {
			return err
		}
		if code == "" {
			return errAt(ErrMissing, to.path+"/OrganId", "a recipient without its code")
		}
		m.To = append(m.To, document.Recipient{Code: code, Name: name})
	}
	if len(m.To) == 0 {
		return errAt(ErrMissing, path+"/To", "no recipient")
	}
	code, err := rd.child(n, path, "Code")
	if err != nil {
		return err
	}
	if code.n != nil && len(code.n.elems()) == 0 && strings.TrimSpace(code.n.value()) != "" {
		// Some producers write the code as one text, "Number/Notation".
		v := strings.TrimSpace(code.n.value())
		if num, not, err := document.ParseNumberNotation(v); err == nil {
			markAll(code.n)
			m.CodeNumber, m.CodeNotation = num, not
			rd.warn(code.path, WarnCodeForm, "read as CodeNumber and CodeNotation")
		}
	} else if code.n != nil {
		if m.CodeNumber, _, err = rd.text(code.n, code.path, "CodeNumber"); err != nil {
			return err
		}
		if m.CodeNotation, _, err = rd.text(code.n, code.path, "CodeNotation"); err != nil {
			return err
		}
	}
	prom, err := rd.child(n, path, "PromulgationInfo")
	if err != nil {
		return err
	}
	if prom.n != nil {
		if m.Promulgation.Place, _, err = rd.text(prom.n, prom.path, "Place"); err != nil {
			return err
		}
		if m.Promulgation.Date, err = rd.date(prom.n, prom.path, "PromulgationDate"); err != nil {
			return err
		}
	}
	if err := rd.docType(n, path, m); err != nil {
		return err
	}
	if m.Subject, _, err = rd.text(n, path, "Subject"); err != nil {
		return err
	}
	signer, err := rd.child(n, path, "SignerInfo")
	if err != nil {
		return err
	}
	if signer.n != nil {
		for _, f := range []struct {
			name string
			dst  *string
		}{{"Competence", &m.Signer.Competence}, {"Position", &m.Signer.Position}, {"FullName", &m.Signer.FullName}} {
			if *f.dst, _, err = rd.text(signer.n, signer.path, f.name); err != nil {
				return err
			}
		}
	}
	if m.DueDate, err = rd.date(n, path, "DueDate"); err != nil {
		return err
	}
	places, err := rd.child(n, path, "ToPlaces")
	if err != nil {
		return err
	}
	if m.ToPlaces, err = rd.list(places, "Place"); err != nil {
		return err
	}
	other, err := rd.child(n, path, "OtherInfo")
	if err != nil {
		return err
	}
	if other.n != nil {
		p, err := rd.number(other.n, other.path, "Priority", int(document.UrgencyFlashScheduled))
		if err != nil {
			return err
		}
		m.Priority = document.Urgency(p)
		if m.PromulgationAmount, err = rd.number(other.n, other.path, "PromulgationAmount", 1<<30); err != nil {
			return err
		}
		if m.PageAmount, err = rd.number(other.n, other.path, "PageAmount", 1<<30); err != nil {
			return err
		}
		apps, err := rd.child(other.n, other.path, "Appendixes")
		if err != nil {
			return err
		}
		if m.Appendixes, err = rd.list(apps, "Appendix"); err != nil {
			return err
		}
	}
	st, err := rd.number(n, path, "SteeringType", int(document.SteeringReport))
	if err != nil {
		return err
	}
	m.SteeringType = document.Steering(st)
	// The model answers one document: the first ResponseFor maps when it
	// names one, and every other stays as written.
	for i, rf := range rd.children(n, path, "ResponseFor") {
		if i > 0 {
			unuse(rf.n)
			continue
		}
		ref, ok, err := rd.ref(rf, "DocumentId")
		if err != nil {
			return err
		}
		if !ok {
			unuse(rf.n)
			rd.warn(rf.path, WarnDocumentID, "names no document that can be read; kept as written")
			continue
		}
		m.ResponseFor = ref
	}
	// The DocumentId is derived from the fields above; one that differs
	// is kept as written.
	id, err := rd.child(n, path, "DocumentId")
	if err != nil {
		return err
	}
	if id.n != nil {
		v := strings.TrimSpace(id.n.value())
		if parsed, err := document.ParseDocumentID(v); err != nil || parsed != m.ID() {
			rd.warn(id.path, WarnDocumentID, "not this document's OrganId,yyyy/MM/dd,Number/Notation; kept as written")
			id.n.used = false
		} else {
			markAll(id.n)
			if v != parsed.String() {
				rd.warn(id.path, WarnDateFormat, "date in DocumentId read as "+parsed.Date.Slashed())
			}
		}
	}
	return nil
}

// docType resolves the document type from TypeName, Type (the 1-based row
// of ND30 Appendix III, 18 for Công văn) or, failing both, the notation.
func (rd *reader) docType(n *node, path string, m *document.Metadata) error {
	dt, err := rd.child(n, path, "DocumentType")
	if err != nil {
		return err
	}
	types := document.Types()
	var byNum, byName document.DocType
	var name, numPath string
	if dt.n != nil {
		num, err := rd.number(dt.n, dt.path, "Type", 1<<20)
		if err != nil {
			return err
		}
		numPath = dt.path + "/Type"
		if num >= 1 && num <= len(types) {
			byNum = types[num-1].Type
		} else if num != 0 {
			rd.warn(numPath, WarnDocumentType, "not a row of ND30 Appendix III")
		}
		if name, _, err = rd.text(dt.n, dt.path, "TypeName"); err != nil {
			return err
		}
		if t, ok := document.TypeByName(name); ok {
			byName = t
		}
	}
	switch {
	case byName != "":
		m.Type = byName
		if byNum != "" && byNum != byName {
			rd.warn(numPath, WarnDocumentType, "Type and TypeName disagree; TypeName taken")
		}
		if name != byName.Name() {
			m.TypeName = name
		}
	case byNum != "":
		m.Type = byNum
		m.TypeName = name
	default:
		t, ok := document.TypeOfNotation(m.CodeNotation)
		if !ok {
			return errAt(ErrMissing, path+"/DocumentType", "no document type that can be read")
		}
		rd.warn(path+"/DocumentType", WarnDocumentType, "type taken from the notation")
		m.Type = t
		m.TypeName = name
	}
	if m.TypeName == m.Type.Name() {
		m.TypeName = ""
	}
	return nil
}

// list reads the repeated text children of a container, skipping empty
// ones with a warning.
func (rd *reader) list(k kid, local string) ([]string, error) {
	if k.n == nil {
		return nil, nil
	}
	var out []string
	for _, c := range rd.children(k.n, k.path, local) {
		markAll(c.n)
		raw := c.n.value()
		v := strings.TrimSpace(raw)
		if v != raw && v != "" {
			rd.warn(c.path, WarnWhitespace, "spaces or line breaks around the value removed")
		}
		if v == "" || strings.EqualFold(v, "null") {
			rd.warn(c.path, WarnEmpty, "empty entry skipped")
			continue
		}
		out = append(out, rd.nfc(c.path, v))
	}
	return out, nil
}

// trace maps the TraceHeaders and the Bussiness block.
func (rd *reader) trace(k kid, doc *Document) error {
	if k.n == nil {
		return nil
	}
	for _, th := range rd.children(k.n, k.path, "TraceHeader") {
		organ, p, err := rd.text(th.n, th.path, "OrganId")
		if err != nil {
			return err
		}
		if organ == "" {
			return errAt(ErrMissing, p, "a trace entry without its system")
		}
		ts, err := rd.timestamp(th.n, th.path, "Timestamp")
		if err != nil {
			return err
		}
		doc.Trace = append(doc.Trace, Hop{Organ: organ, Time: ts})
	}
	bus, err := rd.child(k.n, k.path, "Bussiness")
	if err != nil || bus.n == nil {
		return err
	}
	b := &doc.Metadata.Business
	t, err := rd.number(bus.n, bus.path, "BussinessDocType", int(document.BusinessReplace))
	if err != nil {
		return err
	}
	b.Type = document.BusinessType(t)
	if b.Reason, _, err = rd.text(bus.n, bus.path, "BussinessDocReason"); err != nil {
		return err
	}
	if b.Type == document.BusinessRecall || b.Type == document.BusinessUpdate {
		v, p, err := rd.text(bus.n, bus.path, "DocumentId")
		if err != nil {
			return err
		}
		if v != "" {
			id, err := document.ParseDocumentID(v)
			if err != nil {
				return errAt(ErrInvalid, p, "the document recalled or updated cannot be read")
			}
			b.Documents = append(b.Documents, id)
		}
	}
	if b.Type == document.BusinessReplace {
		list, err := rd.child(bus.n, bus.path, "ReplacementInfoList")
		if err != nil {
			return err
		}
		for _, ri := range rd.children(list.n, list.path, "ReplacementInfo") {
			v, p, err := rd.text(ri.n, ri.path, "DocumentId")
			if err != nil {
				return err
			}
			id, err := document.ParseDocumentID(v)
			if err != nil {
				return errAt(ErrInvalid, p, "a replaced document cannot be read")
			}
			b.Documents = append(b.Documents, id)
		}
	}
	return nil
}

// timestamp reads an instant: RFC 3339 (the form written), or yyyy/MM/dd
// HH:mm:ss and dd/MM/yyyy HH:mm:ss in Vietnam time with a warning.
func (rd *reader) timestamp(n *node, path, local string) (time.Time, error) {
	v, p, err := rd.text(n, path, local)
	if err != nil || v == "" {
		return time.Time{}, err
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05Z07:00", "2006/01/02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			rd.warn(p, WarnTimeFormat, "read as "+t.Format(time.RFC3339))
			return t, nil
		}
	}
	for _, layout := range []string{"2006/01/02 15:04:05", "02/01/2006 15:04:05", "2006-01-02 15:04:05",
		"2006-01-02T15:04:05", "2006/01/02", "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, v, document.VietnamTime); err == nil {
			rd.warn(p, WarnTimeFormat, "read as "+t.Format(time.RFC3339))
			return t, nil
		}
	}
	return time.Time{}, errAt(ErrInvalid, p, "not a timestamp")
}

// attachments joins the manifest's references with the attachments by
// ContentId.
func (rd *reader) attachments(manifest, enc kid, doc *Document) error {
	type ref struct {
		a    Attachment
		path string
		used bool
	}
	var refs []*ref
	byID := map[string]*ref{}
	for _, r := range rd.children(manifest.n, manifest.path, "Reference") {
		a := Attachment{Index: -1}
		id, _, err := rd.text(r.n, r.path, "ContentId")
		if err != nil {
			return err
		}
		if id == "" {
			for i, at := range r.n.attrs {
				if at.Name.Local == "href" {
					id = at.Value
					r.n.attrs = append(r.n.attrs[:i:i], r.n.attrs[i+1:]...)
					break
				}
			}
		}
		a.ContentID = contentID(id)
		if err := rd.attMeta(r, &a); err != nil {
			return err
		}
		rf := &ref{a: a, path: r.path}
		if a.ContentID != "" {
			if byID[a.ContentID] != nil {
				return errAt(ErrInvalid, r.path, "a ContentId listed twice")
			}
			byID[a.ContentID] = rf
		}
		refs = append(refs, rf)
	}
	seen := map[string]bool{}
	for _, at := range rd.children(enc.n, enc.path, "Attachment") {
		a := Attachment{Included: true, Index: -1}
		id, _, err := rd.text(at.n, at.path, "ContentId")
		if err != nil {
			return err
		}
		a.ContentID = contentID(id)
		if a.ContentID != "" && seen[a.ContentID] {
			return errAt(ErrInvalid, at.path, "a ContentId given to two attachments")
		}
		seen[a.ContentID] = true
		if err := rd.attMeta(at, &a); err != nil {
			return err
		}
		var data *node
		for _, c := range at.n.elems() {
			if c.att != nil {
				if data != nil {
					return errAt(ErrInvalid, at.path, "two contents in one attachment")
				}
				data = c
			}
		}
		if data == nil {
			return errAt(ErrMissing, at.path+"/ContentTransferEncoded", "an attachment without content")
		}
		markAll(data)
		for i, s := range rd.atts {
			if s == data.att {
				a.Index = i
				s.claimed = true
			}
		}
		a.Size, a.SHA256 = data.att.n, [32]byte(data.att.h.Sum(nil))
		if data.att.unpadded {
			rd.warn(at.path+"/"+data.local, WarnBase64, "padding missing")
		}
		if bytes.HasPrefix(data.att.head, []byte("PK\x03\x04")) {
			rd.warn(at.path, WarnZipped, "the content is a ZIP archive")
		}
		if r := byID[a.ContentID]; r != nil && a.ContentID != "" {
			r.used = true
			for _, f := range []struct {
				mine   *string
				theirs string
				what   string
			}{{&a.Name, r.a.Name, "AttachmentName"}, {&a.ContentType, r.a.ContentType, "ContentType"},
				{&a.Description, r.a.Description, "Description"}} {
				switch {
				case *f.mine == "":
					*f.mine = f.theirs
				case f.theirs != "" && f.theirs != *f.mine:
					rd.warn(at.path+"/"+f.what, WarnAttachmentMeta, "differs from the manifest; the attachment's taken")
				}
			}
		} else if manifest.n != nil {
			rd.warn(at.path, WarnAttachmentRef, "not listed in the manifest")
		}
		doc.Attachments = append(doc.Attachments, a)
	}
	for i, s := range rd.atts {
		if !s.claimed {
			// AttachmentEncoded where no packet has it: its content went
			// to a sink but belongs to no attachment.
			return errAt(ErrInvalid, "AttachmentEncoded", "attachment content %d outside the packet's AttachmentEncoded", i+1)
		}
	}
	for _, r := range refs {
		if !r.used {
			rd.warn(r.path, WarnAttachmentRef, "its content is not in the packet")
			doc.Attachments = append(doc.Attachments, r.a)
		}
	}
	// An attachment needs an id to be written again: give one to those
	// that came without.
	taken := map[string]bool{}
	for _, a := range doc.Attachments {
		taken[a.ContentID] = true
	}
	for i := range doc.Attachments {
		if doc.Attachments[i].ContentID != "" {
			continue
		}
		id := "attachment-" + strconv.Itoa(i+1)
		for taken[id] {
			id += "x"
		}
		taken[id] = true
		doc.Attachments[i].ContentID = id
		rd.warn(enc.path, WarnAttachmentRef, "an attachment without a ContentId given "+id)
	}
	return nil
}

func (rd *reader) attMeta(k kid, a *Attachment) error {
	var err error
	for _, f := range []struct {
		name string
		dst  *string
	}{{"AttachmentName", &a.Name}, {"ContentType", &a.ContentType}, {"Description", &a.Description}} {
		if *f.dst, _, err = rd.text(k.n, k.path, f.name); err != nil {
			return err
		}
	}
	return nil
}

// contentID strips "cid:" and angle brackets.
func contentID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "cid:") {
		s = s[4:]
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
}

// status maps a status block to a status update.
func (rd *reader) status(k kid) (*Status, error) {
	n, path := k.n, k.path
	st := &Status{Element: n.local}
	u := &st.Update
	from, err := rd.child(n, path, "From")
	if err != nil {
		return nil, err
	}
	if from.n != nil {
		if u.From, err = rd.organ(from.n, from.path); err != nil {
			return nil, err
		}
	}
	if u.From == "" {
		return nil, errAt(ErrMissing, path+"/From/OrganId", "no sender of the status")
	}
	rf, err := rd.child(n, path, "ResponseFor")
	if err != nil {
		return nil, err
	}
	if rf.n == nil {
		return nil, errAt(ErrMissing, path+"/ResponseFor", "the status names no document")
	}
	ref, ok, err := rd.ref(rf, "DocumentId")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errAt(ErrMissing, rf.path, "the status names no document that can be read")
	}
	u.Document = ref
	code, codePath, err := rd.text(n, path, "StatusCode")
	if err != nil {
		return nil, err
	}
	if code == "" {
		return nil, errAt(ErrMissing, codePath, "no status code")
	}
	if len(code) == 1 {
		code = "0" + code
		rd.warn(codePath, WarnStatusCode, "read as "+code)
	}
	u.Code = document.Status(code)
	if !u.Code.Valid() {
		return nil, errAt(ErrInvalid, codePath, "not one of the status codes 01-06, 13, 15, 16")
	}
	desc, _, err := rd.text(n, path, "Description")
	if err != nil {
		return nil, err
	}
	if u.Code == document.StatusRefused {
		u.Reason = desc
	} else {
		u.Description = desc
	}
	staff, err := rd.child(n, path, "StaffInfo")
	if err != nil {
		return nil, err
	}
	if staff.n != nil {
		if u.Staff, _, err = rd.text(staff.n, staff.path, "Staff"); err != nil {
			return nil, err
		}
	}
	if u.Time, err = rd.timestamp(n, path, "Timestamp"); err != nil {
		return nil, err
	}
	if u.Time.IsZero() {
		return nil, errAt(ErrMissing, path+"/Timestamp", "no time")
	}
	return st, nil
}

func markAll(n *node) {
	n.used = true
	for _, k := range n.kids {
		markAll(k)
	}
}

func unuse(n *node) {
	n.used = false
	for _, k := range n.kids {
		unuse(k)
	}
}
