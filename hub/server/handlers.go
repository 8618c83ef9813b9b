package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"lienthong/certs"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// The handlers decode a request, call the relay and encode its answer: the
// rules are package relay's, and errors become wire codes in errors.go.

func (s *Server) hello(w http.ResponseWriter, r *request) error {
	h := s.relay.Hello(r.Context(), r.agency)
	return writeJSON(w, http.StatusOK, wire.Hello{Version: wire.Version, Agency: string(h.Agency), AgencyName: h.AgencyName,
		HubTime: h.HubTime, MaxAttachment: s.limits.of(r.agency).MaxAttachment, AttachmentTypes: h.AttachmentTypes,
		MaxInline: wire.MaxInline})
}

// uploadParams reads {sha256} and the size query parameter.
func (s *Server) uploadParams(r *request) (digest string, size int64, err error) {
	digest = r.PathValue("sha256")
	if !envelope.ValidSHA256(digest) {
		return "", 0, fmt.Errorf("%w: the path must name a SHA-256 in lower-case hexadecimal", errBadRequest)
	}
	size, err = strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
	if err != nil || size <= 0 {
		return "", 0, fmt.Errorf("%w: size must be a positive number of bytes", errBadRequest)
	}
	if max := s.limits.of(r.agency).MaxAttachment; size > max {
		return "", 0, fmt.Errorf("%w: an attachment of %d bytes is over the limit of %d", store.ErrTooLarge, size, max)
	}
	return digest, size, nil
}

func writeUpload(w http.ResponseWriter, st relay.UploadState) error {
	return writeJSON(w, http.StatusOK, wire.UploadState{SHA256: st.Digest, Size: st.Size, Offset: st.Offset, Done: st.Done})
}

func (s *Server) beginUpload(w http.ResponseWriter, r *request) error {
	digest, size, err := s.uploadParams(r)
	if err != nil {
		return err
	}
	st, err := s.relay.BeginUpload(r.Context(), r.agency, digest, size)
	if err != nil {
		return err
	}
	return writeUpload(w, st)
}

func (s *Server) appendUpload(w http.ResponseWriter, r *request) error {
	digest, size, err := s.uploadParams(r)
	if err != nil {
		return err
	}
	offset, err := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	if err != nil || offset < 0 || offset > size {
		return fmt.Errorf("%w: offset must be between 0 and the size", errBadRequest)
	}
	var st relay.UploadState
	if offset == 0 && r.ContentLength == size && size <= wire.WholeUpload {
		st, err = s.relay.PutWhole(r.Context(), r.agency, digest, size, r.Body)
	} else {
		st, err = s.relay.AppendUpload(r.Context(), r.agency, digest, size, offset, r.Body)
	}
	if err != nil {
		return err
	}
	return writeUpload(w, st)
}

// readBody reads a request body of at most limit bytes into memory. The
// bytes are counted against the hub's budget for bodies held in memory
// (Options.MaxBodyMemory) until the request ends: past it the request is
// refused unavailable, before its body is read. A body that declares more
// than limit is refused at once.
func (s *Server) readBody(r *request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, fmt.Errorf("%w: the body declares %d bytes, over %d", store.ErrTooLarge, r.ContentLength, limit)
	}
	reserve := limit + 1
	if r.ContentLength >= 0 {
		reserve = r.ContentLength + 1 // one more to see a body longer than declared
	}
	if !s.memory.take(reserve) {
		return nil, fmt.Errorf("%w: too many request bodies held in memory", errOverloaded)
	}
	r.held += reserve
	buf := make([]byte, reserve)
	n, err := io.ReadFull(r.Body, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("%w: reading the body: %w", errBadRequest, err)
	}
	if int64(n) > limit {
		return nil, fmt.Errorf("%w: the body is over %d bytes", store.ErrTooLarge, limit)
	}
	return buf[:n], nil
}

func (s *Server) submit(w http.ResponseWriter, r *request) error {
	packet, inline, err := s.readSubmission(r)
	if err != nil {
		return err
	}
	res, err := s.relay.Submit(r.Context(), r.agency, packet, inline, s.limits.of(r.agency).MaxAttachment)
	if err != nil {
		return err
	}
	out := wire.Submitted{MessageID: res.MessageID, Existed: res.Existed, Receipt: res.Receipt}
	for _, o := range res.Recalls {
		out.Recalls = append(out.Recalls, wire.RecallOutcome{MessageID: o.Target, Withdrawn: store.CodeStrings(o.Withdrawn), AlreadyAcked: store.CodeStrings(o.AlreadyAcked)})
	}
	return writeJSON(w, http.StatusOK, out)
}

// messageID reads the {id} of a message's path.
func messageID(r *request) (string, error) {
	id := r.PathValue("id")
	if !envelope.ValidMessageID(id) {
		return "", fmt.Errorf("%w: malformed message id", errBadRequest)
	}
	return id, nil
}

func (s *Server) message(w http.ResponseWriter, r *request) error {
	id, err := messageID(r)
	if err != nil {
		return err
	}
	packet, err := s.relay.Message(r.Context(), r.agency, id)
	if err != nil {
		return err
	}
	return writeBody(w, http.StatusOK, wire.ContentPacket, packet)
}

func (s *Server) attachment(w http.ResponseWriter, r *request) error {
	id, err := messageID(r)
	if err != nil {
		return err
	}
	digest := r.PathValue("sha256")
	f, ctype, err := s.relay.Attachment(r.Context(), r.agency, id, digest)
	if err != nil {
		return err
	}
	defer f.Close()
	// Saved, never shown inline, and under a name the hub chooses: the
	// digest the relay checked, with the extension of the content type the
	// sender signed and the hub checked the bytes against (a PDF, an
	// allowed office file, or the edXML packet a message came as, which is
	// served here too so that a large one can be fetched in ranges).
	ext := envelope.Extension(ctype)
	if ctype == wire.ContentEdXML {
		ext = ".edxml"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+digest+ext+`"`)
	w.Header().Set("ETag", `"`+digest+`"`)
	jw := &refusalWriter{ResponseWriter: w}
	http.ServeContent(jw, r.Request, "", time.Time{}, f)
	if jw.refused != 0 {
		return fmt.Errorf("%w: the range or precondition cannot be satisfied (HTTP %d)", errBadRequest, jw.refused)
	}
	return nil
}

// refusalWriter keeps http.ServeContent's refusals (a range beyond the
// file, a failed precondition), which it answers in plain text, so that
// they are answered as errors in JSON like every other.
type refusalWriter struct {
	http.ResponseWriter
	refused int
}

func (rw *refusalWriter) WriteHeader(code int) {
	if code >= 400 {
		rw.refused = code
		return
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *refusalWriter) Write(b []byte) (int, error) {
	if rw.refused != 0 {
		return len(b), nil
	}
	return rw.ResponseWriter.Write(b)
}

func (s *Server) ack(w http.ResponseWriter, r *request) error {
	id, err := messageID(r)
	if err != nil {
		return err
	}
	res, err := s.relay.Ack(r.Context(), r.agency, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.Acked{MessageID: res.MessageID, Existed: res.Existed, Receipt: res.Receipt})
}

func (s *Server) receipts(w http.ResponseWriter, r *request) error {
	id, err := messageID(r)
	if err != nil {
		return err
	}
	list, err := s.relay.Receipts(r.Context(), r.agency, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.Receipts{Receipts: list})
}

// pollParams reads after, limit and wait.
func pollParams(r *request) (after uint64, limit int, wait time.Duration, err error) {
	if after, err = cursorParam(r, "after"); err != nil {
		return 0, 0, 0, err
	}
	limit, wait, err = pageParams(r)
	return after, limit, wait, err
}

// cursorParam reads the cursor in the query parameter name, 0 if absent.
func cursorParam(r *request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	after, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s must be a cursor", errBadRequest, name)
	}
	return after, nil
}

// pageParams reads a listing's limit and a long poll's wait.
func pageParams(r *request) (limit int, wait time.Duration, err error) {
	q := r.URL.Query()
	limit = 100
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return 0, 0, fmt.Errorf("%w: limit must be a positive number", errBadRequest)
		}
	}
	limit = min(limit, wire.MaxPageSize)
	wait, ok := wire.ParseWait(q.Get("wait"))
	if !ok {
		return 0, 0, fmt.Errorf("%w: wait must be a number of seconds", errBadRequest)
	}
	return limit, wait, nil
}

func (s *Server) inbox(w http.ResponseWriter, r *request) error {
	after, limit, wait, err := pollParams(r)
	if err != nil {
		return err
	}
	inline, err := inlineParam(r)
	if err != nil {
		return err
	}
	items, next, err := s.relay.Inbox(r.Context(), r.agency, after, limit, wait)
	if err == nil && inline {
		err = s.relay.InlineAttachments(r.Context(), r.agency, items)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, inboxAnswer(items, next))
}

// inlineParam reads wire.QueryInline: whether the caller asks for small
// documents' attachments in their inbox items.
func inlineParam(r *request) (bool, error) {
	switch r.URL.Query().Get(wire.QueryInline) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, fmt.Errorf("%w: %s must be 1 or 0", errBadRequest, wire.QueryInline)
}

// inboxAnswer is the inbox's items as the API gives them.
func inboxAnswer(items []relay.InboxItem, next uint64) wire.Inbox {
	out := wire.Inbox{Items: make([]wire.InboxItem, 0, len(items)), Next: next}
	for _, it := range items {
		item := wire.InboxItem{Cursor: it.Cursor, MessageID: it.MessageID, Sender: string(it.Sender), Packet: it.Packet, Report: it.Report}
		for _, b := range it.Inline {
			item.Inline = append(item.Inline, wire.InlineAttachment{SHA256: b.Digest, Data: b.Data})
		}
		if ref, ok := relay.EdXMLRefOf(it.Packet); ok {
			// Sent as edXML: the packet is fetched and verified apart.
			item.Packet, item.EdXML = nil, &ref
		}
		out.Items = append(out.Items, item)
	}
	return out
}

// updates long-polls the inbox and the statuses at once.
func (s *Server) updates(w http.ResponseWriter, r *request) error {
	inboxAfter, err := cursorParam(r, "inbox_after")
	if err != nil {
		return err
	}
	statusesAfter, err := cursorParam(r, "statuses_after")
	if err != nil {
		return err
	}
	limit, wait, err := pageParams(r)
	if err != nil {
		return err
	}
	inline, err := inlineParam(r)
	if err != nil {
		return err
	}
	u, err := s.relay.Updates(r.Context(), r.agency, inboxAfter, statusesAfter, limit, wait)
	if err == nil && inline {
		err = s.relay.InlineAttachments(r.Context(), r.agency, u.Inbox)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.Updates{Inbox: inboxAnswer(u.Inbox, u.InboxNext), Statuses: statusesAnswer(u.Statuses, u.StatusesNext)})
}

func (s *Server) postStatus(w http.ResponseWriter, r *request) error {
	packet, err := s.readBody(r, envelope.MaxPacketSize)
	if err != nil {
		return err
	}
	existed, err := s.relay.PostStatus(r.Context(), r.agency, packet)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.StatusAccepted{Existed: existed})
}

func (s *Server) statuses(w http.ResponseWriter, r *request) error {
	after, limit, wait, err := pollParams(r)
	if err != nil {
		return err
	}
	list, next, err := s.relay.Statuses(r.Context(), r.agency, after, limit, wait)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, statusesAnswer(list, next))
}

// statusesAnswer is the statuses as the API gives them.
func statusesAnswer(list []store.StatusUpdate, next uint64) wire.Statuses {
	out := wire.Statuses{Items: make([]wire.StatusItem, 0, len(list)), Next: next}
	for _, st := range list {
		item := wire.StatusItem{Cursor: st.Cursor, MessageID: st.MessageID, From: string(st.From),
			Code: string(st.Code), Reason: st.Reason, At: st.At, Packet: st.Signed}
		if packet, sig, ok := relay.EdXMLStatus(st.Signed); ok {
			item.Packet, item.Format, item.Signature = packet, wire.FormatEdXML, sig
		}
		out.Items = append(out.Items, item)
	}
	return out
}

func (s *Server) ackStatuses(w http.ResponseWriter, r *request) error {
	body, err := s.readBody(r, 64<<10)
	if err != nil {
		return err
	}
	var req wire.AckStatuses
	if err := json.Unmarshal(body, &req); err != nil || len(req.Cursors) > wire.MaxPageSize {
		return fmt.Errorf("%w: want {\"cursors\": [...]} with at most %d cursors", errBadRequest, wire.MaxPageSize)
	}
	if err := s.relay.AckStatuses(r.Context(), r.agency, req.Cursors); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) sent(w http.ResponseWriter, r *request) error {
	after, limit, _, err := pollParams(r)
	if err != nil {
		return err
	}
	items, next, err := s.relay.Sent(r.Context(), r.agency, after, limit)
	if err != nil {
		return err
	}
	out := wire.Sent{Items: make([]wire.SentItem, 0, len(items)), Next: next}
	for _, it := range items {
		item := wire.SentItem{Cursor: it.Cursor, MessageID: it.MessageID, Received: it.Received}
		for _, rs := range it.Recipients {
			item.Recipients = append(item.Recipients, wire.RecipientState{Agency: string(rs.Agency), Delivery: rs.Delivery.String(),
				AckedAt: rs.AckedAt, LastCode: string(rs.LastCode), UpdatedAt: rs.UpdatedAt})
		}
		out.Items = append(out.Items, item)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) directory(w http.ResponseWriter, r *request) error {
	list, err := s.relay.Directory(r.Context())
	if err != nil {
		return err
	}
	out := wire.Directory{Agencies: make([]wire.Agency, 0, len(list))}
	for _, a := range list {
		wa := wire.Agency{Code: string(a.Code), Name: a.Name, Parent: string(a.Parent),
			Level: a.Level, Active: a.Active, SupersededBy: string(a.SupersededBy)}
		if a.Closed() {
			wa.ClosedOn = store.Day(a.ClosedOn)
		}
		for _, c := range a.Certificates {
			wa.Certificates = append(wa.Certificates, wire.AgencyCertificate{SHA256: c.SHA256.String(), Role: string(c.Role), Person: c.Person})
		}
		out.Agencies = append(out.Agencies, wa)
	}
	if roots := s.opts.Verifier.ForeignRoots(); len(roots) > 0 {
		out.ForeignRoots = string(certs.EncodeCertificatesPEM(roots...))
	}
	body, err := json.Marshal(out)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return writeBody(w, http.StatusOK, wire.ContentJSON, body)
}

// directoryHistory answers every version of one code's directory entry
// with the bytes its log entry commits to.
func (s *Server) directoryHistory(w http.ResponseWriter, r *request) error {
	code := certs.AgencyCode(r.PathValue("code"))
	hist, err := s.relay.DirectoryHistory(r.Context(), code)
	if err != nil {
		return err
	}
	out := wire.DirectoryHistory{Code: string(code), Versions: make([]wire.DirectoryVersion, 0, len(hist))}
	for _, ch := range hist {
		out.Versions = append(out.Versions, wire.DirectoryVersion{At: ch.At, LogIndex: ch.LogIndex, Record: ch.Record})
	}
	return writeJSON(w, http.StatusOK, out)
}

// openAPI serves the API's own description, the document other vendors
// implement.
func (s *Server) openAPI(w http.ResponseWriter, _ *request) error {
	w.Header().Set("Content-Type", wire.ContentOpenAPI)
	_, err := w.Write(wire.OpenAPI)
	return err
}
