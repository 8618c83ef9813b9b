package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

func (s *Server) hello(w http.ResponseWriter, r *request) error {
	h := wire.Hello{Version: wire.Version, Agency: string(r.agency), HubTime: s.now(), MaxAttachment: s.limits.of(r.agency).MaxAttachment}
	if a, err := s.opts.Store.Agency(r.Context(), r.agency); err == nil {
		h.AgencyName = a.Name
	}
	return writeJSON(w, http.StatusOK, h)
}

// uploadParams reads {sha256} and the size query parameter.
func (s *Server) uploadParams(r *request) (digest string, size int64, err error) {
	digest = r.PathValue("sha256")
	if !envelope.ValidSHA256(digest) {
		return "", 0, wire.Errorf(wire.CodeBadRequest, "the path must name a SHA-256 in lower-case hexadecimal")
	}
	size, err = strconv.ParseInt(r.URL.Query().Get("size"), 10, 64)
	if err != nil || size <= 0 {
		return "", 0, wire.Errorf(wire.CodeBadRequest, "size must be a positive number of bytes")
	}
	if max := s.limits.of(r.agency).MaxAttachment; size > max {
		return "", 0, wire.Errorf(wire.CodeTooLarge, "an attachment of %d bytes is over the limit of %d", size, max)
	}
	return digest, size, nil
}

func (s *Server) beginUpload(w http.ResponseWriter, r *request) error {
	digest, size, err := s.uploadParams(r)
	if err != nil {
		return err
	}
	up, err := s.opts.Store.BeginUpload(r.Context(), r.agency, digest, size)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.UploadState{SHA256: digest, Size: size, Offset: up.Offset, Done: up.Done})
}

func (s *Server) appendUpload(w http.ResponseWriter, r *request) error {
	digest, size, err := s.uploadParams(r)
	if err != nil {
		return err
	}
	offset, err := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	if err != nil || offset < 0 || offset > size {
		return wire.Errorf(wire.CodeBadRequest, "offset must be between 0 and the size")
	}
	ctx := r.Context()
	if offset == 0 && r.ContentLength == size && size <= wire.WholeUpload {
		return s.putWhole(w, r, digest, size)
	}
	up, err := s.opts.Store.BeginUpload(ctx, r.agency, digest, size)
	if err != nil {
		return err
	}
	if up.Done {
		return writeJSON(w, http.StatusOK, wire.UploadState{SHA256: digest, Size: size, Offset: size, Done: true})
	}
	// Read one byte past what the upload may still take, so that a body
	// longer than declared is caught instead of cut silently.
	body := io.LimitReader(r.Body, size-offset+1)
	n, err := s.opts.Store.AppendUpload(ctx, up, offset, body)
	if err != nil {
		return err
	}
	state := wire.UploadState{SHA256: digest, Size: size, Offset: n}
	if n == size {
		if _, err := s.opts.Store.CommitUpload(ctx, up); err != nil {
			return err
		}
		state.Done = true
		s.metrics.uploaded.Add(float64(size))
		s.log.Info("attachment stored", "agency", r.agency, "sha256", digest, "size", size)
	}
	return writeJSON(w, http.StatusOK, state)
}

// putWhole stores an attachment that one request carries whole (at most
// wire.WholeUpload bytes): written to a temporary file and renamed into
// place, it costs one fsync fewer than a resumable upload and no part
// file. If the request breaks off, the sender starts again from 0, which
// costs at most that much again.
func (s *Server) putWhole(w http.ResponseWriter, r *request, digest string, size int64) error {
	info, err := s.opts.Store.PutBlob(r.Context(), digest, &exactReader{r: r.Body, left: size})
	if err != nil {
		return err
	}
	if info.Size != size { // a blob already present under this digest
		return wire.Errorf(wire.CodeConflict, "attachment %s is stored with %d bytes, not %d", digest, info.Size, size)
	}
	s.metrics.uploaded.Add(float64(size))
	s.log.Info("attachment stored", "agency", r.agency, "sha256", digest, "size", size)
	return writeJSON(w, http.StatusOK, wire.UploadState{SHA256: digest, Size: size, Offset: size, Done: true})
}

// exactReader reads exactly left bytes from r: more is store.ErrTooLarge,
// fewer io.ErrUnexpectedEOF, so that a body that disagrees with its
// declared size is never stored.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left == 0 {
		var one [1]byte
		if n, _ := io.ReadFull(e.r, one[:]); n > 0 {
			return 0, fmt.Errorf("%w: the body is longer than the declared size", store.ErrTooLarge)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		err = nil // the end comes from the check above, at the next read
	}
	return n, err
}

// readBody reads a request body of at most limit bytes.
func readBody(r *request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "reading the body: %v", err)
	}
	if int64(len(b)) > limit {
		return nil, wire.Errorf(wire.CodeTooLarge, "the body is over %d bytes", limit)
	}
	return b, nil
}

func (s *Server) submit(w http.ResponseWriter, r *request) error {
	ctx := r.Context()
	packet, err := readBody(r, envelope.MaxPacketSize)
	if err != nil {
		return err
	}
	doc, signer, err := envelope.OpenDocument(packet, s.opts.Verifier, s.limits.of(r.agency).MaxAttachment)
	if err != nil {
		return err
	}
	if signer.Agency != r.agency {
		return wire.Errorf(wire.CodeSenderMismatch, "the packet is signed by %s but the connection is %s", signer.Agency, r.agency)
	}
	sum := sha256.Sum256(packet)
	envHash := hex.EncodeToString(sum[:])

	// A retry of an accepted submission skips the checks below: they were
	// made the first time, and the directory may have changed since.
	if m, err := s.opts.Store.Message(ctx, doc.MessageID); err == nil {
		if m.EnvelopeSHA256 != envHash {
			return wire.Errorf(wire.CodeConflict, "message id %s was already used for another packet", doc.MessageID)
		}
		// Accept answers a retry with the original result, recall
		// outcomes included.
		res, _, err := s.opts.Store.Accept(ctx, &m.Submission, nil)
		if err != nil {
			return err
		}
		return s.answerSubmitted(w, r, &m.Submission, res.LogIndex, res.Recalls, true, nil)
	}

	recipients := make([]certs.AgencyCode, 0, len(doc.Metadata.To))
	for _, to := range doc.Metadata.To {
		a, err := s.opts.Store.Agency(ctx, to.Code)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !a.Active) {
			return wire.Errorf(wire.CodeUnknownRecipient, "recipient %s is not an active agency in the directory", to.Code)
		}
		if err != nil {
			return err
		}
		recipients = append(recipients, to.Code)
	}
	report, err := s.checkAttachments(ctx, doc)
	if err != nil {
		return err
	}
	sub := &store.Submission{
		MessageID:      doc.MessageID,
		Sender:         r.agency,
		Recipients:     recipients,
		EnvelopeSHA256: envHash,
		Envelope:       packet,
		DocumentID:     doc.Metadata.ID().String(),
		Kind:           doc.Metadata.Business.Type,
		Targets:        doc.Targets,
		Received:       s.now(),
		Report:         report,
		DueDate:        dueDate(doc.Metadata),
	}
	for _, a := range doc.Attachments {
		sub.BlobDigests = append(sub.BlobDigests, a.SHA256)
	}
	seal, sealed := s.sealer(sub, receipt.EventAccepted, sub.Sender, sub.Recipients, sub.Received)
	res, existed, err := s.opts.Store.Accept(ctx, sub, seal)
	if err != nil {
		return err
	}
	if existed {
		*sealed = nil // a concurrent retry won: its receipt is the one kept
	} else {
		s.metrics.accepted.Inc()
	}
	s.log.Info("document accepted", "agency", r.agency, "doc", doc.MessageID, "kind", sub.Kind.String(), "recipients", len(recipients), "existed", existed)
	return s.answerSubmitted(w, r, sub, res.LogIndex, res.Recalls, existed, *sealed)
}

// answerSubmitted answers a submission with its receipt: rec when the
// acceptance just stored it, else the stored one.
func (s *Server) answerSubmitted(w http.ResponseWriter, r *request, sub *store.Submission, logIndex int64, recalls []store.RecallOutcome, existed bool, rec []byte) error {
	if rec == nil {
		var err error
		if rec, err = s.ensureReceipt(r.Context(), sub, receipt.EventAccepted, sub.Sender, sub.Recipients, sub.Received, logIndex); err != nil {
			return err
		}
	}
	var notify []certs.AgencyCode
	for _, to := range sub.Recipients {
		notify = append(notify, certs.AgencyCode(to))
	}
	s.wakeup.notify(notify...)
	out := wire.Submitted{MessageID: sub.MessageID, Existed: existed, Receipt: rec}
	for _, o := range recalls {
		out.Recalls = append(out.Recalls, wire.RecallOutcome{MessageID: o.Target, Withdrawn: codeStrings(o.Withdrawn), AlreadyAcked: codeStrings(o.AlreadyAcked)})
	}
	return writeJSON(w, http.StatusOK, out)
}

// signReceipt signs the hub's receipt of an event.
func (s *Server) signReceipt(sub *store.Submission, event string, recipients []certs.AgencyCode, at time.Time, logIndex int64) ([]byte, error) {
	signed, err := receipt.Sign(&receipt.Receipt{
		Event: event, MessageID: sub.MessageID, EnvelopeSHA256: sub.EnvelopeSHA256,
		Sender: string(sub.Sender), Recipients: codeStrings(recipients), At: at, Hub: s.opts.Identity.Leaf.Subject.CommonName, LogIndex: logIndex,
	}, s.opts.Identity)
	if err != nil {
		return nil, fmt.Errorf("sign receipt: %w", err)
	}
	return signed, nil
}

// sealer returns the store.Seal that signs the receipt of an event in the
// event's own transaction, and where the signed bytes of the run that
// committed end up (nil until then).
func (s *Server) sealer(sub *store.Submission, event string, party certs.AgencyCode, recipients []certs.AgencyCode, at time.Time) (store.Seal, *[]byte) {
	sealed := new([]byte)
	return func(logIndex int64) (*store.Receipt, error) {
		*sealed = nil
		signed, err := s.signReceipt(sub, string(event), recipients, at, logIndex)
		if err != nil {
			return nil, err
		}
		*sealed = signed
		return &store.Receipt{MessageID: sub.MessageID, Event: string(event), Party: party, At: at, Signed: signed}, nil
	}, sealed
}

// ensureReceipt returns the stored receipt for (message, event, party),
// signing and storing one first if there is none: events are stored with
// their receipts, but messages accepted before receipts were (or by a
// store call without a seal) may lack one, which the client's retry
// repairs here.
func (s *Server) ensureReceipt(ctx context.Context, sub *store.Submission, event string, party certs.AgencyCode, recipients []certs.AgencyCode, at time.Time, logIndex int64) ([]byte, error) {
	stored, err := s.opts.Store.Receipts(ctx, sub.MessageID)
	if err != nil {
		return nil, err
	}
	for _, rc := range stored {
		if rc.Event == event && rc.Party == party {
			return rc.Signed, nil
		}
	}
	signed, err := s.signReceipt(sub, string(event), recipients, at, logIndex)
	if err != nil {
		return nil, err
	}
	rc, _, err := s.opts.Store.PutReceipt(ctx, &store.Receipt{MessageID: sub.MessageID, Event: string(event), Party: party, At: at, Signed: signed})
	if err != nil {
		return nil, err
	}
	return rc.Signed, nil
}

// checkAttachments makes sure every attachment is uploaded whole and passes
// CheckAttachment, and returns the reports as one JSON object keyed by
// SHA-256.
func (s *Server) checkAttachments(ctx context.Context, doc *envelope.Document) (json.RawMessage, error) {
	reports := map[string]json.RawMessage{}
	for _, a := range doc.Attachments {
		info, err := s.opts.Store.StatBlob(ctx, a.SHA256)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !info.Present) {
			return nil, wire.Errorf(wire.CodeMissingBlob, "attachment %q (%s) has not been uploaded", a.Name, a.SHA256)
		}
		if err != nil {
			return nil, err
		}
		if info.Size != a.Size {
			return nil, wire.Errorf(wire.CodeInvalidDocument, "attachment %q is %d bytes on the hub, the envelope says %d", a.Name, info.Size, a.Size)
		}
		if s.opts.CheckAttachment == nil {
			continue
		}
		report, err := s.checkBlob(ctx, a.SHA256, info.Size)
		if err != nil {
			if errors.Is(err, ErrNotPDF) {
				return nil, wire.Errorf(wire.CodeNotPDF, "attachment %q: %v", a.Name, err)
			}
			return nil, err
		}
		reports[a.SHA256] = report
	}
	if len(reports) == 0 {
		return nil, nil
	}
	return json.Marshal(reports)
}

func (s *Server) checkBlob(ctx context.Context, digest string, size int64) (json.RawMessage, error) {
	f, err := s.opts.Store.OpenBlob(ctx, digest)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return nil, errors.New("the blob store does not allow random access")
	}
	return s.opts.CheckAttachment(ctx, ra, size)
}

// party loads a message and checks that the caller sent it or is one of
// its recipients.
func (s *Server) party(r *request) (store.Message, bool, error) {
	id := r.PathValue("id")
	if !envelope.ValidMessageID(id) {
		return store.Message{}, false, wire.Errorf(wire.CodeBadRequest, "malformed message id")
	}
	m, err := s.opts.Store.Message(r.Context(), id)
	if err != nil {
		return m, false, err
	}
	if m.Sender == r.agency {
		return m, true, nil
	}
	if slices.Contains(m.Recipients, r.agency) {
		deliveries, err := s.opts.Store.Deliveries(r.Context(), id)
		if err != nil {
			return m, false, err
		}
		for _, d := range deliveries {
			if d.Recipient == r.agency && d.State == store.Withdrawn {
				return m, false, wire.Errorf(wire.CodeWithdrawn, "message %s was recalled by its sender (%s) before %s received it", id, d.WithdrawnBy, r.agency)
			}
		}
		return m, false, nil
	}
	// Answer as if it did not exist: an agency learns nothing of others' mail.
	return m, false, wire.Errorf(wire.CodeNotFound, "no message %s for %s", id, r.agency)
}

func (s *Server) message(w http.ResponseWriter, r *request) error {
	m, _, err := s.party(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", wire.ContentPacket)
	_, err = w.Write(m.Envelope)
	return err
}

func (s *Server) attachment(w http.ResponseWriter, r *request) error {
	m, _, err := s.party(r)
	if err != nil {
		return err
	}
	digest := r.PathValue("sha256")
	if !slices.Contains(m.BlobDigests, digest) {
		return wire.Errorf(wire.CodeNotFound, "message %s has no attachment %s", m.MessageID, digest)
	}
	f, err := s.opts.Store.OpenBlob(r.Context(), digest)
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("ETag", `"`+digest+`"`)
	http.ServeContent(w, r.Request, "", time.Time{}, f)
	return nil
}

func (s *Server) ack(w http.ResponseWriter, r *request) error {
	ctx := r.Context()
	m, isSender, err := s.party(r)
	if err != nil {
		return err
	}
	if isSender && !slices.Contains(m.Recipients, r.agency) {
		return wire.Errorf(wire.CodeForbidden, "only a recipient acknowledges a message")
	}
	now := s.now()
	seal, sealed := s.sealer(&m.Submission, receipt.EventDelivered, r.agency, []certs.AgencyCode{r.agency}, now)
	d, existed, err := s.opts.Store.Ack(ctx, r.agency, m.MessageID, "", now, seal)
	if err != nil {
		return err
	}
	rec := *sealed
	if existed || rec == nil {
		if rec, err = s.ensureReceipt(ctx, &m.Submission, receipt.EventDelivered, r.agency, []certs.AgencyCode{r.agency}, d.AckedAt, d.LogIndex); err != nil {
			return err
		}
	}
	// Status 01 (Đã đến) goes to the sender, carried by the hub's receipt.
	_, _, err = s.opts.Store.AppendStatus(ctx, &store.StatusUpdate{
		MessageID: m.MessageID, From: r.agency, Code: document.StatusArrived, At: d.AckedAt, Signed: rec,
	})
	if err != nil {
		return err
	}
	s.wakeup.notify(certs.AgencyCode(m.Sender))
	if !existed {
		s.metrics.delivered.Inc()
	}
	s.log.Info("document delivered", "agency", r.agency, "doc", m.MessageID, "existed", existed)
	return writeJSON(w, http.StatusOK, wire.Acked{MessageID: m.MessageID, Existed: existed, Receipt: rec})
}

func (s *Server) receipts(w http.ResponseWriter, r *request) error {
	m, isSender, err := s.party(r)
	if err != nil {
		return err
	}
	list, err := s.opts.Store.Receipts(r.Context(), m.MessageID)
	if err != nil {
		return err
	}
	out := wire.Receipts{Receipts: [][]byte{}}
	for _, rc := range list {
		// A recipient sees the acceptance and its own delivery, not the
		// other recipients'.
		if isSender || rc.Event == receipt.EventAccepted || rc.Party == r.agency {
			out.Receipts = append(out.Receipts, rc.Signed)
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// pollParams reads after, limit and wait.
func pollParams(r *request) (after uint64, limit int, wait time.Duration, err error) {
	q := r.URL.Query()
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			return 0, 0, 0, wire.Errorf(wire.CodeBadRequest, "after must be a cursor")
		}
	}
	limit = 100
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return 0, 0, 0, wire.Errorf(wire.CodeBadRequest, "limit must be a positive number")
		}
	}
	limit = min(limit, wire.MaxPageSize)
	if v := q.Get("wait"); v != "" {
		secs, err := strconv.Atoi(v)
		if err != nil || secs < 0 {
			return 0, 0, 0, wire.Errorf(wire.CodeBadRequest, "wait must be a number of seconds")
		}
		wait = min(time.Duration(secs)*time.Second, wire.MaxWait)
	}
	return after, limit, wait, nil
}

// longPoll calls list until it finds something, the wait is over, or the
// client goes away.
func (s *Server) longPoll(ctx context.Context, agency certs.AgencyCode, wait time.Duration, list func() (int, error)) error {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	s.metrics.polling.Inc()
	defer s.metrics.polling.Dec()
	for {
		woken := s.wakeup.wait(agency)
		n, err := list()
		if err != nil || n > 0 || wait == 0 {
			return err
		}
		select {
		case <-woken:
		case <-deadline.C:
			_, err := list()
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Server) inbox(w http.ResponseWriter, r *request) error {
	after, limit, wait, err := pollParams(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	out := wire.Inbox{Items: []wire.InboxItem{}, Next: after}
	err = s.longPoll(ctx, r.agency, wait, func() (int, error) {
		list, err := s.opts.Store.Inbox(ctx, r.agency, after, limit, s.now())
		if err != nil {
			return 0, err
		}
		out.Items = out.Items[:0]
		for _, d := range list {
			m, err := s.opts.Store.Message(ctx, d.MessageID)
			if err != nil {
				return 0, err
			}
			out.Items = append(out.Items, wire.InboxItem{Cursor: d.Cursor, MessageID: d.MessageID, Sender: string(d.Sender), Packet: m.Envelope, Report: m.Report})
			out.Next = d.Cursor
		}
		return len(out.Items), nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) postStatus(w http.ResponseWriter, r *request) error {
	ctx := r.Context()
	packet, err := readBody(r, envelope.MaxPacketSize)
	if err != nil {
		return err
	}
	st, signer, err := envelope.OpenStatus(packet, s.opts.Verifier)
	if err != nil {
		return err
	}
	if signer.Agency != r.agency {
		return wire.Errorf(wire.CodeSenderMismatch, "the status is signed by %s but the connection is %s", signer.Agency, r.agency)
	}
	m, err := s.opts.Store.Message(ctx, st.Regarding)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !slices.Contains(m.Recipients, r.agency)) {
		return wire.Errorf(wire.CodeNotFound, "no message %s addressed to %s", st.Regarding, r.agency)
	}
	if err != nil {
		return err
	}
	if err := s.checkTransition(ctx, m, r.agency, st); err != nil {
		return err
	}
	_, existed, err := s.opts.Store.AppendStatus(ctx, &store.StatusUpdate{
		MessageID: m.MessageID, From: r.agency, Code: st.Update.Code, Reason: st.Update.Reason,
		Staff: st.Update.Staff, At: s.now(), Signed: packet,
	})
	if err != nil {
		return err
	}
	s.wakeup.notify(certs.AgencyCode(m.Sender))
	if !existed {
		s.metrics.statuses.WithLabelValues(string(st.Update.Code)).Inc()
	}
	s.log.Info("status", "agency", r.agency, "doc", m.MessageID, "code", st.Update.Code, "existed", existed)
	return writeJSON(w, http.StatusOK, wire.StatusAccepted{Existed: existed})
}

// checkTransition refuses a status the document's history at this
// recipient does not allow (document.Lifecycle). A resent packet is let
// through: the store recognises it.
func (s *Server) checkTransition(ctx context.Context, m store.Message, from certs.AgencyCode, st *envelope.Status) error {
	history, err := s.opts.Store.StatusHistory(ctx, m.MessageID)
	if err != nil {
		return err
	}
	var codes []document.Status
	for _, h := range history {
		if h.From == from {
			codes = append(codes, document.Status(h.Code))
		}
	}
	life, err := document.ReplayHistory(document.BusinessType(m.Kind), codes)
	if err != nil {
		return fmt.Errorf("status history of %s at %s: %w", m.MessageID, from, err)
	}
	if _, err := life.Next(st.Update.Code); err != nil {
		for _, h := range history {
			if h.From == from && h.Code == st.Update.Code {
				return nil // perhaps a retry; AppendStatus decides by its bytes
			}
		}
		return wire.Errorf(wire.CodeInvalidStatus, "%v", err)
	}
	return nil
}

func (s *Server) statuses(w http.ResponseWriter, r *request) error {
	after, limit, wait, err := pollParams(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	out := wire.Statuses{Items: []wire.StatusItem{}, Next: after}
	err = s.longPoll(ctx, r.agency, wait, func() (int, error) {
		list, err := s.opts.Store.StatusInbox(ctx, r.agency, after, limit)
		if err != nil {
			return 0, err
		}
		out.Items = out.Items[:0]
		for _, st := range list {
			out.Items = append(out.Items, wire.StatusItem{Cursor: st.Cursor, MessageID: st.MessageID, From: string(st.From), Code: string(st.Code), Reason: st.Reason, At: st.At, Packet: st.Signed})
			out.Next = st.Cursor
		}
		return len(out.Items), nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) ackStatuses(w http.ResponseWriter, r *request) error {
	body, err := readBody(r, 64<<10)
	if err != nil {
		return err
	}
	var req wire.AckStatuses
	if err := json.Unmarshal(body, &req); err != nil || len(req.Cursors) > wire.MaxPageSize {
		return wire.Errorf(wire.CodeBadRequest, "want {\"cursors\": [...]} with at most %d cursors", wire.MaxPageSize)
	}
	for _, c := range req.Cursors {
		if err := s.opts.Store.AckStatus(r.Context(), r.agency, c); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) sent(w http.ResponseWriter, r *request) error {
	after, limit, _, err := pollParams(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	records, err := s.opts.Store.Sent(ctx, r.agency, after, limit)
	if err != nil {
		return err
	}
	out := wire.Sent{Items: []wire.SentItem{}, Next: after}
	for _, rec := range records {
		item := wire.SentItem{Cursor: rec.Cursor, MessageID: rec.MessageID, Received: rec.Received}
		deliveries, err := s.opts.Store.Deliveries(ctx, rec.MessageID)
		if err != nil {
			return err
		}
		history, err := s.opts.Store.StatusHistory(ctx, rec.MessageID)
		if err != nil {
			return err
		}
		for _, d := range deliveries {
			rs := wire.RecipientState{Agency: string(d.Recipient), Delivery: d.State.String(), AckedAt: d.AckedAt}
			for _, h := range history {
				if h.From == d.Recipient {
					rs.LastCode, rs.UpdatedAt = string(h.Code), h.At
				}
			}
			item.Recipients = append(item.Recipients, rs)
		}
		out.Items = append(out.Items, item)
		out.Next = rec.Cursor
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) directory(w http.ResponseWriter, r *request) error {
	list, err := s.opts.Store.Agencies(r.Context())
	if err != nil {
		return err
	}
	out := wire.Directory{Agencies: make([]wire.Agency, 0, len(list))}
	for _, a := range list {
		out.Agencies = append(out.Agencies, wire.Agency{Code: string(a.Code), Name: a.Name, Parent: string(a.Parent), Level: a.Level, Active: a.Active, SupersededBy: string(a.SupersededBy)})
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
	w.Header().Set("Content-Type", wire.ContentJSON)
	_, err = w.Write(body)
	return err
}

// dueDate is the document's deadline as the log records it.
func dueDate(m *document.Metadata) string {
	if m.DueDate.IsZero() {
		return ""
	}
	return m.DueDate.String()
}

func codeStrings(codes []certs.AgencyCode) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = string(c)
	}
	return out
}
