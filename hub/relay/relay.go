// Package relay is the hub's domain layer: what the hub does for an
// authenticated agency, with no HTTP in it. Package server decodes a
// request, calls the relay and encodes its answer; tests of the rules call
// the relay directly over a real store.
//
// # Operations
//
//   - Submit takes a signed document packet: a new document, or a recall,
//     update or replacement of earlier ones (the packet's business type;
//     the store applies a recall to its targets in the same transaction).
//     It checks the signature, that the signer is the connected agency,
//     that the document is not marked Mật or above (unless
//     Options.AllowSecret), that every recipient is active in the
//     directory and that every attachment is of a type Options.AttachmentTypes
//     accepts (the main document a PDF), was uploaded whole, matches its
//     content type (envelope.CheckFile) and, if a PDF, passes
//     CheckAttachment; then it stores the message with its signed
//     "accepted" receipt.
//   - SubmitEdXML takes a signed edXML packet (QCVN 102:2016) from an
//     agency's document system: a document, with Submit's checks, receipt
//     and log entry, kept as the sender's packet byte for byte (a blob of
//     the message, which its stored envelope names: edxmlRef); or a status,
//     relayed as PostStatus relays one. ReadEdXML reads the packet under
//     the edXML memory budget.
//   - Ack records that a recipient stored a document; the store keeps the
//     signed "delivered" receipt and status 01 (Đã đến), which the receipt
//     carries to the sender, in the acknowledgement's own transaction.
//   - PostStatus relays a recipient's signed status packet to the sender;
//     the store checks it against the recipient's whole history in the
//     transaction that stores it.
//   - Inbox, Statuses and Sent list what waits for an agency (the first
//     two long-poll, woken when something arrives); Message, Attachment
//     and Receipts give a message's parts to its parties only;
//     Directory and Hello answer what an agency may know of the hub.
//   - EdXMLInbox, EdXMLMessage and EdXMLStatuses are the same queues and
//     messages as edXML packets (edxml_view.go): the sender's own packet
//     when it came as edXML, else one the hub renders and signs with its
//     receipt identity, handed out beside the sender's signed packet.
//
// # Who may do what
//
// Every operation takes the agency from the verified client certificate,
// never from the request. Party decides who may read a message: its sender
// and its recipients, except a recipient whose copy was withdrawn by a
// recall; to anyone else the message does not exist. mayUseBlob decides who
// may name an attachment in a submission or read it: an agency that
// uploaded the bytes itself, or a party to a message carrying them that no
// recall withdrew it from; to anyone else the attachment does not exist,
// and an upload of it is an upload like any other. Knowing a SHA-256 is
// not holding the file. quotaAllows bounds the bytes an agency keeps on
// the hub that no message references.
//
// # Errors
//
// The relay returns sentinel errors (this package's and package store's,
// wrapped with detail) and never a wire code: hub/server/errors.go maps
// them to the wire's codes in one table.
package relay

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/wakeup"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// Sentinel errors callers decide on; the relay wraps them with detail.
var (
	// ErrSenderMismatch: the packet is signed by another agency than the
	// connected one.
	ErrSenderMismatch = errors.New("the packet's signer is not the connected agency")
	// ErrUnknownRecipient: a recipient is not an active agency in the
	// directory.
	ErrUnknownRecipient = errors.New("recipient is not an active agency in the directory")
	// ErrAttachmentSize: an uploaded attachment's size is not the one the
	// envelope gives.
	ErrAttachmentSize = errors.New("attachment size differs from the envelope's")
	// ErrNotPDF: an attachment's bytes do not match its content type
	// (envelope.CheckFile: a PDF that does not begin with %PDF-, an
	// office file that is not the ZIP its type requires or carries
	// macros), or a CheckAttachment found the PDF unreadable. The wire
	// code keeps its name, not_pdf, and this wider meaning.
	ErrNotPDF = errors.New("attachment refused by its content")
	// ErrSecretNotAllowed: the document is marked Mật or above and this
	// hub is not configured to carry such documents (Options.AllowSecret).
	ErrSecretNotAllowed = errors.New("documents marked Mật or above are not accepted by this hub")
	// ErrPDFTooComplex is what a CheckAttachment wraps for a PDF that asks
	// for more work or memory than its size justifies (a decompression or
	// object bomb).
	ErrPDFTooComplex = errors.New("PDF too complex to check safely")
	// ErrNotRecipient: only a recipient of the message may do this (the
	// sender acknowledging its own message).
	ErrNotRecipient = errors.New("only a recipient of the message may do this")
	// ErrQuotaExceeded: the agency holds as many bytes that no message
	// references (partial uploads and attachments not yet sent) as its
	// quota allows.
	ErrQuotaExceeded = errors.New("upload quota exceeded: attachments not yet sent fill the agency's quota")
	// ErrDraining: this hub node is stopping (Drain); a long poll that
	// found nothing ends with it at once, so that its client asks another
	// node rather than waiting out the node's shutdown.
	ErrDraining = errors.New("this hub node is stopping: ask another")
)

// Store is what the relay uses of the hub's store.
type Store interface {
	Accept(ctx context.Context, sub *store.Submission, seal store.Seal) (store.AcceptResult, bool, error)
	Message(ctx context.Context, messageID string) (store.Message, error)
	MessageParty(ctx context.Context, messageID string, agency certs.AgencyCode) (store.Message, *store.Delivery, error)
	Sent(ctx context.Context, sender certs.AgencyCode, after uint64, limit int) ([]store.SentRecord, error)
	Deliveries(ctx context.Context, messageID string) ([]store.Delivery, error)
	MessagesByDocumentID(ctx context.Context, documentID string) ([]string, error)
	Inbox(ctx context.Context, recipient certs.AgencyCode, after uint64, limit int, now time.Time) ([]store.Delivery, error)
	Ack(ctx context.Context, recipient certs.AgencyCode, messageID, leaseToken string, now time.Time, seal store.Seal) (store.Delivery, bool, error)
	Refuse(ctx context.Context, recipient certs.AgencyCode, messageID, reason string, now time.Time, seal store.Seal) (store.Delivery, bool, error)
	AppendStatus(ctx context.Context, st *store.StatusUpdate) (store.StatusUpdate, bool, error)
	StatusHistory(ctx context.Context, messageID string) ([]store.StatusUpdate, error)
	StatusInbox(ctx context.Context, sender certs.AgencyCode, after uint64, limit int) ([]store.StatusUpdate, error)
	AckStatus(ctx context.Context, sender certs.AgencyCode, cursor uint64) error
	PutReceipt(ctx context.Context, r *store.Receipt) (store.Receipt, bool, error)
	Receipts(ctx context.Context, messageID string) ([]store.Receipt, error)
	Agency(ctx context.Context, code certs.AgencyCode) (store.Agency, error)
	Agencies(ctx context.Context) ([]store.Agency, error)
	AgencyHistory(ctx context.Context, code certs.AgencyCode) ([]store.AgencyChange, error)
	BeginUpload(ctx context.Context, owner certs.AgencyCode, digest string, size int64) (store.Upload, error)
	AppendUpload(ctx context.Context, up store.Upload, offset int64, r io.Reader) (int64, error)
	CommitUpload(ctx context.Context, up store.Upload, at time.Time) (store.BlobInfo, error)
	PutBlob(ctx context.Context, owner certs.AgencyCode, digest string, r io.Reader, at time.Time) (store.BlobInfo, error)
	OpenBlob(ctx context.Context, digest string) (io.ReadSeekCloser, error)
	StatBlob(ctx context.Context, digest string) (store.BlobInfo, error)
	BlobGranted(ctx context.Context, agency certs.AgencyCode, digest string) (bool, error)
	OpenGranted(ctx context.Context, agency certs.AgencyCode, digest string) (io.ReadSeekCloser, error)
	UploadCheck(ctx context.Context, agency certs.AgencyCode, digest string) (store.BlobInfo, store.UploadUsage, error)
}

// CheckAttachment inspects an uploaded attachment before a document that
// names it is accepted: it returns a report to keep with the message (the
// verification of the PDF's signatures) or an error if the file must be
// refused. The error wraps ErrNotPDF when the file is not a readable PDF
// and ErrPDFTooComplex when it is over the reader's budget.
type CheckAttachment func(ctx context.Context, r io.ReaderAt, size int64) ([]byte, error)

// Observer is told of what the relay did, for the hub's metrics. Retries
// are not counted.
type Observer interface {
	Accepted()
	Delivered()
	Status(code document.Status)
	Uploaded(bytes int64)
	// Polling is +1 when a long poll starts waiting and -1 when it ends.
	Polling(delta int)
}

// Options configure a Relay.
type Options struct {
	Store    Store
	Verifier *certs.Verifier // trusted roots and CRLs for packets
	Identity certs.Signer    // the hub's key and certificate, which sign receipts
	// CheckAttachment checks each PDF attachment beyond its bytes'
	// match with its type (envelope.CheckFile, always checked); nil
	// accepts the rest.
	CheckAttachment CheckAttachment
	// AttachmentTypes are the attachment types agencies may send (the
	// main document is always a PDF); the zero Policy accepts PDF only.
	// Office files are checked by content (envelope.CheckFile), not by
	// CheckAttachment: their report says no signature was checked.
	AttachmentTypes envelope.Policy
	// AllowSecret accepts documents marked Mật, Tối mật or Tuyệt mật.
	// They travel and rest unencrypted, so the default refuses them with
	// ErrSecretNotAllowed.
	AllowSecret bool
	// Checks is how many attachment checks may run at once (each may use
	// its document's budget of memory); 0 means one per CPU. Submissions
	// beyond wait for a turn as long as their request lives.
	Checks int
	// CheckCache is how many check outcomes are remembered per SHA-256;
	// 0 means 1024.
	CheckCache int
	Logger     *slog.Logger
	Observer   Observer // nil observes nothing
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxInboxBytes bounds the packets and reports of one inbox answer,
	// and the packets of one status answer; 0 means wire.MaxInboxBytes.
	MaxInboxBytes int
	// UploadQuota bounds, per agency, the bytes it holds on the hub that no
	// message references: its partial uploads (at their declared size) and
	// the attachments it uploaded but has not sent. 0 means no quota.
	UploadQuota int64
	// Recheck makes a long poll look at the store again every Recheck even
	// when not woken: with several hub nodes, in case a wake-up from
	// another node (Wake) was lost. 0 means never: one process, whose
	// every event wakes its own polls.
	Recheck time.Duration
	// EdXML tunes the edXML calls.
	EdXML EdXMLOptions
}

// Relay carries documents and statuses between agencies over a store.
type Relay struct {
	st       Store
	verifier *certs.Verifier
	identity certs.Signer
	check    *checker // nil: no check
	secret   bool
	types    envelope.Policy
	log      *slog.Logger
	obs      Observer
	clock    func() time.Time
	wakeup   *wakeup.Set
	inboxMax int
	quota    int64
	recheck  time.Duration
	draining chan struct{} // closed by Drain
	drain    sync.Once
	edxml    EdXMLOptions
	edxmlMem *edxmlBudget
	ranges   rangeCache // signed ranges hashed during uploads
}

// New returns a Relay over opts.Store.
func New(opts Options) (*Relay, error) {
	if opts.Store == nil || opts.Verifier == nil || opts.Identity == nil {
		return nil, errors.New("relay: store, verifier and identity are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxInboxBytes <= 0 {
		opts.MaxInboxBytes = wire.MaxInboxBytes
	}
	if err := opts.EdXML.defaults(); err != nil {
		return nil, err
	}
	r := &Relay{
		st: opts.Store, verifier: opts.Verifier, identity: opts.Identity, secret: opts.AllowSecret, types: opts.AttachmentTypes,
		log: opts.Logger, obs: opts.Observer, clock: opts.Now, wakeup: wakeup.New(), inboxMax: opts.MaxInboxBytes, quota: opts.UploadQuota,
		recheck: opts.Recheck, draining: make(chan struct{}),
		edxml: opts.EdXML, edxmlMem: newEdXMLBudget(opts.EdXML),
	}
	if opts.CheckAttachment != nil {
		r.check = newChecker(opts.CheckAttachment, opts.Checks, opts.CheckCache, opts.Verifier.CRLs)
	}
	return r, nil
}

func (r *Relay) now() time.Time { return r.clock().UTC() }

type nopObserver struct{}

func (nopObserver) Accepted()              {}
func (nopObserver) Delivered()             {}
func (nopObserver) Status(document.Status) {}
func (nopObserver) Uploaded(int64)         {}
func (nopObserver) Polling(int)            {}

// HelloInfo is what the hub tells an agency about itself.
type HelloInfo struct {
	Agency     certs.AgencyCode
	AgencyName string // from the directory; empty when not listed
	HubTime    time.Time
	// AttachmentTypes are the content types of attachments the hub
	// accepts, PDF first.
	AttachmentTypes []string
}

// Hello tells an agency who the hub thinks it is.
func (r *Relay) Hello(ctx context.Context, agency certs.AgencyCode) HelloInfo {
	h := HelloInfo{Agency: agency, HubTime: r.now()}
	for _, t := range r.types.Types() {
		h.AttachmentTypes = append(h.AttachmentTypes, t.ContentType)
	}
	if a, err := r.st.Agency(ctx, agency); err == nil {
		h.AgencyName = a.Name
	}
	return h
}

// DirectoryHistory lists every version of code's directory entry, oldest
// first, each with the record bytes its log entry commits to (Record), so
// that an auditor checks where a closed code led against the log. Any
// agency may ask: the directory is public among agencies, and the log
// entries name the same changes already. Versions are as recorded: a
// closure whose day has not come is shown with its day.
func (r *Relay) DirectoryHistory(ctx context.Context, code certs.AgencyCode) ([]store.AgencyChange, error) {
	if err := store.ValidAgencyCode(code); err != nil {
		return nil, err
	}
	return r.st.AgencyHistory(ctx, code)
}

// Directory lists every agency's current directory entry as agencies see
// it today: a closure whose day has not come (recorded ahead of the act
// taking effect) is not shown yet, since the code still takes documents
// until then (see recipients).
func (r *Relay) Directory(ctx context.Context) ([]store.Agency, error) {
	list, err := r.st.Agencies(ctx)
	if err != nil {
		return nil, err
	}
	today := store.DayOf(r.clock())
	for i := range list {
		if a := &list[i]; a.Closed() && a.ClosedOn.After(today) {
			a.Active, a.SupersededBy, a.ClosedOn, a.ClosedBasis = true, "", time.Time{}, ""
		}
	}
	return list, nil
}
