package relay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// Taking edXML (SubmitEdXML): a document or status packet an agency's
// document system sends, with the checks, receipts and log entries of a
// Lienthong packet. Its signature binds it to the connected agency: the
// packet's enveloped XML-DSig, or a detached CMS signature over its exact
// bytes given with it (the profile of a Lienthong packet's). A document's
// attachments are decoded, streaming, into temporary files and checked as
// a native attachment is (name, content type, size, the PDF check); the
// packet itself, byte for byte, is what the hub keeps and hands on.

// ErrEdXMLRegarding: a status packet's DocumentId names several messages
// addressed to the agency, and the request did not say which
// (EdXMLRequest.Regarding).
var ErrEdXMLRegarding = errors.New("the status packet's document is carried by several messages addressed to you: say which one it answers (regarding)")

// Paths of the elements SubmitEdXML refuses by, as edxml names them.
const (
	pathHeader    = "edXMLEnvelope/edXMLHeader"
	pathFrom      = pathHeader + "/MessageHeader/From/OrganId"
	pathBusiness  = pathHeader + "/TraceHeaderList/Bussiness"
	pathManifest  = "edXMLEnvelope/edXMLBody/edXMLManifest"
	pathSignature = pathHeader + "/Signature"
)

// EdXMLRequest is an edXML packet an agency sends.
type EdXMLRequest struct {
	// Packet is the packet's bytes, read whole (ReadEdXML).
	Packet []byte
	// Signature is a detached CMS signature over Packet, for a packet
	// without an XML signature of its own; nil checks the XML signature.
	Signature []byte
	// Regarding is the message a status packet is about, when its
	// DocumentId names several; "" otherwise.
	Regarding string
	// MaxAttachment bounds each attachment of the agency.
	MaxAttachment int64
}

// EdXMLAccepted is the answer to SubmitEdXML.
type EdXMLAccepted struct {
	// Kind is "document" or "status".
	Kind string
	// Submitted is a document's answer, as Submit gives it; MessageID
	// the document's message id (for a status, the one it is about).
	Submitted *Submitted
	MessageID string
	Existed   bool
	// Warnings are the deviations of form the hub read past, and the
	// signature's weaknesses (SHA-1).
	Warnings []wire.EdXMLWarning
}

// EdXMLMessageID is the message id of a document sent as the edXML packet
// in data: the first 32 hexadecimal digits of its SHA-256. The same bytes
// sent again are the same message; different bytes are another.
func EdXMLMessageID(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// ReadEdXML reads an edXML packet of declared bytes (-1: not declared)
// from body, under the edXML memory budget (EdXMLOptions.Memory): a packet
// declared over EdXMLOptions.MaxPacket is refused before any of it is
// read, one that does not declare its size as soon as it passes the
// limit, and one longer than declared when it does. A declared packet
// holds room for its size before it is read; one that does not declare
// its size holds room as its bytes come. A hub whose budget is taken
// answers ErrEdXMLBusy. release gives the budget back: call it when the
// packet's work (SubmitEdXML) is done.
func (r *Relay) ReadEdXML(body io.Reader, declared int64) (packet []byte, release func(), err error) {
	limit := r.edxml.MaxPacket
	if declared > limit {
		return nil, nil, fmt.Errorf("%w: the packet declares %d bytes, over %d", edxml.ErrTooLarge, declared, limit)
	}
	var held int64
	release = func() { r.edxmlMem.sem.Release(held) }
	// hold makes room for a packet of size bytes.
	hold := func(size int64) bool {
		need := edXMLCost*max(size, 1) - held
		if need <= 0 {
			return true
		}
		if !r.edxmlMem.sem.TryAcquire(need) {
			return false
		}
		held += need
		return true
	}
	fail := func(err error) ([]byte, func(), error) {
		release()
		return nil, nil, err
	}
	if declared >= 0 {
		if !hold(declared) {
			return nil, nil, ErrEdXMLBusy
		}
		// One byte more than declared, to see a body longer than that.
		packet, err = io.ReadAll(io.LimitReader(body, declared+1))
		switch {
		case err != nil:
			return fail(fmt.Errorf("read the edXML packet: %w", err))
		case int64(len(packet)) > declared:
			return fail(fmt.Errorf("%w: the packet is longer than the %d bytes it declares", edxml.ErrTooLarge, declared))
		}
		return packet, release, nil
	}
	var buf bytes.Buffer
	for {
		if !hold(min(int64(buf.Len())+edxmlReadStep, limit)) {
			return fail(ErrEdXMLBusy)
		}
		// At most one byte past the limit, to see a body over it.
		_, err := io.CopyN(&buf, body, min(edxmlReadStep, limit+1-int64(buf.Len())))
		if int64(buf.Len()) > limit {
			return fail(fmt.Errorf("%w: the packet is over %d bytes", edxml.ErrTooLarge, limit))
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(fmt.Errorf("read the edXML packet: %w", err))
		}
	}
	// Keep room for what was read, not for the step beyond it.
	if keep := edXMLCost * max(int64(buf.Len()), 1); keep < held {
		r.edxmlMem.sem.Release(held - keep)
		held = keep
	}
	return buf.Bytes(), release, nil
}

// edxmlReadStep is how many bytes more a packet that does not declare its
// size makes room for at a time.
const edxmlReadStep = 64 << 10

// SubmitEdXML takes a signed edXML packet from agency. A document packet
// becomes a message (a new document, or a revocation, update or
// replacement of earlier documents this agency sent as edXML) whose id is
// EdXMLMessageID and whose stored envelope names the packet, kept as a
// blob of the message: the same checks, receipt and log entry as Submit.
// A status packet is relayed to the sender of the message it is about, as
// PostStatus does. The same packet sent again answers Existed (with the
// first receipt). Refusals name the element where they can (*edxml.Error).
func (r *Relay) SubmitEdXML(ctx context.Context, agency certs.AgencyCode, req EdXMLRequest) (*EdXMLAccepted, error) {
	if int64(len(req.Packet)) > r.edxml.MaxPacket {
		return nil, fmt.Errorf("%w: %d bytes, over %d", edxml.ErrTooLarge, len(req.Packet), r.edxml.MaxPacket)
	}
	// A document packet accepted before, from this agency, is answered as
	// it was, before any check (as Submit does): the signer's certificate
	// or this hub's limits may have changed since.
	if answer, ok, err := r.edxmlRetry(ctx, agency, req.Packet); err != nil || ok {
		return answer, err
	}
	signer, warnings, err := r.verifyEdXML(req.Packet, req.Signature)
	if err != nil {
		return nil, err
	}
	if signer != agency {
		return nil, fmt.Errorf("%w: the packet is signed by %s but the connection is %s", ErrSenderMismatch, signer, agency)
	}
	sp := &spool{dir: r.edxml.TempDir, max: req.MaxAttachment}
	defer sp.remove()
	pkt, err := edxml.Read(bytes.NewReader(req.Packet), edxml.Options{Limits: r.edxmlLimits(), Attachment: sp.sink})
	if sp.over != nil {
		return nil, sp.over // edxml reports a sink's error as text: say why ourselves
	}
	if err != nil {
		return nil, err
	}
	for _, w := range pkt.Warnings {
		warnings = append(warnings, wire.EdXMLWarning{Kind: string(w.Kind), Path: w.Path, Detail: w.Detail})
	}
	if pkt.Status != nil {
		return r.edxmlStatus(ctx, agency, req, pkt.Status, warnings)
	}
	return r.edxmlDocument(ctx, agency, req, pkt.Document, sp, warnings)
}

// edxmlRetry answers a document packet this agency's submission was
// accepted with, byte for byte; ok is false for any other packet.
func (r *Relay) edxmlRetry(ctx context.Context, agency certs.AgencyCode, packet []byte) (answer *EdXMLAccepted, ok bool, err error) {
	sum := sha256.Sum256(packet)
	digest := hex.EncodeToString(sum[:])
	old, err := r.st.Message(ctx, digest[:32])
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if got, isRef := parseEdXMLRef(old.Envelope); !isRef || got.SHA256 != digest || old.Sender != agency {
		return nil, false, nil // judged by the checks: a conflict, or another agency's packet
	}
	answer = &EdXMLAccepted{Kind: envelope.KindDocument, MessageID: digest[:32], Existed: true}
	if answer.Submitted, err = r.retried(ctx, &old.Submission); err != nil {
		return nil, false, err
	}
	return answer, true, nil
}

func (r *Relay) edxmlLimits() edxml.Limits {
	return edxml.Limits{MaxPacketSize: r.edxml.MaxPacket}
}

// verifyEdXML checks the packet's signature (the detached CMS signature
// when given, else the XML signature) and that its signer is an agency
// certificate under our roots allowed to issue documents, and returns
// that agency and the signature's weaknesses.
func (r *Relay) verifyEdXML(packet, cmsSig []byte) (certs.AgencyCode, []wire.EdXMLWarning, error) {
	if len(cmsSig) > 0 {
		p := envelope.Packet{Payload: packet, Signature: cmsSig}
		s, err := p.Verify(r.verifier, time.Time{})
		if err != nil {
			return "", nil, err
		}
		if err := r.verifier.MayIssueDocuments(s.Chain[0]); err != nil {
			return "", nil, fmt.Errorf("%w: %w", envelope.ErrUntrusted, err)
		}
		return s.Agency, nil, nil
	}
	res, err := xmlsig.Verify(packet, xmlsig.Options{Limits: r.edxmlLimits(), Verifier: r.verifier, Now: r.now, RefuseWeak: r.edxml.RefuseSHA1})
	if err != nil {
		return "", nil, err
	}
	switch res.Trust {
	case xmlsig.TrustVerified:
	case xmlsig.TrustNotUnderRoots:
		return "", nil, fmt.Errorf("%w: the signer is not under our roots: %s", envelope.ErrUntrusted, res.TrustDetail)
	default:
		return "", nil, fmt.Errorf("%w: %s", envelope.ErrUntrusted, res.TrustDetail)
	}
	agency, err := r.verifier.PacketSigner(res.Signer)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", envelope.ErrUntrusted, err)
	}
	var warnings []wire.EdXMLWarning
	for _, w := range res.Warnings {
		warnings = append(warnings, wire.EdXMLWarning{Kind: string(w.Kind), Path: pathSignature, Detail: w.Detail})
	}
	return agency, warnings, nil
}

// edxmlDocument takes a document packet whose attachments are in sp.
func (r *Relay) edxmlDocument(ctx context.Context, agency certs.AgencyCode, req EdXMLRequest, d *edxml.Document, sp *spool, warnings []wire.EdXMLWarning) (*EdXMLAccepted, error) {
	m := d.Metadata
	if m.From.Code != agency {
		return nil, &edxml.Error{Path: pathFrom, Err: ErrSenderMismatch, Reason: fmt.Sprintf("the packet is from %s but the connection is %s", m.From.Code, agency)}
	}
	sum := sha256.Sum256(req.Packet)
	digest := hex.EncodeToString(sum[:])
	id := digest[:32]
	ref := edxmlRef{EdXML: wire.EdXMLRef{SHA256: digest, Size: int64(len(req.Packet)), Signature: req.Signature}}.encode()
	refSum := sha256.Sum256(ref)
	answer := &EdXMLAccepted{Kind: envelope.KindDocument, MessageID: id, Warnings: warnings}

	// A retry skips the checks below, as Submit's does. The same packet
	// with another CMS signature (ECDSA signs differently each time) is
	// the same document.
	if old, err := r.st.Message(ctx, id); err == nil {
		if got, ok := parseEdXMLRef(old.Envelope); !ok || got.SHA256 != digest {
			return nil, fmt.Errorf("message id %s was already used for another packet: %w", id, store.ErrConflict)
		}
		if answer.Submitted, err = r.retried(ctx, &old.Submission); err != nil {
			return nil, err
		}
		answer.Existed = true
		return answer, nil
	}

	m.Normalize()
	doc := &envelope.Document{Kind: envelope.KindDocument, MessageID: id, Created: r.now(), Metadata: &m}
	for i, a := range d.Attachments {
		if !a.Included || sp.file(a.Index) == nil {
			return nil, &edxml.Error{Path: pathManifest, Err: envelope.ErrInvalid, Reason: fmt.Sprintf("attachment %d is named by the manifest but the packet does not carry it", i+1)}
		}
		doc.Attachments = append(doc.Attachments, envelope.Attachment{Name: a.Name, ContentType: a.ContentType,
			Size: a.Size, SHA256: hex.EncodeToString(a.SHA256[:]), Description: a.Description})
	}
	targets, err := r.edxmlTargets(ctx, agency, &m)
	if err != nil {
		return nil, err
	}
	doc.Targets = targets
	if err := doc.Validate(req.MaxAttachment); err != nil {
		return nil, err
	}
	if err := r.secrecyAllowed(&m); err != nil {
		return nil, err
	}
	recipients, err := r.recipients(ctx, &m)
	if err != nil {
		return nil, err
	}
	report, err := r.checkSpooled(ctx, doc, d, sp)
	if err != nil {
		return nil, err
	}
	// The packet is a blob of the agency, as an upload is, and of the
	// message: stored with it when it is small enough (store.MaxInline),
	// else first on its own (its quota counts it until the message
	// references it).
	var inline []store.InlineBlob
	if len(req.Packet) <= store.MaxInline {
		inline = []store.InlineBlob{{Digest: digest, Data: req.Packet}}
	} else if _, err := r.PutWhole(ctx, agency, digest, int64(len(req.Packet)), bytes.NewReader(req.Packet)); err != nil {
		return nil, fmt.Errorf("store the packet: %w", err)
	}
	sub := &store.Submission{
		MessageID:      id,
		Sender:         agency,
		Recipients:     recipients,
		EnvelopeSHA256: hex.EncodeToString(refSum[:]),
		Envelope:       ref,
		BlobDigests:    []string{digest},
		DocumentID:     m.ID().String(),
		Kind:           m.Business.Type,
		Targets:        targets,
		Received:       r.now(),
		Report:         report,
		DueDate:        dueDate(&m),
		Inline:         inline,
	}
	if answer.Submitted, err = r.accept(ctx, sub); err != nil {
		return nil, err
	}
	answer.Existed = answer.Submitted.Existed
	return answer, nil
}

// edxmlTargets finds the messages a revocation, update or replacement
// names by DocumentId among those agency sent (a revocation is never a
// target): each DocumentId must name at least one.
func (r *Relay) edxmlTargets(ctx context.Context, agency certs.AgencyCode, m *document.Metadata) ([]string, error) {
	var out []string
	for i, ref := range m.Business.Documents {
		path := pathBusiness + "/DocumentId"
		if m.Business.Type == document.BusinessReplace {
			path = fmt.Sprintf("%s/ReplacementInfoList/ReplacementInfo[%d]/DocumentId", pathBusiness, i+1)
		}
		ids, err := r.st.MessagesByDocumentID(ctx, ref.String())
		if err != nil {
			return nil, err
		}
		found := false
		for _, id := range ids {
			t, err := r.st.Message(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if t.Sender != agency || t.Kind == document.BusinessRecall {
				continue
			}
			found = true
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		if !found {
			return nil, &edxml.Error{Path: path, Err: envelope.ErrInvalid, Reason: "no document this agency sent has this DocumentId"}
		}
	}
	return out, nil
}

// checkSpooled checks each attachment of a packet, decoded into sp, as a
// native attachment is checked (checkAttachments): its first bytes against
// its content type, then CheckAttachment, whose reports it returns as one
// JSON object keyed by SHA-256. Sizes and names were checked by the
// document's Validate.
func (r *Relay) checkSpooled(ctx context.Context, doc *envelope.Document, d *edxml.Document, sp *spool) ([]byte, error) {
	reports := map[string]json.RawMessage{}
	for i, a := range doc.Attachments {
		f := sp.file(d.Attachments[i].Index)
		// The checks of a Lienthong packet's attachment: the types this
		// hub takes (the main document a PDF), the bytes as their type
		// says, then the PDF's signatures.
		if err := r.checkFile(i, a, f); err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i+1, err)
		}
		report, err := r.report(ctx, a, func() (io.ReaderAt, io.Closer, error) {
			return f, io.NopCloser(nil), nil // sp.remove closes it
		})
		if err != nil {
			return nil, fmt.Errorf("attachment %d: %w", i+1, err)
		}
		if report != nil {
			reports[a.SHA256] = report
		}
	}
	if len(reports) == 0 {
		return nil, nil
	}
	return json.Marshal(reports)
}

// edxmlStatus relays a status packet: the message it is about is the one
// its ResponseFor's DocumentId names among those addressed to agency, or
// req.Regarding among them when it names several.
func (r *Relay) edxmlStatus(ctx context.Context, agency certs.AgencyCode, req EdXMLRequest, st *edxml.Status, warnings []wire.EdXMLWarning) (*EdXMLAccepted, error) {
	// A status is kept whole with the document's history and handed out
	// in the sender's status queue: as small as a Lienthong status packet.
	if len(req.Packet) > envelope.MaxPacketSize {
		return nil, fmt.Errorf("%w: a status packet of %d bytes, over %d", edxml.ErrTooLarge, len(req.Packet), envelope.MaxPacketSize)
	}
	u := st.Update
	u.Normalize()
	base := pathHeader + "/" + st.Element
	if u.From != agency {
		return nil, &edxml.Error{Path: base + "/From/OrganId", Err: ErrSenderMismatch, Reason: fmt.Sprintf("the status is from %s but the connection is %s", u.From, agency)}
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	regarding, err := r.edxmlRegarding(ctx, agency, u.Document, req.Regarding, base+"/ResponseFor/DocumentId")
	if err != nil {
		return nil, err
	}
	signed, err := json.Marshal(edxmlStatus{EdXML: edxmlStatusBody{Packet: req.Packet, Signature: req.Signature}})
	if err != nil {
		return nil, err
	}
	existed, err := r.appendStatus(ctx, agency, regarding, &u, signed)
	if err != nil {
		return nil, err
	}
	return &EdXMLAccepted{Kind: envelope.KindStatus, MessageID: regarding, Existed: existed, Warnings: warnings}, nil
}

// edxmlRegarding finds the message addressed to agency that carries the
// document doc: want when given (it must be one), else the one message.
func (r *Relay) edxmlRegarding(ctx context.Context, agency certs.AgencyCode, doc document.DocumentID, want, path string) (string, error) {
	ids, err := r.st.MessagesByDocumentID(ctx, doc.String())
	if err != nil {
		return "", err
	}
	var found []string
	for _, id := range ids {
		_, d, err := r.st.MessageParty(ctx, id, agency)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if d != nil {
			found = append(found, id)
		}
	}
	switch {
	case want != "" && slices.Contains(found, want):
		return want, nil
	case want != "":
		return "", fmt.Errorf("no message %s addressed to %s with the DocumentId at %s: %w", want, agency, path, store.ErrNotFound)
	case len(found) == 0:
		return "", fmt.Errorf("no message addressed to %s has the DocumentId at %s: %w", agency, path, store.ErrNotFound)
	case len(found) > 1:
		return "", &edxml.Error{Path: path, Err: ErrEdXMLRegarding, Reason: "messages " + strings.Join(found, ", ")}
	}
	return found[0], nil
}

// edxmlStatus is what the store keeps as the signed bytes of a status that
// came as an edXML packet: the packet, and the detached CMS signature
// given with it. It is JSON whose one top-level key, "edxml_status", no
// signed status packet has.
type edxmlStatus struct {
	EdXML edxmlStatusBody `json:"edxml_status"`
}

type edxmlStatusBody struct {
	Packet    []byte `json:"packet"`
	Signature []byte `json:"signature,omitempty"`
}

// EdXMLStatus returns the edXML status packet and its detached CMS
// signature (nil for a packet signed with XML-DSig) that a stored status's
// signed bytes hold, and false for a status that came another way (a
// Lienthong status packet, a hub receipt).
func EdXMLStatus(signed []byte) (packet, signature []byte, ok bool) {
	if !bytes.HasPrefix(signed, []byte(`{"edxml_status":`)) {
		return nil, nil, false
	}
	var s edxmlStatus
	dec := json.NewDecoder(bytes.NewReader(signed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil || len(s.EdXML.Packet) == 0 {
		return nil, nil, false
	}
	return s.EdXML.Packet, s.EdXML.Signature, true
}

// EdXMLRefOf returns the edXML packet a stored message's envelope names,
// and false for a document sent as a Lienthong packet.
func EdXMLRefOf(envelope []byte) (wire.EdXMLRef, bool) { return parseEdXMLRef(envelope) }
