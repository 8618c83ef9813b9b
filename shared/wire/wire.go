// Package wire is the hub's API: the paths, the request and response
// bodies, and the error codes that agencies' systems speak to the hub.
// Neither side's code lives here, only the contract, so that the hub, the
// clerk's sync engine and other document systems agree on one definition.
//
// # Transport
//
// HTTP/3 over QUIC (ALPN "h3") with TLS 1.3 and mutual certificates, and
// the same API as HTTP/2 or HTTP/1.1 over TLS on TCP on the same port
// number for networks that block UDP; TCP responses announce the QUIC endpoint with
// Alt-Svc. The calling agency is the one named in its verified client
// certificate (package certs); no request body can claim another.
//
// # Sending a document
//
//  1. Upload each attachment, content-addressed by its SHA-256:
//     POST /v1/uploads/{sha256}?size=N starts or resumes and answers the
//     durable offset; PATCH /v1/uploads/{sha256}?offset=K appends bytes
//     from that offset and, once all size bytes are there, checks the digest
//     and commits. A file the hub already holds answers done at once.
//  2. POST /v1/messages with the signed document packet (package envelope).
//     The answer holds the hub's signed "accepted" receipt. Submitting the
//     same packet again answers the same result: retries are safe.
//     Attachments of at most Hello.MaxInline bytes together may instead
//     come with the packet, as parts of a multipart/form-data body
//     (PartPacket, then a PartAttachment for each), without step 1.
//
// # Receiving
//
// GET /v1/inbox?after=CURSOR&wait=SECONDS long-polls for documents queued to
// the caller, in order. The client fetches attachments
// (GET /v1/messages/{id}/attachments/{sha256}, with Range for resuming),
// stores everything, and only then acknowledges:
// POST /v1/messages/{id}/ack. With inline=1 (QueryInline) a small
// document's attachments come in its item instead (InboxItem.Inline), so
// that it needs no download. The acknowledgement is the "delivered" event:
// the hub signs a receipt, and the sender sees status 01 (Đã đến). An
// acknowledged document is never listed again.
//
// A document the recipient's system cannot take (a signature it cannot
// accept, an attachment over its limit, a packet it cannot read) is
// refused instead: POST /v1/messages/{id}/refuse with a Refusal. The
// refusal is the "refused" event: the hub signs a receipt carrying the
// reason, the sender sees status 02 (Từ chối tiếp nhận) with that reason,
// and the document is never listed again. A delivery ends acknowledged or
// refused, never both; a retry of either answers the first.
//
// # Status
//
// POST /v1/statuses with a signed status packet; the sender long-polls
// GET /v1/statuses?after=CURSOR&wait=SECONDS and acknowledges with
// POST /v1/statuses/ack.
//
// A system that waits for both, documents and statuses, long-polls
// GET /v1/updates?inbox_after=C&statuses_after=D&wait=SECONDS instead:
// one request held per agency rather than two.
//
// # The transparency log
//
// Every event the hub commits is an entry of an append-only Merkle tree
// (package auditlog). GET /v1/log/checkpoint returns the latest signed
// checkpoint, signing a new one first if the log grew; inclusion and
// consistency proofs and the entries themselves let an auditor check that
// a receipt's event is in the log and that the log only grew. Receipts
// carry their entry's index.
//
// # Version history
//
//   - v1 (2026-11-23): first version.
//   - v1 (2026-11-23, later): a PATCH at offset 0 carrying a whole
//     attachment of at most WholeUpload bytes is stored in one go; the
//     requests and answers are unchanged.
//   - v1 (2026-12-04): an attachment's name must end in .pdf and carry no
//     control, bidirectional or path characters (invalid_document), and its
//     file must begin with %PDF- (not_pdf); a document marked Mật or above
//     is refused with the new code secret_not_allowed unless the hub allows
//     such documents.
//   - v1 (2026-12-04): POST /v1/messages/{id}/refuse (Refusal, Refused): a
//     recipient refuses what it cannot take, and its queue moves on; the
//     receipt event "refused"; status 02 may come without 01 before it,
//     carried by that receipt; RecipientState.Delivery "refused". A new
//     path rather than a body on the acknowledgement, so that a hub that
//     predates it answers not_found instead of recording a delivery.
//   - v1 (2026-12-04): GET /v1/pki/crl serves the PKI's current CRLs, so
//     that clients judge signers' revocation with the lists the hub uses.
//   - v1 (2026-12-04): error code pdf_too_complex (422): an attachment
//     asks more of a PDF reader than its size justifies (a decompression
//     or object bomb) and is refused.
//   - v1 (2026-12-04): an inbox or status answer holds at most
//     MaxInboxBytes of packets and reports (and at least one item);
//     packets must be detached signatures with signing-certificate-v2, as
//     documented; every error, unknown paths and methods included, is an
//     Error body; a connection whose certificate was revoked is answered
//     forbidden.
//   - v1 (2026-12-04): uploads answer quota_exceeded when the agency's
//     unsent uploads fill its quota, and an attachment whose bytes the
//     retention policy removed answers gone. An upload never reveals that
//     another agency stored the same bytes: it is an upload like any other.
//   - v1 (2026-12-05): edXML (QCVN 102:2016) for document systems that
//     speak it: POST /v1/edxml takes a signed edXML document or status
//     packet; GET /v1/edxml/inbox, /v1/edxml/messages/{id} and
//     /v1/edxml/statuses hand documents and statuses out as edXML, each
//     with its sender's signature. An InboxItem of a document that came as
//     edXML carries EdXML instead of Packet, and a StatusItem's Packet may
//     be an edXML status packet (Format "edxml"). An error refusing an
//     edXML packet at one of its elements names it (Details EdXMLRefusal);
//     POST /v1/edxml takes ?regarding= for a status packet whose
//     DocumentId names several messages.
//   - v1 (2026-12-05): GET /v1/openapi.yaml serves the API as an OpenAPI
//     3.1 document (OpenAPI) with JSON Schemas for every body and packet
//     payload; no call changed. Documented what was only in code: the
//     inbox item's report, a receipt's log_index, the receipt identity,
//     byte-identical retries, and HTTP/1.1 on TCP beside HTTP/2.
//   - v1 (2026-12-05): error code recipient_closed (422): an addressee's
//     code was closed by a reorganisation (Decision 09/2025/QĐ-TTg); the
//     Details (RecipientClosed) name each closed addressee's successor.
//     Such documents were unknown_recipient before.
//   - v1 (2026-12-05): appendices may be Word (.docx), Excel (.xlsx) or
//     OpenDocument text (.odt) files where the hub's operator allows them
//     (Hello.AttachmentTypes lists what this hub takes; the default is PDF
//     only); the main document is always a PDF. A type the hub does not
//     take is invalid_document with a problem naming the attachment
//     ("attachments[1].content_type"); a file whose bytes do not match its
//     content type (a ZIP without the parts its type requires, macros,
//     encryption, a directory over the bounds) is not_pdf, which now means
//     "does not match its content type". An office file's report says that
//     no signature was checked.
//   - v1 (2026-12-05): for a message sent as edXML, GET
//     /v1/messages/{id}/attachments/{sha256} of its packet's SHA-256
//     answers application/xml under a .edxml name (it was labelled a PDF);
//     GET /v1/messages/{id} answering the stored reference
//     {"edxml":{...}}, whose SHA-256 the receipts name, is documented.
//   - v1 (2026-12-05): GET /v1/directory/{code}/history (DirectoryHistory)
//     lists every version of a code's directory entry with the exact
//     record bytes its transparency-log entry commits to, so that an
//     auditor checks where a closed code led, and from which day, against
//     the log alone. Agency carries closed_on, the day a closed code
//     closed.
//   - v1 (2026-12-05): a retry of an accepted packet (POST /v1/messages or
//     /v1/edxml), byte for byte and from its sender, is answered existed
//     before the packet's checks run again, so a refusal of a retry means
//     the hub does not hold that packet; the bodies are unchanged.
//   - v1 (2026-12-05): certificates of other CAs (the Government's
//     specialised CA, licensed public CAs) without our urn:lienthong:
//     names: Agency and DirectoryRecord carry certificates, the SHA-256 of
//     each certificate registered for the agency with its role (agency,
//     seal, tls, person; a person's name); Directory carries foreign_roots,
//     the other CAs' roots this hub trusts for agency and person
//     certificates (PEM). A client certificate that chains to a trusted
//     root but that no agency registered is answered 403
//     unregistered_certificate; a packet it signed likewise.
//   - v1 (2026-12-05): GET /v1/updates?inbox_after=C&statuses_after=D&wait=S
//     long-polls the caller's inbox and the statuses about its documents
//     at once and answers both (Updates), so that a system waiting for
//     either holds one request instead of two; MaxWait is 120 s (it was
//     30), so that an idle agency renews its wait a quarter as often.
//     /v1/inbox and /v1/statuses are unchanged.
//   - v1 (2026-12-05): POST /v1/messages also takes multipart/form-data:
//     a part "packet" first, the signed packet, then a part "attachment"
//     for each attachment sent with it, its filename the SHA-256 the
//     packet names for it (lower-case hex). Such an attachment needs no
//     upload: the document and its small files take one request, and the
//     hub stores them in one transaction. Together they may carry
//     Hello.MaxInline bytes (absent from hubs before, which take the
//     packet alone); larger attachments are uploaded as before.
package wire

import (
	"encoding/json"
	"strconv"
	"time"
)

// Version is the API version; every path starts with /v1.
const Version = 1

// Paths. A {name} is a path parameter.
const (
	PathHello       = "/v1/hello"
	PathUpload      = "/v1/uploads/{sha256}"
	PathMessages    = "/v1/messages"
	PathMessage     = "/v1/messages/{id}"
	PathAttachment  = "/v1/messages/{id}/attachments/{sha256}"
	PathAck         = "/v1/messages/{id}/ack"
	PathRefuse      = "/v1/messages/{id}/refuse"
	PathReceipts    = "/v1/messages/{id}/receipts"
	PathInbox       = "/v1/inbox"
	PathSent        = "/v1/sent"
	PathStatuses    = "/v1/statuses"
	PathStatusesAck = "/v1/statuses/ack"
	// PathUpdates long-polls the inbox and the statuses at once:
	// ?inbox_after=C&statuses_after=D&wait=S&limit=L (Updates).
	PathUpdates   = "/v1/updates"
	PathDirectory = "/v1/directory"
	// PathDirectoryHistory lists every version of one code's directory
	// entry (DirectoryHistory), for auditors; any agency may ask.
	PathDirectoryHistory = "/v1/directory/{code}/history"
	PathTimestamp        = "/v1/timestamp" // RFC 3161, application/timestamp-query

	// The transparency log, for auditors (see package auditlog).
	PathLogCheckpoint  = "/v1/log/checkpoint"  // the latest signed checkpoint (a signed note, text/plain)
	PathLogInclusion   = "/v1/log/inclusion"   // ?index=I&size=N
	PathLogConsistency = "/v1/log/consistency" // ?old=A&new=B
	PathLogEntries     = "/v1/log/entries"     // ?from=A&to=B, at most MaxLogEntries
	PathStats          = "/v1/stats"           // the statistics the hub publishes

	// PathCRL serves the PKI's current revocation lists, PEM "X509 CRL"
	// blocks (ContentCRL), as the hub has them; it is also the CRL
	// distribution point of the demo PKI's certificates.
	PathCRL = "/v1/pki/crl"

	// edXML (QCVN 102:2016), for document systems that speak it. Documents
	// and statuses are the same as through the calls above, in the same
	// queues: an agency acknowledges or refuses an edXML inbox item with
	// PathAck or PathRefuse and removes statuses with PathStatusesAck.
	PathEdXML         = "/v1/edxml"               // POST: a signed edXML document or status packet (ContentEdXML); answers EdXMLAccepted
	PathEdXMLInbox    = "/v1/edxml/inbox"         // GET ?after=C&wait=S&limit=L: documents queued to the caller (EdXMLInbox)
	PathEdXMLMessage  = "/v1/edxml/messages/{id}" // GET: a document as an edXML packet (ContentEdXML), HeaderOrigin says whose
	PathEdXMLStatuses = "/v1/edxml/statuses"      // GET ?after=C&wait=S: statuses about the caller's documents as edXML (EdXMLStatuses)
)

// ContentEdXML is the content type of an edXML packet.
const ContentEdXML = "application/xml"

// Headers of the edXML calls.
const (
	// HeaderSignature carries, base64, a detached CMS SignedData over the
	// exact bytes of the edXML packet in the body: how an agency binds a
	// packet that has no XML signature of its own (POST PathEdXML), and how
	// the hub hands such a packet on (GET PathEdXMLMessage).
	HeaderSignature = "Lienthong-Signature"
	// HeaderOrigin, on GET PathEdXMLMessage, is OriginSender or OriginHub.
	HeaderOrigin = "Lienthong-Origin"
)

// Origins of an edXML packet the hub hands out.
const (
	// OriginSender: the packet is the sender's own, byte for byte, signed
	// by the sender (its XML signature, or the detached CMS signature
	// given with it).
	OriginSender = "sender"
	// OriginHub: the sender spoke Lienthong's own packets; the hub built
	// the edXML packet from the sender's signed packet and signed it with
	// its receipt identity. The sender's signed packet comes with it, so
	// the recipient verifies the sender itself: its payload names every
	// attachment's SHA-256, and the PDFs carry their own signatures.
	OriginHub = "hub"
)

// FormatEdXML marks a StatusItem whose Packet is an edXML status packet.
const FormatEdXML = "edxml"

// ContentCRL is the content type of PathCRL's answer.
const ContentCRL = "application/x-pem-file"

// WholeUpload is the largest attachment a PATCH at offset 0 may carry
// whole to have it stored in one go: if that request breaks off, nothing
// of it is kept and the upload starts again at 0. Larger attachments, or
// chunks, keep durable offsets to resume from. The Go client's default
// chunk is this size.
const WholeUpload = 8 << 20

// MaxLogEntries bounds one GET /v1/log/entries.
const MaxLogEntries = 1000

// Content types.
const (
	ContentJSON   = "application/json"
	ContentPacket = "application/vnd.lienthong.packet+json" // a signed packet, package envelope
	ContentBytes  = "application/octet-stream"
)

// Long-poll limits: a client asks for at most MaxWait; the hub answers
// earlier when something arrives. PollWait is what an idle client should
// ask: a little under MaxWait, so that its wait ends at the hub. A node's
// death is noticed by the connection (QUIC or HTTP/2 pings), not by the
// poll's end, so a long wait costs nothing but renews the poll less often.
const (
	MaxWait     = 120 * time.Second
	PollWait    = 110 * time.Second
	MaxPageSize = 500
)

// ParseWait reads a long poll's wait parameter, a number of seconds: none
// is 0 (answer at once), and more than MaxWait is MaxWait (bounded before
// it becomes a Duration: seconds beyond 2^63 ns would wrap into a negative
// wait). ok is false when v is not a number of seconds, which the hub
// answers bad_request.
func ParseWait(v string) (wait time.Duration, ok bool) {
	if v == "" {
		return 0, true
	}
	secs, err := strconv.Atoi(v)
	if err != nil || secs < 0 {
		return 0, false
	}
	return time.Duration(min(secs, int(MaxWait/time.Second))) * time.Second, true
}

// MaxInboxBytes bounds one inbox answer: the hub stops adding documents
// once their packets and reports would pass it, but always answers at
// least one. The client asks again from the answer's next cursor. A
// status answer is bounded the same way by its packets.
const MaxInboxBytes = 8 << 20

// Hello answers GET /v1/hello: who the hub thinks the caller is, and the
// limits it enforces.
type Hello struct {
	Version       int       `json:"version"`
	Agency        string    `json:"agency"`
	AgencyName    string    `json:"agency_name,omitempty"`
	HubTime       time.Time `json:"hub_time"`
	MaxAttachment int64     `json:"max_attachment"`
	// AttachmentTypes are the content types of attachments the hub
	// accepts, "application/pdf" first; the main document is always a
	// PDF. Absent from hubs before 2026-12-05, which accept PDF only.
	AttachmentTypes []string `json:"attachment_types,omitempty"`
	// MaxInline is how many attachment bytes in all a submission may
	// carry with its packet (multipart/form-data); absent (0) from hubs
	// that take the packet alone.
	MaxInline int64 `json:"max_inline,omitempty"`
}

// MaxInline is the most attachment bytes one submission carries with its
// packet: the hub holds them in memory until they are stored. Above about
// that size, copying them in memory costs the hub more than the upload's
// request and transaction it saves (docs/PERFORMANCE.md).
const MaxInline = 256 << 10

// The parts of a multipart/form-data submission: the packet first, then
// one attachment part per attachment sent with it, whose filename is its
// SHA-256 in lower-case hex.
const (
	PartPacket     = "packet"
	PartAttachment = "attachment"
)

// UploadState answers both upload calls.
type UploadState struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Offset int64  `json:"offset"` // bytes durably stored
	Done   bool   `json:"done"`   // the whole file is committed
}

// Submitted answers POST /v1/messages.
type Submitted struct {
	MessageID string `json:"message_id"`
	Existed   bool   `json:"existed"` // a retry of an earlier submission
	Receipt   []byte `json:"receipt"` // the hub-signed "accepted" receipt packet
	// Recalls says, for a recall, which recipients lost the document and
	// which already had it (and are asked to answer 15 or 16).
	Recalls []RecallOutcome `json:"recalls,omitempty"`
}

// RecallOutcome is the effect of a recall on one recalled message.
type RecallOutcome struct {
	MessageID    string   `json:"message_id"`
	Withdrawn    []string `json:"withdrawn,omitempty"`
	AlreadyAcked []string `json:"already_acked,omitempty"`
}

// QueryInline is the query parameter of GET /v1/inbox and GET /v1/updates
// asking for small documents' attachments in their items: "1" (or "true")
// asks, absent, "0" or "false" does not; anything else is bad_request.
const QueryInline = "inline"

// MaxInlineAnswer bounds the attachment bytes one inbox answer carries in
// its items (InboxItem.Inline), before base64: the hub holds them in
// memory while it answers. From the first item whose bytes would take
// the answer past it, no item carries any.
const MaxInlineAnswer = 1 << 20

// InboxItem is a document queued to the caller.
type InboxItem struct {
	Cursor    uint64          `json:"cursor"`
	MessageID string          `json:"message_id"`
	Sender    string          `json:"sender"`
	Packet    []byte          `json:"packet,omitempty"` // the sender's signed document packet
	Report    json.RawMessage `json:"report,omitempty"` // the hub's verification of the attachments' signatures
	// EdXML is set, and Packet empty, for a document its sender sent as
	// an edXML packet: fetch the packet from PathEdXMLMessage and verify
	// it yourself.
	EdXML *EdXMLRef `json:"edxml,omitempty"`
	// Inline, with QueryInline asked, are the bytes of every attachment
	// of the document when together they are at most MaxInline bytes
	// (and the answer's within MaxInlineAnswer); else it is empty and
	// each is downloaded. Check each against the packet's SHA-256.
	Inline []InlineAttachment `json:"inline,omitempty"`
}

// InlineAttachment is an attachment's bytes carried in an inbox item.
type InlineAttachment struct {
	SHA256 string `json:"sha256"` // lower-case hex, as the packet names it
	Data   []byte `json:"data"`
}

// Inlined returns the bytes the item carries for the attachment digest,
// if it carries them.
func (it *InboxItem) Inlined(digest string) ([]byte, bool) {
	for _, a := range it.Inline {
		if a.SHA256 == digest {
			return a.Data, true
		}
	}
	return nil, false
}

// EdXMLRef names the edXML packet a document was sent as.
type EdXMLRef struct {
	SHA256 string `json:"sha256"` // of the packet's bytes
	Size   int64  `json:"size"`
	// Signature is the detached CMS signature the sender gave with a
	// packet that has no XML signature of its own.
	Signature []byte `json:"signature,omitempty"`
}

// EdXMLAccepted answers POST /v1/edxml.
type EdXMLAccepted struct {
	Kind string `json:"kind"` // "document" or "status"
	// MessageID is the document's message id: for a document packet the
	// one the hub gave it (the first 32 hex digits of the packet's
	// SHA-256), for a status packet the document it is about.
	MessageID string `json:"message_id"`
	Existed   bool   `json:"existed"`           // the same packet was taken before
	Receipt   []byte `json:"receipt,omitempty"` // a document's hub-signed "accepted" receipt packet
	// Recalls says, for a revocation, which recipients lost the document.
	Recalls []RecallOutcome `json:"recalls,omitempty"`
	// Warnings are the deviations of form the hub read past.
	Warnings []EdXMLWarning `json:"warnings,omitempty"`
}

// EdXMLRefusal is the Details of an error refusing an edXML packet at one
// of its elements.
type EdXMLRefusal struct {
	Element string `json:"element"` // the element, edXMLEnvelope/...
}

// EdXMLWarning is one deviation of an edXML packet from the standard's
// form that still had one reading.
type EdXMLWarning struct {
	Kind   string `json:"kind"`
	Path   string `json:"path"` // the element, /edXMLEnvelope/...
	Detail string `json:"detail,omitempty"`
}

// EdXMLInboxItem is a document queued to the caller, to fetch as edXML
// from PathEdXMLMessage.
type EdXMLInboxItem struct {
	Cursor    uint64 `json:"cursor"`
	MessageID string `json:"message_id"`
	Sender    string `json:"sender"`
	Origin    string `json:"origin"` // OriginSender or OriginHub
	// SHA256 and Size are those of the sender's own edXML packet
	// (OriginSender); Signature its detached CMS signature, if it was
	// signed that way.
	SHA256    string `json:"sha256,omitempty"`
	Size      int64  `json:"size,omitempty"`
	Signature []byte `json:"signature,omitempty"`
	// Packet is, for OriginHub, the sender's signed Lienthong packet the
	// hub built the edXML packet from.
	Packet []byte `json:"packet,omitempty"`
}

// EdXMLInbox answers GET /v1/edxml/inbox.
type EdXMLInbox struct {
	Items []EdXMLInboxItem `json:"items"`
	Next  uint64           `json:"next"`
}

// EdXMLStatusItem is a status about one of the caller's documents as an
// edXML status packet.
type EdXMLStatusItem struct {
	Cursor    uint64    `json:"cursor"`
	MessageID string    `json:"message_id"` // the document
	From      string    `json:"from"`
	Code      string    `json:"code"`
	At        time.Time `json:"at"`
	Origin    string    `json:"origin"` // OriginSender or OriginHub
	EdXML     []byte    `json:"edxml"`  // the edXML status packet
	// Signature is the detached CMS signature of a sender's packet that
	// has no XML signature of its own.
	Signature []byte `json:"signature,omitempty"`
	// Packet is, for OriginHub, the signed status packet, or the hub's
	// receipt for 01 and a refusal's 02, the edXML packet was built from.
	Packet []byte `json:"packet,omitempty"`
}

// EdXMLStatuses answers GET /v1/edxml/statuses.
type EdXMLStatuses struct {
	Items []EdXMLStatusItem `json:"items"`
	Next  uint64            `json:"next"`
}

// Inbox answers GET /v1/inbox.
type Inbox struct {
	Items []InboxItem `json:"items"`
	Next  uint64      `json:"next"` // pass as after= next time
}

// Acked answers POST /v1/messages/{id}/ack.
type Acked struct {
	MessageID string `json:"message_id"`
	Existed   bool   `json:"existed"`
	Receipt   []byte `json:"receipt"` // the hub-signed "delivered" receipt packet
}

// Refusal is the body of POST /v1/messages/{id}/refuse.
type Refusal struct {
	// Reason says why, for the sender's clerk: required, at most 500
	// characters, no control characters.
	Reason string `json:"reason"`
}

// Refused answers POST /v1/messages/{id}/refuse.
type Refused struct {
	MessageID string `json:"message_id"`
	Existed   bool   `json:"existed"` // a retry: the answer of the first refusal
	Reason    string `json:"reason"`  // the reason the hub stored (the first one)
	Receipt   []byte `json:"receipt"` // the hub-signed "refused" receipt packet
}

// StatusItem is a status about one of the caller's documents, or a hub
// event standing for one (01 is the hub's "delivered" receipt, 02 may be
// its "refused" receipt).
type StatusItem struct {
	Cursor    uint64    `json:"cursor"`
	MessageID string    `json:"message_id"` // the document
	From      string    `json:"from"`
	Code      string    `json:"code"`
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
	Packet    []byte    `json:"packet"` // the signed status packet, or the hub's receipt for 01 and a refusal's 02
	// Format is FormatEdXML when Packet is an edXML status packet, which
	// the recipient signed with XML-DSig or with Signature.
	Format    string `json:"format,omitempty"`
	Signature []byte `json:"signature,omitempty"`
}

// Statuses answers GET /v1/statuses.
type Statuses struct {
	Items []StatusItem `json:"items"`
	Next  uint64       `json:"next"`
}

// Updates answers GET /v1/updates: the caller's inbox after
// inbox_after and the statuses about its documents after statuses_after,
// each as GET /v1/inbox and GET /v1/statuses would answer them. It is
// answered once either holds something, or when the wait is over.
type Updates struct {
	Inbox    Inbox    `json:"inbox"`
	Statuses Statuses `json:"statuses"`
}

// StatusAccepted answers POST /v1/statuses.
type StatusAccepted struct {
	Existed bool `json:"existed"`
}

// AckStatuses is the body of POST /v1/statuses/ack.
type AckStatuses struct {
	Cursors []uint64 `json:"cursors"`
}

// SentItem is one of the caller's sent documents with where it stands at
// each recipient.
type SentItem struct {
	Cursor     uint64           `json:"cursor"`
	MessageID  string           `json:"message_id"`
	Received   time.Time        `json:"received"`
	Recipients []RecipientState `json:"recipients"`
}

// RecipientState is a sent document's state at one recipient.
type RecipientState struct {
	Agency    string    `json:"agency"`
	Delivery  string    `json:"delivery"` // pending, acked, withdrawn or refused
	AckedAt   time.Time `json:"acked_at,omitzero"`
	LastCode  string    `json:"last_code,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Sent answers GET /v1/sent.
type Sent struct {
	Items []SentItem `json:"items"`
	Next  uint64     `json:"next"`
}

// Receipts answers GET /v1/messages/{id}/receipts.
type Receipts struct {
	Receipts [][]byte `json:"receipts"` // hub-signed receipt packets
}

// LogProof answers the inclusion and consistency calls: tree hashes
// (32 bytes each, base64 in JSON) from the leaf or the older tree up.
// For inclusion, Index and Size are set; for consistency, Old and New.
type LogProof struct {
	Index  int64    `json:"index,omitempty"`
	Size   int64    `json:"size,omitempty"`
	Old    int64    `json:"old,omitempty"`
	New    int64    `json:"new,omitempty"`
	Hashes [][]byte `json:"hashes"`
}

// LogEntries answers GET /v1/log/entries: the encoded entries from From on.
type LogEntries struct {
	From    int64    `json:"from"`
	Entries [][]byte `json:"entries"`
}

// AgencyStats are the counters the hub publishes for one agency.
type AgencyStats struct {
	Agency    string            `json:"agency"`
	Sent      uint64            `json:"sent"`
	Received  uint64            `json:"received"`
	Acked     uint64            `json:"acked"`
	Withdrawn uint64            `json:"withdrawn"`
	Statuses  map[string]uint64 `json:"statuses"`
}

// Stats answers GET /v1/stats.
type Stats struct {
	LogSize  int64         `json:"log_size"` // the log size the figures correspond to
	Agencies []AgencyStats `json:"agencies"`
}

// Agency is a directory entry.
type Agency struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	Parent       string `json:"parent,omitempty"`
	Level        int    `json:"level"`
	Active       bool   `json:"active"`
	SupersededBy string `json:"superseded_by,omitempty"`
	// ClosedOn is the day (yyyy-mm-dd) a reorganisation closed the code,
	// empty while it is open or when the directory has no date; from that
	// day its documents go to SupersededBy.
	ClosedOn string `json:"closed_on,omitempty"`
	// Certificates are the certificates of other CAs registered for the
	// agency: a certificate without our URI stands for the agency, in the
	// role given, exactly when its SHA-256 is listed here.
	Certificates []AgencyCertificate `json:"certificates,omitempty"`
}

// AgencyCertificate is a certificate of another CA registered for an
// agency.
type AgencyCertificate struct {
	SHA256 string `json:"sha256"` // of the certificate's DER, lower-case hex
	// Role is "agency" (TLS and seal), "seal" (signs documents and
	// packets), "tls" (connects to the hub, signs packets) or "person" (a
	// competent person signing documents in their name).
	Role   string `json:"role"`
	Person string `json:"person,omitempty"` // the holder's full name, for a person
}

// DirectoryHistory answers GET PathDirectoryHistory: every version of a
// code's directory entry, oldest first. Each version is the record the
// hub committed to its transparency log, byte for byte: an auditor checks
// that SHA-256(Record) is the packet_sha256 of the log entry at LogIndex
// (kind "directory", agency Code, at At), and that entry's inclusion under
// a signed checkpoint (PathLogEntries, PathLogInclusion), and then reads
// the record. A closed code's last version says the day it closed, its
// successor and the act that decided it; a closure is never changed.
type DirectoryHistory struct {
	Code     string             `json:"code"`
	Versions []DirectoryVersion `json:"versions"`
}

// DirectoryVersion is one version of a directory entry.
type DirectoryVersion struct {
	At       time.Time `json:"at"`        // when the hub recorded it: its log entry's time
	LogIndex int64     `json:"log_index"` // the log entry that commits to Record
	Record   []byte    `json:"record"`    // a DirectoryRecord in JSON, exactly as logged
}

// DirectoryRecord is what a DirectoryVersion's Record holds: the
// directory entry as the hub stores and logs it. Readers take unknown
// fields as they come (a later hub may record more); the log commits to
// the bytes, not to this type.
type DirectoryRecord struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	Parent       string `json:"parent,omitempty"`
	Level        int    `json:"level"`
	Active       bool   `json:"active"`
	SupersededBy string `json:"superseded_by,omitempty"`
	// ClosedOn is the day the code closed, as midnight UTC (RFC 3339);
	// absent while it is open. ClosedBasis is the act that decided it.
	ClosedOn    time.Time `json:"closed_on,omitzero"`
	ClosedBasis string    `json:"closed_basis,omitempty"`
	// CertPEM is the agency's certificate, when the directory holds one.
	CertPEM []byte `json:"cert_pem,omitempty"`
	// Certificates are the certificates of other CAs registered for the
	// agency (see Agency.Certificates).
	Certificates []AgencyCertificate `json:"certificates,omitempty"`
}

// Directory answers GET /v1/directory; it carries an ETag, and a request
// with a matching If-None-Match gets 304.
type Directory struct {
	Agencies []Agency `json:"agencies"`
	// ForeignRoots are the root certificates of other CAs this hub trusts
	// for agency and person certificates, PEM, besides the PKI's own root.
	// A clerk adopts them because the hub it authenticated sent them, as it
	// adopts the registrations in Agencies.
	ForeignRoots string `json:"foreign_roots,omitempty"`
}
