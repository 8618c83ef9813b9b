package storecopy

import (
	"io"
	"time"

	"lienthong/certs"
	"lienthong/hub/store/internal/record"
)

// Kind names a sort of item. The order of the constants is the order in
// which a backend's Export emits them.
type Kind uint8

// The kinds of item, in export order.
const (
	KindCounter Kind = iota
	KindAgency
	KindAgencyChange
	KindStats
	KindLogEntry
	KindLogHash
	KindCheckpoint
	KindBlob
	KindGrant
	KindQuota
	KindMessage
	KindDelivery
	KindStatus
	KindReceipt
	numKinds
)

var kindNames = [numKinds]string{
	"counters", "agencies", "directory history", "statistics", "log entries", "log hashes",
	"checkpoints", "blobs", "grants", "quota entries", "messages", "deliveries", "statuses", "receipts",
}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "kind?"
}

// Item is one piece of a store's state: one of the types below.
type Item interface {
	Kind() Kind
}

// Counter is a sequence a store issues numbers from, so that the copy
// goes on where the original stopped: "sent" (a sender's sent cursor),
// "queue" (a recipient's delivery cursor), "status-queue" (a sender's
// status cursor) or "agency" (a directory code's history sequence).
// Sequences a backend derives from other items (the log size, bbolt's body
// keys) are not counters here.
type Counter struct {
	Name   string
	Agency certs.AgencyCode
	N      uint64
}

// Counter names.
const (
	CounterSent        = "sent"
	CounterQueue       = "queue"
	CounterStatusQueue = "status-queue"
	CounterAgency      = "agency"
)

// Agency is a directory code's current record.
type Agency struct{ Rec record.Agency }

// AgencyChange is one version in a code's directory history.
type AgencyChange struct{ Rec record.AgencyChange }

// Stats are an agency's counters.
type Stats struct {
	Agency certs.AgencyCode
	Rec    record.Stats
}

// LogEntry is one encoded entry of the transparency log.
type LogEntry struct {
	Index int64
	Entry []byte
}

// LogHash is one stored tree hash, by tlog's stored-hash index.
type LogHash struct {
	Index int64
	Hash  []byte
}

// Checkpoint is a signed checkpoint the hub kept.
type Checkpoint struct {
	Size   int64
	Signed []byte
}

// BlobRecord is a blob's metadata, the record both backends keep (same
// JSON as theirs).
type BlobRecord struct {
	Size    int64     `json:"size"`
	Stored  time.Time `json:"stored,omitzero"`
	Refs    int       `json:"refs,omitempty"`
	Open    int       `json:"open,omitempty"`
	Settled time.Time `json:"settled,omitzero"`
	Gone    bool      `json:"gone,omitempty"`
}

// Blob is an attachment: its record and, unless the retention removed
// them (Rec.Gone), its bytes, which Body opens for streaming. Body may be
// called once, while the item is being imported.
type Blob struct {
	Digest string
	Rec    BlobRecord
	Body   func() (io.ReadCloser, error) `json:"-"`
}

// Grant says that Agency may use the blob Digest: by its own upload (Via
// empty) or as a party to the message Via.
type Grant struct {
	Digest string
	Agency certs.AgencyCode
	Via    string
}

// Quota is an agency's uploaded blob that no message carries yet, which
// counts against its upload quota.
type Quota struct {
	Agency certs.AgencyCode
	Digest string
	Size   int64
}

// Message is an accepted submission with its envelope and report. Pending
// counts, for a message with attachments, its deliveries not yet settled
// (0 without attachments). Rec.BodyKey is always 0 here: it is bbolt's own.
type Message struct {
	Rec      record.Message
	Envelope []byte
	Report   []byte
	Pending  uint64
}

// Delivery is one message queued to one recipient.
type Delivery struct{ Rec record.Delivery }

// Status is one status update; Queued is true while it waits in the
// sender's status queue (not yet acknowledged).
type Status struct {
	Rec    record.Status
	Queued bool
}

// Receipt is a hub-signed receipt.
type Receipt struct{ Rec record.Receipt }

// Kind implements Item.
func (Counter) Kind() Kind { return KindCounter }

// Kind implements Item.
func (Agency) Kind() Kind { return KindAgency }

// Kind implements Item.
func (AgencyChange) Kind() Kind { return KindAgencyChange }

// Kind implements Item.
func (Stats) Kind() Kind { return KindStats }

// Kind implements Item.
func (LogEntry) Kind() Kind { return KindLogEntry }

// Kind implements Item.
func (LogHash) Kind() Kind { return KindLogHash }

// Kind implements Item.
func (Checkpoint) Kind() Kind { return KindCheckpoint }

// Kind implements Item.
func (Blob) Kind() Kind { return KindBlob }

// Kind implements Item.
func (Grant) Kind() Kind { return KindGrant }

// Kind implements Item.
func (Quota) Kind() Kind { return KindQuota }

// Kind implements Item.
func (Message) Kind() Kind { return KindMessage }

// Kind implements Item.
func (Delivery) Kind() Kind { return KindDelivery }

// Kind implements Item.
func (Status) Kind() Kind { return KindStatus }

// Kind implements Item.
func (Receipt) Kind() Kind { return KindReceipt }
