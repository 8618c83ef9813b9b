// Package record is the durable form of the hub's store, shared by its
// backends: the JSON records that bbolt keeps as values and PostgreSQL in
// its rec columns. Their JSON field names must not change without a
// schema migration in every backend. They are kept apart from package
// store's types so that renaming an API field cannot change the disk; the
// domain types they use (agency codes, status codes, business types)
// encode as the strings and numbers they always did.
package record

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

// Message is an accepted submission without its envelope and report.
type Message struct {
	ID         string                `json:"id"`
	Sender     certs.AgencyCode      `json:"sender"`
	Recipients []certs.AgencyCode    `json:"recipients"`
	EnvSHA256  string                `json:"env_sha256"`
	Blobs      []string              `json:"blobs,omitempty"`
	DocumentID string                `json:"doc_id,omitempty"`
	Kind       document.BusinessType `json:"kind"`
	Targets    []string              `json:"targets,omitempty"`
	Received   time.Time             `json:"received"`
	Seq        uint64                `json:"seq"`
	BodyKey    uint64                `json:"body,omitempty"` // bbolt's key of the envelope and report; PostgreSQL keeps them in columns
	Recalls    []Recall              `json:"recalls,omitempty"`
	Due        string                `json:"due,omitempty"`
	LogIndex   int64                 `json:"log"`
}

// Recall is what a recall did to one target.
type Recall struct {
	Target       string             `json:"target"`
	Withdrawn    []certs.AgencyCode `json:"withdrawn,omitempty"`
	AlreadyAcked []certs.AgencyCode `json:"already_acked,omitempty"`
}

// Result is the AcceptResult a retry of the submission answers.
func (m *Message) Result() store.AcceptResult {
	r := store.AcceptResult{MessageID: m.ID, Seq: m.Seq, Received: m.Received, LogIndex: m.LogIndex}
	for _, rc := range m.Recalls {
		r.Recalls = append(r.Recalls, store.RecallOutcome{Target: rc.Target, Withdrawn: rc.Withdrawn, AlreadyAcked: rc.AlreadyAcked})
	}
	return r
}

// Delivery is one message queued to one recipient.
type Delivery struct {
	Recipient   certs.AgencyCode      `json:"recipient"`
	MessageID   string                `json:"msg"`
	Sender      certs.AgencyCode      `json:"sender"`
	Cursor      uint64                `json:"cursor"`
	EnvSHA256   string                `json:"env_sha256"`
	Kind        document.BusinessType `json:"kind"`
	State       store.DeliveryState   `json:"state"`
	LeaseToken  string                `json:"lease,omitempty"`
	LeaseExpiry time.Time             `json:"lease_expiry,omitzero"`
	Leases      int                   `json:"leases,omitempty"`
	AckedAt     time.Time             `json:"acked_at,omitzero"`
	WithdrawnBy string                `json:"withdrawn_by,omitempty"`
	LogIndex    int64                 `json:"log,omitempty"`
	RefusedAt   time.Time             `json:"refused_at,omitzero"`
	Reason      string                `json:"reason,omitempty"`
}

// Domain is the delivery as package store gives it.
func (d *Delivery) Domain() store.Delivery {
	return store.Delivery{
		Recipient: d.Recipient, MessageID: d.MessageID, Sender: d.Sender, Cursor: d.Cursor,
		EnvelopeSHA256: d.EnvSHA256, Kind: d.Kind, State: d.State, LeaseToken: d.LeaseToken,
		LeaseExpiry: d.LeaseExpiry, Leases: d.Leases, AckedAt: d.AckedAt, WithdrawnBy: d.WithdrawnBy,
		LogIndex: d.LogIndex, RefusedAt: d.RefusedAt, Reason: d.Reason,
	}
}

// Visible reports whether a pending delivery may be listed or leased at
// now: it is not under an unexpired lease.
func (d *Delivery) Visible(now time.Time) bool {
	return d.State == store.Pending && (d.LeaseToken == "" || !now.Before(d.LeaseExpiry))
}

// Listed is the delivery as an inbox lists it at now, and whether it is
// listed at all (Visible): without its lease's token, since an expired
// lease's token is no one's business.
func (d *Delivery) Listed(now time.Time) (store.Delivery, bool) {
	if !d.Visible(now) {
		return store.Delivery{}, false
	}
	dv := d.Domain()
	dv.LeaseToken = ""
	return dv, true
}

// Status is one status a recipient sent about a message.
type Status struct {
	MessageID string           `json:"msg"`
	From      certs.AgencyCode `json:"from"`
	Code      document.Status  `json:"code"`
	Reason    string           `json:"reason,omitempty"`
	Staff     string           `json:"staff,omitempty"`
	At        time.Time        `json:"at"`
	Signed    []byte           `json:"signed"`
	Sender    certs.AgencyCode `json:"sender"`
	Seq       uint64           `json:"seq"`
	Cursor    uint64           `json:"cursor"`
	LogIndex  int64            `json:"log"`
}

// Domain is the status as package store gives it.
func (s *Status) Domain() store.StatusUpdate {
	return store.StatusUpdate{
		MessageID: s.MessageID, From: s.From, Code: s.Code, Reason: s.Reason, Staff: s.Staff,
		At: s.At, Signed: s.Signed, Sender: s.Sender, Seq: s.Seq, Cursor: s.Cursor, LogIndex: s.LogIndex,
	}
}

// Receipt is a hub-signed receipt.
type Receipt struct {
	MessageID string           `json:"msg"`
	Event     string           `json:"event"`
	Party     certs.AgencyCode `json:"party"`
	At        time.Time        `json:"at"`
	Signed    []byte           `json:"signed"`
}

// Domain is the receipt as package store gives it.
func (r *Receipt) Domain() store.Receipt {
	return store.Receipt{MessageID: r.MessageID, Event: r.Event, Party: r.Party, At: r.At, Signed: r.Signed}
}

// Agency is a directory entry.
type Agency struct {
	Code         certs.AgencyCode `json:"code"`
	Name         string           `json:"name"`
	Parent       certs.AgencyCode `json:"parent,omitempty"`
	Level        int              `json:"level"`
	Active       bool             `json:"active"`
	SupersededBy certs.AgencyCode `json:"superseded_by,omitempty"`
	ClosedOn     time.Time        `json:"closed_on,omitzero"`
	ClosedBasis  string           `json:"closed_basis,omitempty"`
	CertPEM      []byte           `json:"cert_pem,omitempty"`
	Certificates []AgencyCert     `json:"certificates,omitempty"`
}

// AgencyCert is a foreign certificate registered for an agency, as
// wire.AgencyCertificate writes it (the record is what the log commits
// to and the directory history publishes).
type AgencyCert struct {
	SHA256 string `json:"sha256"`
	Role   string `json:"role"`
	Person string `json:"person,omitempty"`
}

// FromAgency is the record of a directory entry.
func FromAgency(a *store.Agency) Agency {
	rec := Agency{Code: a.Code, Name: a.Name, Parent: a.Parent, Level: a.Level, Active: a.Active,
		SupersededBy: a.SupersededBy, ClosedOn: a.ClosedOn, ClosedBasis: a.ClosedBasis, CertPEM: a.CertPEM}
	for _, c := range a.Certificates {
		rec.Certificates = append(rec.Certificates, AgencyCert{SHA256: c.SHA256.String(), Role: string(c.Role), Person: c.Person})
	}
	return rec
}

// Domain is the directory entry as package store gives it. A
// registration whose fingerprint does not parse (which Validate never
// lets in) is dropped rather than guessed at.
func (a *Agency) Domain() store.Agency {
	out := store.Agency{Code: a.Code, Name: a.Name, Parent: a.Parent, Level: a.Level, Active: a.Active,
		SupersededBy: a.SupersededBy, ClosedOn: a.ClosedOn, ClosedBasis: a.ClosedBasis, CertPEM: a.CertPEM}
	for _, c := range a.Certificates {
		if fp, err := certs.ParseFingerprint(c.SHA256); err == nil {
			out.Certificates = append(out.Certificates, certs.Registration{SHA256: fp, Role: certs.Role(c.Role), Person: c.Person})
		}
	}
	return out
}

// AgencyChange is one version of a directory entry.
type AgencyChange struct {
	Agency   Agency    `json:"agency"`
	Seq      uint64    `json:"seq"`
	At       time.Time `json:"at"`
	LogIndex int64     `json:"log"`
}

// Stats are an agency's counters.
type Stats struct {
	Sent      uint64                     `json:"sent,omitempty"`
	Received  uint64                     `json:"received,omitempty"`
	Acked     uint64                     `json:"acked,omitempty"`
	Withdrawn uint64                     `json:"withdrawn,omitempty"`
	Statuses  map[document.Status]uint64 `json:"statuses,omitempty"`
}

// Encode is a record's JSON. Only plain structs of strings, numbers,
// times and bytes are encoded here; Marshal cannot fail on them.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("store record: " + err.Error())
	}
	return b
}

// Settle is the one rule for ending a delivery, shared by the backends'
// Ack (to store.Acked) and Refuse (to store.Refused): a delivery already
// in state to is a retry (done, answered with the stored delivery); one
// withdrawn by a recall, or settled the other way, cannot be; a pending
// one is for the caller to settle.
func (d *Delivery) Settle(to store.DeliveryState) (done bool, err error) {
	switch d.State {
	case to:
		return true, nil
	case store.Withdrawn:
		return false, fmt.Errorf("%w by %s", store.ErrWithdrawn, d.WithdrawnBy)
	case store.Acked:
		return false, fmt.Errorf("%w: the recipient acknowledged it", store.ErrConflict)
	case store.Refused:
		return false, fmt.Errorf("%w: the recipient refused it", store.ErrConflict)
	}
	return false, nil
}

// NewToken is a fresh, unguessable token: for a lease, or a temporary name.
func NewToken() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
