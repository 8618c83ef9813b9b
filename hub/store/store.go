// Package store defines the hub's durable store: the domain-level operations
// the hub needs (accept a submission, lease and acknowledge deliveries,
// route status updates, keep receipts and the agency directory, hold
// attachment blobs) and the types they exchange, typed with the domain's
// own types (certs.AgencyCode, document.Status, document.BusinessType).
//
// Store is what a backend implements. Its consumers each name the few
// methods they use: relay.Store (the domain layer), server.Store (the relay's
// and the transparency log's) and control.Store (the operator's commands).
//
// # Contract
//
// Every backend (the embedded bbolt one in hub/store/boltstore, the
// PostgreSQL one in hub/store/pgstore) must pass the conformance suite in
// hub/store/storetest, which checks the rules below.
//
//   - Durable: an operation that returned a nil error is on stable storage
//     (fsynced). An operation that returned an error changed nothing.
//   - Atomic: each state change is one transaction; Accept stores the
//     message, enqueues one delivery per recipient, appends the sender's
//     "sent" record, updates the statistics and grants and counts its
//     attachments together or not at all; Ack stores the delivery, its
//     receipt and status 01 together; a recall withdraws deliveries and
//     revokes their grants together; AppendStatus
//     checks the status against the recipient's whole history
//     (document.Lifecycle) in the transaction that stores it.
//   - Idempotent: Accept by MessageID, Ack by (recipient, MessageID),
//     AppendStatus by the status's signed bytes, PutReceipt by (event,
//     party), blobs by SHA-256. A retry returns the original result and
//     existed=true; a retry that disagrees with the original returns
//     ErrConflict.
//   - Exactly once in effect: once a delivery is acknowledged it is never
//     listed or leased again, so a recipient never sees a document twice.
//   - Closed codes stay closed: CloseAgencies records a batch of
//     successions (a code closed on a day, one successor) whole or not at
//     all, checked by PlanSuccessions in its transaction (no cycle, no
//     successor missing, no closure changed); afterwards UpsertAgency
//     refuses the code (ErrCodeClosed). Trace reads where a code led on a
//     day. See succession.go.
//
// The store keeps the signed envelope, the verification report and status
// and receipt signatures as opaque bytes; it never parses PDF or CMS. It
// validates only what it indexes: message ids, agency codes, digests,
// status codes and the business kind.
//
// Times are passed in by the caller (the hub's clock), never read inside a
// backend, so that every backend and every test sees the same time.
//
// # Kept for the next issues
//
// Two parts of the contract have no caller in the hub yet and are kept
// on purpose, each with conformance tests: MessagesByDocumentID, for the
// duplicate warning ND30 asks for (the same DocumentId sent twice); and
// Lease and Release with their lease tokens, on which the edXML inbox
// builds get → done (Ack with the token) / fail (Release).
//
// # Blobs
//
// Attachments are content-addressed by their SHA-256 and uploaded in
// chunks (BeginUpload, AppendUpload at an offset, CommitUpload with a
// digest check) or in one stream (PutBlob). A partial upload survives a
// restart and resumes from its durable offset. Blob bytes are never
// written inside a metadata transaction.
//
// Storage is deduplicated, authority is not. The store keeps grants: an
// (agency, digest) record saying the agency may use the blob. A grant is
// written when the agency's own upload of the bytes completes
// (CommitUpload, PutBlob), and when Accept stores a message carrying the
// blob, for its sender and each recipient, in Accept's transaction; a
// recall revokes the grants its withdrawn recipients held through the
// target, in the recall's transaction (a grant the recipient holds by its
// own upload or through another message stays). BlobGranted reads them;
// the hub's rule (relay's mayUseBlob) is built on it. Accept refuses with
// ErrMissingBlob an attachment that is not present or that the sender
// holds no grant of, checked inside its transaction. BeginUpload never
// answers from a blob that is present: an upload is always of the owner's
// own bytes, so nobody learns from it that a blob exists.
//
// Blobs are deleted (GCBlobs): a blob no message carries, stored longer
// than a TTL ago, goes with its grants; and, when the operator sets a
// retention, the bytes of a blob whose every message was settled (every
// delivery acknowledged, refused or withdrawn) longer than the retention ago go
// too, while its grants stay, so that OpenBlob then answers ErrGone to
// the parties. A blob found present can therefore vanish; Accept checks
// presence and grants inside its transaction, and a deletion first
// removes the blob's record in a transaction of its own and only then the
// bytes, so that an Accept either commits first (and the blob is kept) or
// sees the blob gone. GCUploads removes partial uploads idle longer than a
// TTL. UploadUsage gives what an agency holds that no message references
// yet, for the hub's quota; UploadCheck gives it with the blob as the
// agency may see it, what deciding an upload needs, in one read.
package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"lienthong/certs"
	"lienthong/shared/document"
)

// Sentinel errors callers decide on. Backends wrap them with detail; test
// with errors.Is.
var (
	// ErrNotFound: no such message, delivery, agency, blob or upload.
	ErrNotFound = errors.New("not found")
	// ErrConflict: an id already names something different (the same
	// MessageID with another envelope, a receipt with other bytes).
	ErrConflict = errors.New("conflict with stored state")
	// ErrMissingBlob: a submission names an attachment that is not
	// committed, or that the sender holds no grant of.
	ErrMissingBlob = errors.New("attachment not uploaded")
	// ErrGone: the bytes of a delivered attachment were removed by the
	// retention policy; the log and receipts keep the proof.
	ErrGone = errors.New("attachment removed after its retention period")
	// ErrInvalid: a request is malformed (bad id, code, digest, kind).
	ErrInvalid = errors.New("invalid request")
	// ErrForbidden: the caller is not a party allowed to do this (a status
	// from a non-recipient, a recall of another agency's message).
	ErrForbidden = errors.New("not allowed for this agency")
	// ErrLeaseLost: an Ack or Release names a lease token that is no
	// longer the delivery's current lease.
	ErrLeaseLost = errors.New("lease token is not current")
	// ErrWithdrawn: the delivery was withdrawn by a recall before it was
	// acknowledged.
	ErrWithdrawn = errors.New("delivery withdrawn by a recall")
	// ErrDigestMismatch: uploaded bytes do not hash to the claimed SHA-256.
	ErrDigestMismatch = errors.New("content does not match its sha-256")
	// ErrOffset: an upload chunk does not start at the upload's durable
	// offset; see *OffsetError for the offset to resume from.
	ErrOffset = errors.New("upload offset mismatch")
	// ErrTooLarge: an upload is longer than it declared.
	ErrTooLarge = errors.New("upload larger than declared")
	// ErrWrongDocument: a status names another document (DocumentId) than
	// the message it is about carries.
	ErrWrongDocument = errors.New("the status is about another document")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
	// ErrUnavailable: the store's database cannot be reached now (a lost
	// connection, a failover in progress, a server shutting down); the
	// operation may or may not have taken effect, and asking again (on
	// this node or another) is safe, every operation being idempotent.
	ErrUnavailable = errors.New("the hub's database cannot be reached now")
)

// OffsetError reports an AppendUpload at the wrong offset. Resume from Want.
type OffsetError struct {
	Got, Want int64
}

func (e *OffsetError) Error() string {
	return "upload offset mismatch: chunk at " + itoa(e.Got) + ", durable offset " + itoa(e.Want)
}

// Unwrap makes errors.Is(err, ErrOffset) true.
func (e *OffsetError) Unwrap() error { return ErrOffset }

// Store is the hub's whole durable state. Close releases it; using a closed
// store returns ErrClosed.
type Store interface {
	Messages
	Queues
	Refusals
	Statuses
	Receipts
	Directory
	Blobs
	Log
	// Stats returns the counters of one agency; an agency never seen has
	// zero counters and no error.
	Stats(ctx context.Context, agency certs.AgencyCode) (AgencyStats, error)
	Close() error
}

// Log is the transparency log (package auditlog). Every event the store
// commits — an accepted submission, an acknowledged delivery, a status, a
// directory change — appends one entry and its Merkle tree hashes in the
// same transaction, so nothing committed can be missing from the log and
// appending costs no extra fsync. A retry that changes nothing appends
// nothing. Entries name documents by hashes and agencies by code, never
// by content.
type Log interface {
	// LogSize is the number of entries.
	LogSize(ctx context.Context) (int64, error)
	// LogEntries returns the encoded entries with index in [from, to).
	LogEntries(ctx context.Context, from, to int64) ([][]byte, error)
	// ReadHashes reads stored tree hashes by tlog's stored-hash index
	// (tlog.HashReader).
	ReadHashes(indexes []int64) ([]tlog.Hash, error)
	// PutCheckpoint keeps a signed checkpoint of the given size; a second
	// one for the same size is ignored.
	PutCheckpoint(ctx context.Context, size int64, signed []byte) error
	// LatestCheckpoint returns the largest checkpoint kept, size 0 and nil
	// when there is none.
	LatestCheckpoint(ctx context.Context) (size int64, signed []byte, err error)
}

// Messages accepts submissions and reads them back.
type Messages interface {
	// Accept stores sub atomically with its deliveries, the sender's sent
	// record and statistics; for a recall it also withdraws the targets'
	// unacknowledged deliveries. existed reports a retry of an earlier
	// Accept with the same MessageID and envelope; its original result is
	// returned. The same MessageID with another envelope is ErrConflict; an
	// attachment not committed is ErrMissingBlob; a target (of a recall,
	// update or replace) that is unknown is ErrNotFound and one sent by
	// another agency ErrForbidden; an envelope that does not hash to
	// EnvelopeSHA256 is ErrDigestMismatch; other malformed fields are
	// ErrInvalid (see Submission.Validate). Nothing is stored on error.
	// A non-nil seal makes the acceptance's receipt, which is stored in the
	// same transaction; a retry does not call it.
	Accept(ctx context.Context, sub *Submission, seal Seal) (res AcceptResult, existed bool, err error)
	// Message returns a stored message with its envelope and report.
	Message(ctx context.Context, messageID string) (Message, error)
	// MessageParty returns a stored message without its envelope and
	// report (Envelope and Report nil) and agency's delivery of it, nil
	// when agency is not a recipient, read together: what deciding whether
	// agency may see the message needs, in one read. An unknown message is
	// ErrNotFound.
	MessageParty(ctx context.Context, messageID string, agency certs.AgencyCode) (Message, *Delivery, error)
	// Sent lists the sender's messages in acceptance order after cursor.
	Sent(ctx context.Context, sender certs.AgencyCode, after uint64, limit int) ([]SentRecord, error)
	// Deliveries returns the delivery of a message to each recipient.
	Deliveries(ctx context.Context, messageID string) ([]Delivery, error)
	// MessagesByDocumentID lists the ids of the messages that carry a
	// DocumentID, so that the hub can warn of a duplicate (ND30).
	MessagesByDocumentID(ctx context.Context, documentID string) ([]string, error)
}

// Queues are the per-recipient delivery queues.
type Queues interface {
	// Inbox lists the recipient's visible deliveries (pending, not under an
	// unexpired lease at now) with Cursor > after, in cursor order.
	Inbox(ctx context.Context, recipient certs.AgencyCode, after uint64, limit int, now time.Time) ([]Delivery, error)
	// Lease takes up to max visible deliveries in cursor order and hides
	// them until now+ttl; each carries a fresh LeaseToken. The hub's API
	// does not lease yet; the edXML inbox will (get leases, done acks with
	// the token, fail releases).
	Lease(ctx context.Context, recipient certs.AgencyCode, max int, now time.Time, ttl time.Duration) ([]Delivery, error)
	// Ack marks a delivery delivered. leaseToken may be empty; if it is not,
	// it must be the current lease (ErrLeaseLost otherwise). Acking an
	// acknowledged delivery returns it again with existed=true, whatever the
	// token. A withdrawn delivery is ErrWithdrawn, a refused one (Refusals)
	// ErrConflict. A non-nil seal makes
	// the delivery's receipt, stored in the same transaction; and the same
	// transaction appends status 01 (Đã đến) from the recipient, carried by
	// that receipt as its signed bytes and queued to the sender, unless the
	// recipient's history of the message has begun already. An
	// acknowledgement is never stored without its arrival status.
	Ack(ctx context.Context, recipient certs.AgencyCode, messageID, leaseToken string, now time.Time, seal Seal) (d Delivery, existed bool, err error)
	// Release ends a lease early so the delivery is visible again. Releasing
	// a delivery that is not leased (or is acknowledged) is a no-op.
	Release(ctx context.Context, recipient certs.AgencyCode, messageID, leaseToken string) error
}

// Statuses carries recipients' business status back to senders.
type Statuses interface {
	// AppendStatus appends a status from a recipient of the message and
	// queues it to the message's sender. A retry with the same Signed bytes
	// returns the stored update with existed=true. Otherwise the status must
	// be one the recipient's whole history of the message allows next
	// (document.Lifecycle for the message's business type), checked in the
	// transaction that stores it: a status that may not follow is refused
	// with an error matching document.ErrTransition. A status that names
	// another document than the message's (StatusUpdate.Document) is
	// ErrWrongDocument; one from an agency that is not a recipient is
	// ErrForbidden.
	AppendStatus(ctx context.Context, st *StatusUpdate) (StatusUpdate, bool, error)
	// StatusHistory lists a message's statuses, per recipient in order.
	StatusHistory(ctx context.Context, messageID string) ([]StatusUpdate, error)
	// StatusInbox lists status updates queued to the sender with Cursor >
	// after and not yet acknowledged.
	StatusInbox(ctx context.Context, sender certs.AgencyCode, after uint64, limit int) ([]StatusUpdate, error)
	// AckStatus removes a status update from the sender's queue. Acking
	// twice is fine; an unknown cursor is ErrNotFound.
	AckStatus(ctx context.Context, sender certs.AgencyCode, cursor uint64) error
}

// Seal signs the receipt of an event that Accept or Ack is committing,
// given the index of the event's entry in the transparency log. The store
// keeps the receipt it returns (which must name the event's message) in
// the event's own transaction, so that an event is never without its
// receipt and costs no second commit; an error from seal aborts the
// operation. seal runs inside the store's write transaction: it must be
// quick and must not call the store. It may run more than once for one
// event (a group commit that is retried); the receipt of the run that
// commits is the one kept.
type Seal func(logIndex int64) (*Receipt, error)

// Receipts keeps the hub's signed receipts forever.
type Receipts interface {
	// PutReceipt stores r unless a receipt for the same (message, event,
	// party) exists, in which case the stored one is returned with
	// existed=true.
	PutReceipt(ctx context.Context, r *Receipt) (Receipt, bool, error)
	// Receipts lists a message's receipts.
	Receipts(ctx context.Context, messageID string) ([]Receipt, error)
}

// Directory is the agency directory with each code's history.
type Directory interface {
	// UpsertAgency makes a the current record of its code, appending a
	// history entry at time at. An identical record changes nothing and
	// returns changed=false. A closed code is refused with ErrCodeClosed
	// (CheckUpsert).
	UpsertAgency(ctx context.Context, a *Agency, at time.Time) (changed bool, err error)
	Agency(ctx context.Context, code certs.AgencyCode) (Agency, error)
	// Agencies lists every code's current record in code order.
	Agencies(ctx context.Context) ([]Agency, error)
	// AgencyHistory lists every version of a code, oldest first.
	AgencyHistory(ctx context.Context, code certs.AgencyCode) ([]AgencyChange, error)
	// CloseAgencies records successions (see Succession) in one
	// transaction, all or none: each closed code's new entry and each
	// successor created, with their history and log entries, checked by
	// PlanSuccessions in the same transaction. It returns how many
	// entries changed; closures recorded already change nothing.
	CloseAgencies(ctx context.Context, succ []Succession, at time.Time) (changed int, err error)
}

// Blobs holds attachments by SHA-256 (lower-case hex) and the grants that
// say which agency may use which.
type Blobs interface {
	// BeginUpload starts or resumes the owner's upload of digest, size
	// bytes long, and returns its durable offset. It never looks at a blob
	// already present: the owner uploads its own bytes, and storage is
	// deduplicated when the upload commits.
	BeginUpload(ctx context.Context, owner certs.AgencyCode, digest string, size int64) (Upload, error)
	// AppendUpload writes r at offset (which must be the durable offset,
	// else *OffsetError) and returns the new durable offset.
	AppendUpload(ctx context.Context, up Upload, offset int64, r io.Reader) (int64, error)
	// CommitUpload checks the bytes hash to the digest, makes the blob
	// present and grants it to up.Owner, stored at at; a mismatch is
	// ErrDigestMismatch and discards the upload. Committing again after
	// success returns the blob; without an upload and without a grant it
	// is ErrNotFound.
	CommitUpload(ctx context.Context, up Upload, at time.Time) (BlobInfo, error)
	// PutBlob stores r in one go and grants the blob to owner, stored at
	// at. A blob the owner holds a grant of and that is present is not
	// read again past what the store reads before it looks (pgstore: one
	// piece, its bytes checked); otherwise r is read and checked whole,
	// whoever else holds the blob. The bytes are checked with
	// SHA256For(r).
	PutBlob(ctx context.Context, owner certs.AgencyCode, digest string, r io.Reader, at time.Time) (BlobInfo, error)
	// OpenBlob opens a present blob for reading; a blob whose bytes the
	// retention policy removed is ErrGone.
	OpenBlob(ctx context.Context, digest string) (io.ReadSeekCloser, error)
	// StatBlob reports whether a blob is present and its size, whoever
	// holds it: the hub shows it only to an agency that may use the blob.
	StatBlob(ctx context.Context, digest string) (BlobInfo, error)
	// BlobGranted reports whether agency holds a grant of digest: by its
	// own upload, or as a party to a message carrying it from which no
	// recall withdrew it.
	BlobGranted(ctx context.Context, agency certs.AgencyCode, digest string) (bool, error)
	// OpenGranted is OpenBlob for a blob agency holds a grant of, in one
	// read: a blob it holds no grant of is ErrNotFound, present or not.
	OpenGranted(ctx context.Context, agency certs.AgencyCode, digest string) (io.ReadSeekCloser, error)
	// UploadUsage returns what owner holds that no message references:
	// its partial uploads and the blobs it uploaded that no message
	// carries.
	UploadUsage(ctx context.Context, owner certs.AgencyCode) (UploadUsage, error)
	// UploadCheck reads together what the hub decides an upload of digest
	// by agency on: the blob as agency may see it (Present, with its Size,
	// only when its bytes are there and agency holds a grant of it; to
	// anyone else it does not exist) and agency's UploadUsage.
	UploadCheck(ctx context.Context, agency certs.AgencyCode, digest string) (BlobInfo, UploadUsage, error)
	// GCUploads removes partial uploads idle since before now-ttl and
	// returns how many it removed.
	GCUploads(ctx context.Context, now time.Time, ttl time.Duration) (int, error)
	// GCBlobs removes the blobs no message carries that were last stored
	// before now-unreferenced, with their grants; and, if retention > 0,
	// the bytes of the blobs whose every message was settled (each
	// delivery acknowledged, refused or withdrawn) before now-retention, keeping
	// their grants (OpenBlob then answers ErrGone). A blob a message
	// carries is never removed as unreferenced, even one accepted while
	// GCBlobs runs.
	GCBlobs(ctx context.Context, now time.Time, unreferenced, retention time.Duration) (BlobGC, error)
}

// UploadUsage is what an agency holds that no message references yet.
type UploadUsage struct {
	Partial      []Upload // its partial uploads, with their declared sizes
	Unreferenced int64    // bytes of the blobs it uploaded that no message carries
}

// BlobGC is what GCBlobs removed.
type BlobGC struct {
	Unreferenced int   // blobs no message carried
	Expired      int   // delivered blobs past their retention
	Bytes        int64 // bytes freed
}

// Submission is what a sender submits, as the hub verified it.
type Submission struct {
	MessageID      string                // client-chosen: 32+ lower-case hex or a UUID
	Sender         certs.AgencyCode      // from the client certificate
	Recipients     []certs.AgencyCode    // at least one, no duplicates
	EnvelopeSHA256 string                // lower-case hex SHA-256 of Envelope
	Envelope       []byte                // the signed envelope, opaque
	BlobDigests    []string              // attachments, each committed before Accept or in Inline
	DocumentID     string                // edXML DocumentId, indexed but not unique
	Kind           document.BusinessType // new, recall, update or replace
	Targets        []string              // message ids a recall/update/replace names
	Received       time.Time             // hub time of receipt
	Report         []byte                // the hub's verification report, opaque
	DueDate        string                // the document's deadline, yyyy-mm-dd, for the log's overdue count
	// Inline are attachments whose bytes came with the submission instead
	// of an upload before it. Accept stores each as if the sender had just
	// uploaded it (present, granted to the sender), in the submission's
	// own transaction, before it checks the attachments; a refusal stores
	// none. Each is also in BlobDigests.
	Inline []InlineBlob
}

// Inlined returns the inline blob of digest, if the submission has one.
func (s *Submission) Inlined(digest string) (InlineBlob, bool) {
	for _, b := range s.Inline {
		if b.Digest == digest {
			return b, true
		}
	}
	return InlineBlob{}, false
}

// InlineBlob is an attachment that came whole with its submission.
type InlineBlob struct {
	Digest string // lower-case hex SHA-256 of Data
	Data   []byte // at most MaxInline bytes
}

// MaxInline bounds the bytes of one InlineBlob: a store holds them in
// memory and writes them in one piece.
const MaxInline = 1 << 20

// AcceptResult is what Accept returned the first time; retries return it
// unchanged.
type AcceptResult struct {
	MessageID string
	LogIndex  int64     // the accepted entry in the transparency log
	Seq       uint64    // the sender's sent-cursor of this message
	Received  time.Time // Submission.Received of the first Accept
	// Recalls holds, for a recall, what happened to each target.
	Recalls []RecallOutcome
}

// RecallOutcome is the effect of a recall on one target message.
type RecallOutcome struct {
	Target       string
	Withdrawn    []certs.AgencyCode // recipients whose unacknowledged delivery was withdrawn
	AlreadyAcked []certs.AgencyCode // recipients who already had the document
}

// Message is a stored submission.
type Message struct {
	Submission
	Seq      uint64 // the sender's sent-cursor
	LogIndex int64  // the accepted entry in the transparency log
}

// SentRecord is one entry of a sender's sent list.
type SentRecord struct {
	Cursor     uint64
	MessageID  string
	Recipients []certs.AgencyCode
	Kind       document.BusinessType
	Received   time.Time
}

// DeliveryState is where a delivery stands.
type DeliveryState uint8

// Delivery states.
const (
	Pending   DeliveryState = iota // queued; may be under a lease
	Acked                          // delivered: the recipient stored it
	Withdrawn                      // recalled before it was acknowledged
	Refused                        // the recipient's system could not take it and refused it (see Refusals)
)

func (s DeliveryState) String() string {
	switch s {
	case Pending:
		return "pending"
	case Acked:
		return "acked"
	case Withdrawn:
		return "withdrawn"
	case Refused:
		return "refused"
	}
	return "state(" + itoa(int64(s)) + ")"
}

// Delivery is one message queued to one recipient.
type Delivery struct {
	Recipient      certs.AgencyCode
	MessageID      string
	Sender         certs.AgencyCode
	Cursor         uint64 // position in the recipient's queue, from 1
	EnvelopeSHA256 string
	Kind           document.BusinessType
	State          DeliveryState
	LeaseToken     string    // set when leased
	LeaseExpiry    time.Time // zero when never leased
	Leases         int       // how many times it was leased
	AckedAt        time.Time
	WithdrawnBy    string // the recall's message id
	LogIndex       int64  // the delivered (or refused) entry in the transparency log
	RefusedAt      time.Time
	Reason         string // why the recipient refused it
}

// StatusUpdate is one status a recipient sent about a message.
type StatusUpdate struct {
	MessageID string
	From      certs.AgencyCode // the recipient agency
	Code      document.Status
	Reason    string // mandatory for document.StatusRefused
	Staff     string // the staff member who acted
	// Document is the DocumentId the signed packet names; when set it must
	// be the message's. Empty for the hub's own status 01.
	Document string
	At       time.Time
	Signed   []byte // the signed status packet, opaque
	// Set by the store:
	Sender   certs.AgencyCode // the message's sender, whose queue it goes to
	Seq      uint64           // position in the (message, recipient) history, from 1
	Cursor   uint64           // position in the sender's status queue, from 1
	LogIndex int64            // the status entry in the transparency log
}

// Receipt is a hub-signed receipt for an event on a message.
type Receipt struct {
	MessageID string
	Event     string           // e.g. "accepted", "delivered"
	Party     certs.AgencyCode // the agency the event concerns
	At        time.Time
	Signed    []byte
}

// Agency is a directory entry.
type Agency struct {
	Code         certs.AgencyCode
	Name         string
	Parent       certs.AgencyCode // empty for a level-1 body
	Level        int              // 1..4
	Active       bool
	SupersededBy certs.AgencyCode // the code that replaced this one, if any
	// ClosedOn is the day a succession closed the code (midnight UTC),
	// zero while it is open; ClosedBasis the act that decided it.
	ClosedOn    time.Time
	ClosedBasis string
	CertPEM     []byte
	// Certificates are the certificates of other CAs (Ban Cơ yếu, licensed
	// public CAs) registered for the agency by their SHA-256, each with its
	// role: what ties a certificate without our URI to the agency
	// (certs.Identify). Removing one is a new version like any change.
	Certificates []certs.Registration
}

// AgencyChange is one version of a directory entry.
type AgencyChange struct {
	Agency
	Seq      uint64
	At       time.Time
	LogIndex int64 // the directory entry in the transparency log
	// Record is the entry's record as the store encoded it: the exact
	// bytes whose SHA-256 the log entry at LogIndex names (PacketSHA256),
	// which the hub publishes so that auditors can check a version
	// against the log (JSON, the fields of wire.DirectoryRecord).
	Record []byte
}

// AgencyStats are an agency's counters, kept in the same transactions as
// the changes they count.
type AgencyStats struct {
	Agency    certs.AgencyCode
	Sent      uint64                     // messages accepted from it
	Received  uint64                     // deliveries queued to it
	Acked     uint64                     // deliveries it acknowledged
	Withdrawn uint64                     // deliveries to it withdrawn by a recall
	Statuses  map[document.Status]uint64 // status updates it sent, by code
}

// Upload names a partial upload.
//
// An upload is identified by (Owner, Digest, Size): AppendUpload and
// CommitUpload act on the owner's upload of that digest, so the hub must
// set Owner from the authenticated agency, never from the request. ID is
// informative (stable across restarts, safe in a file name or URL).
type Upload struct {
	Owner  certs.AgencyCode // the uploading agency
	Digest string
	Size   int64
	ID     string // derived from the three above
	Offset int64  // the durable offset when returned
}

// BlobInfo describes a blob.
type BlobInfo struct {
	Digest  string
	Size    int64
	Present bool
}

// CodeStrings returns agency codes as plain strings, for the formats that
// keep them so (the wire, receipts, log entries).
func CodeStrings(codes []certs.AgencyCode) []string {
	if codes == nil {
		return nil
	}
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = string(c)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// SHA256Reader is a reader that brings the SHA-256 that PutBlob checks
// its bytes with: a hash that computes more in the same pass (the signed
// ranges of a PDF, pades.RangeHasher), so that its caller need not read
// them again. It must be a SHA-256 of exactly the bytes written to it,
// fresh.
type SHA256Reader interface {
	io.Reader
	SHA256() hash.Hash
}

// SHA256For returns the hash that PutBlob checks the bytes of r with, and
// writes them to as it reads them: r's own when r is a SHA256Reader, else
// a fresh SHA-256.
func SHA256For(r io.Reader) hash.Hash {
	if sr, ok := r.(SHA256Reader); ok {
		return sr.SHA256()
	}
	return sha256.New()
}
