package boltstore

import (
	"encoding/json"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

// The records below are the durable format: their JSON field names must not
// change without a schema migration. They are kept apart from the store
// package's types so that renaming an API field cannot change the disk; the
// domain types they use (agency codes, status codes, business types)
// encode as the strings and numbers they always did.

type messageRecord struct {
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
	BodyKey    uint64                `json:"body"` // envelope and report key
	Recalls    []recallRecord        `json:"recalls,omitempty"`
	Due        string                `json:"due,omitempty"`
	LogIndex   int64                 `json:"log"`
}

type recallRecord struct {
	Target       string             `json:"target"`
	Withdrawn    []certs.AgencyCode `json:"withdrawn,omitempty"`
	AlreadyAcked []certs.AgencyCode `json:"already_acked,omitempty"`
}

func (m *messageRecord) result() store.AcceptResult {
	r := store.AcceptResult{MessageID: m.ID, Seq: m.Seq, Received: m.Received, LogIndex: m.LogIndex}
	for _, rc := range m.Recalls {
		r.Recalls = append(r.Recalls, store.RecallOutcome{Target: rc.Target, Withdrawn: rc.Withdrawn, AlreadyAcked: rc.AlreadyAcked})
	}
	return r
}

type deliveryRecord struct {
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

func (d *deliveryRecord) delivery() store.Delivery {
	return store.Delivery{
		Recipient: d.Recipient, MessageID: d.MessageID, Sender: d.Sender, Cursor: d.Cursor,
		EnvelopeSHA256: d.EnvSHA256, Kind: d.Kind, State: d.State, LeaseToken: d.LeaseToken,
		LeaseExpiry: d.LeaseExpiry, Leases: d.Leases, AckedAt: d.AckedAt, WithdrawnBy: d.WithdrawnBy,
		LogIndex: d.LogIndex, RefusedAt: d.RefusedAt, Reason: d.Reason,
	}
}

type statusRecord struct {
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

func (s *statusRecord) status() store.StatusUpdate {
	return store.StatusUpdate{
		MessageID: s.MessageID, From: s.From, Code: s.Code, Reason: s.Reason, Staff: s.Staff,
		At: s.At, Signed: s.Signed, Sender: s.Sender, Seq: s.Seq, Cursor: s.Cursor, LogIndex: s.LogIndex,
	}
}

type receiptRecord struct {
	MessageID string           `json:"msg"`
	Event     string           `json:"event"`
	Party     certs.AgencyCode `json:"party"`
	At        time.Time        `json:"at"`
	Signed    []byte           `json:"signed"`
}

func (r *receiptRecord) receipt() store.Receipt {
	return store.Receipt{MessageID: r.MessageID, Event: r.Event, Party: r.Party, At: r.At, Signed: r.Signed}
}

type agencyRecord struct {
	Code         certs.AgencyCode `json:"code"`
	Name         string           `json:"name"`
	Parent       certs.AgencyCode `json:"parent,omitempty"`
	Level        int              `json:"level"`
	Active       bool             `json:"active"`
	SupersededBy certs.AgencyCode `json:"superseded_by,omitempty"`
	CertPEM      []byte           `json:"cert_pem,omitempty"`
}

func agencyRec(a *store.Agency) agencyRecord {
	return agencyRecord{Code: a.Code, Name: a.Name, Parent: a.Parent, Level: a.Level, Active: a.Active,
		SupersededBy: a.SupersededBy, CertPEM: a.CertPEM}
}

func (a *agencyRecord) agency() store.Agency {
	return store.Agency{Code: a.Code, Name: a.Name, Parent: a.Parent, Level: a.Level, Active: a.Active,
		SupersededBy: a.SupersededBy, CertPEM: a.CertPEM}
}

type agencyChangeRecord struct {
	Agency   agencyRecord `json:"agency"`
	Seq      uint64       `json:"seq"`
	At       time.Time    `json:"at"`
	LogIndex int64        `json:"log"`
}

type statsRecord struct {
	Sent      uint64                     `json:"sent,omitempty"`
	Received  uint64                     `json:"received,omitempty"`
	Acked     uint64                     `json:"acked,omitempty"`
	Withdrawn uint64                     `json:"withdrawn,omitempty"`
	Statuses  map[document.Status]uint64 `json:"statuses,omitempty"`
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain structs of strings, numbers, times and bytes are
		// encoded here; Marshal cannot fail on them.
		panic("boltstore: encode record: " + err.Error())
	}
	return b
}

func decode(b []byte, v any) error { return json.Unmarshal(b, v) }
