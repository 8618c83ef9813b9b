package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"lienthong/certs"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/vnsearch"

	bolt "go.etcd.io/bbolt"
)

// Document is a stored document as the clerk sees it.
type Document struct {
	ID      string             // the message id of its packet
	Box     Box                // Incoming or Outgoing
	Payload *envelope.Document // metadata, attachments by digest, targets
	// Arrival is the số đến and arrival time once an incoming document is
	// registered; zero before.
	Arrival document.Arrival
	Stored  time.Time // when this store first saved it
	SentAt  time.Time // outgoing: when the hub accepted it; zero while queued
	// Returned is set when the hub refused an outgoing document for good:
	// it left the outbox and stays in the register as returned.
	Returned *Returned
	Read     bool
	Status   document.Status // see Summary.Status
	Done     bool
}

// Summary is a row of a list: what the UI shows of a document without
// opening it.
type Summary struct {
	ID         string
	Box        Box
	Number     string // số
	Notation   string // ký hiệu
	Date       document.Date
	AgencyCode certs.AgencyCode // the issuing agency (incoming) or the first recipient (outgoing)
	Agency     string           // that agency's name
	Subject    string
	Type       document.DocType
	Urgency    document.Urgency
	Secrecy    document.Secrecy
	Due        document.Date
	// Status is the business status: for an incoming document its own
	// last processing status, for an outgoing one the least advanced of
	// its recipients ("" while any recipient has sent none).
	Status document.Status
	Read   bool
	Done   bool // processing completed, refused or recalled everywhere
	// Returned: an outgoing document the hub refused for good (see
	// Document.Returned).
	Returned bool
	Arrival  document.Arrival
	// Successor is, when a reorganisation closed AgencyCode, the agency
	// that succeeds it: the clerk sets it from the cached directory when
	// it lists documents (it is not stored), so that a document from a
	// closed code is shown, and sorted, under its successor.
	Successor *Agency
}

// docRecord is a document as stored, sealed.
type docRecord struct {
	V       int                `json:"v"`
	ID      string             `json:"id"`
	Box     Box                `json:"box"`
	Payload *envelope.Document `json:"payload"`
	Blobs   []string           `json:"blobs"`
	Arrival document.Arrival   `json:"arrival,omitzero"`
	Stored  time.Time          `json:"stored"`
	SentAt  time.Time          `json:"sent_at,omitzero"`
	// Returned: see Document.Returned.
	Returned *Returned `json:"returned,omitempty"`
}

// decodeDocRecord reads a decrypted document record.
func decodeDocRecord(b []byte) (*docRecord, error) {
	var r docRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: document record: %w", ErrCorrupt, err)
	}
	switch {
	case r.V != 1:
		return nil, fmt.Errorf("%w: document record version %d", ErrCorrupt, r.V)
	case !r.Box.Valid():
		return nil, fmt.Errorf("%w: document record box", ErrCorrupt)
	case r.Payload == nil || r.Payload.Metadata == nil:
		return nil, fmt.Errorf("%w: document record without metadata", ErrCorrupt)
	case len(r.Blobs) != len(r.Payload.Attachments):
		return nil, fmt.Errorf("%w: document record attachments", ErrCorrupt)
	case r.Payload.MessageID != r.ID:
		return nil, fmt.Errorf("%w: document record id", ErrCorrupt)
	}
	return &r, nil
}

// NewDocument is a document to save, with everything that goes into the
// same transaction.
type NewDocument struct {
	Packet  []byte             // the envelope's wire form, as signed
	Payload *envelope.Document // its parsed payload
	// Blobs hold the attachments' bytes, staged with NewAttachment, in the
	// order of Payload.Attachments; each must match its size and SHA-256.
	Blobs []Blob
	// Report is the signature verification report of an incoming
	// document, opaque to the store.
	Report []byte
	// Statuses are appended to the document's histories (an incoming
	// document's automatic 01).
	Statuses []StatusEntry
	// Queue is added to the outbox.
	Queue []OutboxItem
	// InboxCursor, if set, becomes the inbox cursor (incoming).
	InboxCursor string
	// Recalls, for an incoming recall, are what it does to the stored
	// documents it recalls (see RecallTarget).
	Recalls []RecallTarget
	// Series is the outgoing register's series ("" the main one, "mat" for
	// secret documents...); the register's counter is raised to the
	// document's number if it is behind.
	Series string
	Read   bool
	// Now is the time recorded as Stored; zero means time.Now().
	Now time.Time
}

// DuplicateError says which stored document a new one duplicates.
type DuplicateError struct {
	Existing string // message id of the stored document
	SameID   bool   // the same DocumentID; otherwise the same number, notation, agency and year
}

func (e *DuplicateError) Error() string {
	if e.SameID {
		return "duplicate document: same document id as " + e.Existing
	}
	return "duplicate document: same number and notation this year as " + e.Existing
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

func (s *Store) dupKeys(m *document.Metadata) (id, number []byte) {
	id = s.c.hash("id", m.ID().String())
	number = s.c.hash("nn", string(m.From.Code)+"\x00"+strconv.Itoa(m.RegisterYear())+"\x00"+
		strconv.FormatUint(numberValue(m.CodeNumber), 10)+"\x00"+m.CodeNotation)
	return id, number
}

// CheckDuplicate reports, as a *DuplicateError, an outgoing document that
// m would duplicate (ND30: the same DocumentID, or the same number and
// notation from the same agency in the same year), or nil.
func (s *Store) CheckDuplicate(m *document.Metadata) error {
	return s.view("check duplicate", func(tx *bolt.Tx) error { return s.checkDup(tx, m) })
}

func (s *Store) checkDup(tx *bolt.Tx, m *document.Metadata) error {
	idk, nk := s.dupKeys(m)
	b := tx.Bucket(bucketDup)
	for i, k := range [][]byte{idk, nk} {
		if v := b.Get(k); v != nil {
			if len(v) != 8 {
				return fmt.Errorf("%w: duplicate index", ErrCorrupt)
			}
			r, err := s.loadRecord(tx, binary.BigEndian.Uint64(v))
			if err != nil {
				return err
			}
			return &DuplicateError{Existing: r.ID, SameID: i == 0}
		}
	}
	return nil
}

// SaveOutgoing stores a document this agency issues, with its attachments,
// its outbox items and its register number, in one transaction. It refuses
// a duplicate with a *DuplicateError. Recalls and updates (business types 1
// and 2) carry the number of the document they concern and are not checked
// for duplicates.
func (s *Store) SaveOutgoing(nd NewDocument) error {
	return s.update("save outgoing document", func(tx *bolt.Tx) error {
		if nd.Payload == nil || nd.Payload.Metadata == nil {
			return errors.New("document without metadata")
		}
		m := nd.Payload.Metadata
		// A recall or an update travels under the number of the document
		// it concerns; only new documents and replacements take a number.
		numbered := m.Business.Type == document.BusinessNew || m.Business.Type == document.BusinessReplace
		if numbered {
			if err := s.checkDup(tx, m); err != nil {
				return err
			}
		}
		seq, err := s.putDocument(tx, Outgoing, &nd)
		if err != nil || !numbered {
			return err
		}
		idk, nk := s.dupKeys(m)
		for _, k := range [][]byte{idk, nk} {
			if err := tx.Bucket(bucketDup).Put(k, u64(seq)); err != nil {
				return err
			}
		}
		return s.raiseRegister(tx, outRegisterKey(m.RegisterYear(), nd.Series), numberValue(m.CodeNumber))
	})
}

// SaveIncoming stores a document received from the hub, with its
// attachments, its verification report, its first statuses, the outbox
// items (the acknowledgement and the 01 status) and the new inbox cursor,
// in one transaction. A message id already stored gives ErrExists, so a
// document fetched twice is stored once.
func (s *Store) SaveIncoming(nd NewDocument) error {
	return s.update("save incoming document", func(tx *bolt.Tx) error {
		if nd.Payload == nil || nd.Payload.Metadata == nil {
			return errors.New("document without metadata")
		}
		_, err := s.putDocument(tx, Incoming, &nd)
		return err
	})
}

// SaveIncomingBatch is SaveIncoming for many documents in one transaction,
// all or none: for the first sync of an agency with a long history, or an
// import. It is several times faster per document than SaveIncoming.
func (s *Store) SaveIncomingBatch(nds []NewDocument) error {
	ps := make([]*NewDocument, len(nds))
	for i := range nds {
		if nds[i].Payload == nil || nds[i].Payload.Metadata == nil {
			return fmt.Errorf("save incoming documents: document %d without metadata", i)
		}
		ps[i] = &nds[i]
	}
	return s.saveMany(Incoming, ps)
}

func (s *Store) putDocument(tx *bolt.Tx, box Box, nd *NewDocument) (uint64, error) {
	p := nd.Payload
	if !envelope.ValidMessageID(p.MessageID) {
		return 0, fmt.Errorf("bad message id %q", p.MessageID)
	}
	if len(nd.Blobs) != len(p.Attachments) {
		return 0, fmt.Errorf("%d attachments but %d blobs", len(p.Attachments), len(nd.Blobs))
	}
	ids := tx.Bucket(bucketIDs)
	if ids.Get([]byte(p.MessageID)) != nil {
		return 0, fmt.Errorf("document %s: %w", p.MessageID, ErrExists)
	}
	docs := tx.Bucket(bucketDocs)
	seq, err := docs.NextSequence()
	if err != nil {
		return 0, err
	}
	now := nd.Now
	if now.IsZero() {
		now = time.Now()
	}
	rec := &docRecord{V: 1, ID: p.MessageID, Box: box, Payload: p, Stored: now.UTC()}
	for i, b := range nd.Blobs {
		if err := s.claimBlob(tx, b, p.Attachments[i].Size, p.Attachments[i].SHA256, seq); err != nil {
			return 0, err
		}
		rec.Blobs = append(rec.Blobs, b.ID)
	}
	if err := ids.Put([]byte(p.MessageID), append(u64(seq), byte(box))); err != nil {
		return 0, err
	}
	if err := s.putRecord(tx, seq, rec); err != nil {
		return 0, err
	}
	if err := s.putSealed(tx, bucketPackets, u64(seq), nd.Packet); err != nil {
		return 0, err
	}
	if len(nd.Report) > 0 {
		if err := s.putSealed(tx, bucketReports, u64(seq), nd.Report); err != nil {
			return 0, err
		}
	}
	m := p.Metadata
	if err := s.putSearch(tx, box, seq, m.SearchTokens()); err != nil {
		return 0, err
	}
	sm := summ{box: box, urgency: uint8(m.Priority), secrecy: uint8(m.Secrecy), number: numberValue(m.CodeNumber),
		date: dayNumber(m.Promulgation.Date), due: noDeadline}
	if !m.DueDate.IsZero() {
		sm.due = dayNumber(m.DueDate)
	}
	if nd.Read {
		sm.flags |= flagRead
	}
	_, agency := rowAgency(rec)
	if _, err := s.putIndexes(tx, seq, sm, vnsearch.Fold(agency), vnsearch.Fold(m.Subject)); err != nil {
		return 0, err
	}
	if err := s.addCount(tx, box, 1); err != nil {
		return 0, err
	}
	for _, e := range nd.Statuses {
		if err := s.appendStatus(tx, seq, rec, e); err != nil {
			return 0, err
		}
	}
	if err := s.linkRecalls(tx, box, p, nd.Recalls); err != nil {
		return 0, err
	}
	if err := s.enqueue(tx, nd.Queue); err != nil {
		return 0, err
	}
	if nd.InboxCursor != "" {
		if err := s.putSealed(tx, bucketSettings, []byte(cursorPrefix+CursorInbox), []byte(nd.InboxCursor)); err != nil {
			return 0, err
		}
	}
	return seq, nil
}

func rowAgency(r *docRecord) (certs.AgencyCode, string) {
	m := r.Payload.Metadata
	if r.Box == Outgoing {
		if len(m.To) == 0 {
			return "", ""
		}
		return m.To[0].Code, m.To[0].Name
	}
	return m.From.Code, m.From.Name
}

func countKey(box Box) []byte { return []byte("count-" + box.String()) }

func (s *Store) addCount(tx *bolt.Tx, box Box, d int64) error {
	meta := tx.Bucket(bucketMeta)
	var n uint64
	if v := meta.Get(countKey(box)); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	return meta.Put(countKey(box), u64(uint64(int64(n)+d)))
}

func (s *Store) putRecord(tx *bolt.Tx, seq uint64, r *docRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode document record: %w", err)
	}
	return s.putSealed(tx, bucketDocs, u64(seq), b)
}

func (s *Store) loadRecord(tx *bolt.Tx, seq uint64) (*docRecord, error) {
	pt, err := s.getSealed(tx, bucketDocs, u64(seq))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%w: document record %d missing", ErrCorrupt, seq)
		}
		return nil, err
	}
	return decodeDocRecord(pt)
}

// lookup finds a document's sequence number by message id.
func lookup(tx *bolt.Tx, id string) (uint64, Box, error) {
	v := tx.Bucket(bucketIDs).Get([]byte(id))
	if v == nil {
		return 0, 0, fmt.Errorf("document %s: %w", id, ErrNotFound)
	}
	if len(v) != 9 || !Box(v[8]).Valid() {
		return 0, 0, fmt.Errorf("%w: id index", ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), Box(v[8]), nil
}

// Get returns a document by message id.
func (s *Store) Get(id string) (*Document, error) {
	var d *Document
	err := s.view("get document", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		r, err := s.loadRecord(tx, seq)
		if err != nil {
			return err
		}
		m, err := s.loadSumm(tx, seq)
		if err != nil {
			return err
		}
		d = &Document{ID: r.ID, Box: r.Box, Payload: r.Payload, Arrival: r.Arrival, Stored: r.Stored, SentAt: r.SentAt,
			Returned: r.Returned, Read: m.flags&flagRead != 0, Done: m.flags&flagDone != 0, Status: statusOf(m.status)}
		return nil
	})
	return d, err
}

// WithNumber returns the ids of the documents of box whose số
// (Metadata.CodeNumber) has the value of number ("01" and "1" alike; every
// number that is not one of digits alike), found by the index the lists
// sort by number with: the few documents that can share a DocumentId
// with one of that number, without reading the whole box.
func (s *Store) WithNumber(box Box, number string) ([]string, error) {
	var ids []string
	err := s.view("documents by number", func(tx *bolt.Tx) error {
		prefix := indexKey(box, binary.BigEndian.AppendUint64(nil, numberValue(number)), 0)
		prefix = prefix[:len(prefix)-8]
		c := tx.Bucket(bucketIndex[SortNumber]).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			r, err := s.loadRecord(tx, seqOfKey(k))
			if err != nil {
				return err
			}
			ids = append(ids, r.ID)
		}
		return nil
	})
	return ids, err
}

func (s *Store) summary(tx *bolt.Tx, seq uint64) (Summary, error) {
	r, err := s.loadRecord(tx, seq)
	if err != nil {
		return Summary{}, err
	}
	m, err := s.loadSumm(tx, seq)
	if err != nil {
		return Summary{}, err
	}
	md := r.Payload.Metadata
	code, name := rowAgency(r)
	return Summary{ID: r.ID, Box: r.Box, Number: md.CodeNumber, Notation: md.CodeNotation, Date: md.Promulgation.Date,
		AgencyCode: code, Agency: name, Subject: md.Subject, Type: md.Type, Urgency: md.Priority, Secrecy: md.Secrecy,
		Due: md.DueDate, Status: statusOf(m.status), Read: m.flags&flagRead != 0, Done: m.flags&flagDone != 0,
		Returned: m.flags&flagReturned != 0, Arrival: r.Arrival}, nil
}

// Packet returns the envelope wire bytes a document was stored with.
func (s *Store) Packet(id string) ([]byte, error) {
	return s.sealedOf("read packet", id, bucketPackets)
}

// Report returns the verification report stored with an incoming document.
func (s *Store) Report(id string) ([]byte, error) {
	return s.sealedOf("read report", id, bucketReports)
}

func (s *Store) sealedOf(what, id string, bucket []byte) ([]byte, error) {
	var out []byte
	err := s.view(what, func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		out, err = s.getSealed(tx, bucket, u64(seq))
		return err
	})
	return out, err
}

// MarkRead marks a document read or unread.
func (s *Store) MarkRead(id string, read bool) error {
	return s.update("mark read", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		old, err := s.loadSumm(tx, seq)
		if err != nil {
			return err
		}
		m := old
		m.flags &^= flagRead
		if read {
			m.flags |= flagRead
		}
		if m == old {
			return nil
		}
		return s.updateSumm(tx, seq, old, m)
	})
}

// OpenAttachment streams attachment i (0 is the main document) of a
// document. The reader checks the size and SHA-256 at the end and fails
// with ErrCorrupt if they differ.
func (s *Store) OpenAttachment(id string, i int) (io.ReadCloser, envelope.Attachment, error) {
	var ar *attachmentReader
	var att envelope.Attachment
	err := s.view("open attachment", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		r, err := s.loadRecord(tx, seq)
		if err != nil {
			return err
		}
		if i < 0 || i >= len(r.Blobs) {
			return fmt.Errorf("attachment %d of %s: %w", i, id, ErrNotFound)
		}
		if r.Blobs[i] == "" {
			att = r.Payload.Attachments[i]
			return fmt.Errorf("attachment %d of %s: %w", i, id, ErrDestroyed)
		}
		bid, err := hex.DecodeString(r.Blobs[i])
		if err != nil || len(bid) != blobIDSize {
			return fmt.Errorf("%w: blob id", ErrCorrupt)
		}
		pt, err := s.getSealed(tx, bucketBlobs, bid)
		if err != nil {
			return fmt.Errorf("attachment %d of %s: %w", i, id, err)
		}
		rec, err := decodeBlobRecord(pt)
		if err != nil {
			return err
		}
		if rec.owner != seq {
			return fmt.Errorf("%w: blob owned by another document", ErrCorrupt)
		}
		att = r.Payload.Attachments[i]
		ar = &attachmentReader{s: s, id: bid, rec: rec, h: sha256.New()}
		return nil
	})
	if err != nil {
		return nil, att, err
	}
	return ar, att, nil
}

// Receipts returns the hub's receipts stored for a document, oldest first.
func (s *Store) Receipts(id string) ([][]byte, error) {
	var out [][]byte
	err := s.view("read receipts", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		c := tx.Bucket(bucketReceipts).Cursor()
		prefix := u64(seq)
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			pt, err := s.c.open(bucketReceipts, k, v)
			if err != nil {
				return err
			}
			out = append(out, pt)
		}
		return nil
	})
	return out, err
}

// receiptCount is how many receipts are stored for a document.
func receiptCount(tx *bolt.Tx, seq uint64) int {
	c := tx.Bucket(bucketReceipts).Cursor()
	prefix, n := u64(seq), 0
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

// AddReceipt stores a receipt for a document.
func (s *Store) AddReceipt(id string, receipt []byte) error {
	return s.update("add receipt", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		return s.addReceipt(tx, seq, receipt)
	})
}

func (s *Store) addReceipt(tx *bolt.Tx, seq uint64, receipt []byte) error {
	c := tx.Bucket(bucketReceipts).Cursor()
	prefix := u64(seq)
	n := uint32(0)
	if k, _ := c.Seek(u64(seq + 1)); k != nil {
		k, _ = c.Prev()
		if k != nil && bytes.HasPrefix(k, prefix) && len(k) == 12 {
			n = binary.BigEndian.Uint32(k[8:]) + 1
		}
	} else if k, _ := c.Last(); k != nil && bytes.HasPrefix(k, prefix) && len(k) == 12 {
		n = binary.BigEndian.Uint32(k[8:]) + 1
	}
	return s.putSealed(tx, bucketReceipts, binary.BigEndian.AppendUint32(prefix, n), receipt)
}
