package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/shared/document"

	bolt "go.etcd.io/bbolt"
)

// StatusEntry is one entry of a document's status history at one agency's
// copy: the recipient's for every code but a recall, which the sender sends
// about each recipient's copy.
type StatusEntry struct {
	Copy   certs.AgencyCode      // whose copy of the document: a recipient
	Update document.StatusUpdate // what happened
	Packet []byte                // the signed status packet, if any
}

// decodeStatusEntry reads a decrypted history entry.
func decodeStatusEntry(b []byte) (*StatusEntry, error) {
	var e StatusEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: status record: %w", ErrCorrupt, err)
	}
	if _, err := certs.ParseAgencyCode(string(e.Copy)); err != nil {
		return nil, fmt.Errorf("%w: status record copy: %w", ErrCorrupt, err)
	}
	if !e.Update.Code.Valid() {
		return nil, fmt.Errorf("%w: status record code", ErrCorrupt)
	}
	return &e, nil
}

// StatusChange is a status to append, with what goes in its transaction.
type StatusChange struct {
	Doc   string // message id of the document
	Entry StatusEntry
	Queue []OutboxItem // e.g. sending the status packet
	// StatusCursor, if set, becomes the status cursor (statuses pulled
	// from the hub about outgoing documents).
	StatusCursor string
}

// AddStatus appends a status to a document's history at one copy, after
// checking it may come next (document.Lifecycle); a status that may not
// gives an error wrapping document.ErrTransition. The history is
// append-only: nothing in the store rewrites or removes an entry.
func (s *Store) AddStatus(ch StatusChange) error {
	return s.update("add status", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, ch.Doc)
		if err != nil {
			return err
		}
		r, err := s.loadRecord(tx, seq)
		if err != nil {
			return err
		}
		if err := s.appendStatus(tx, seq, r, ch.Entry); err != nil {
			return err
		}
		if err := s.enqueue(tx, ch.Queue); err != nil {
			return err
		}
		if ch.StatusCursor != "" {
			return s.putSealed(tx, bucketSettings, []byte(cursorPrefix+CursorStatus), []byte(ch.StatusCursor))
		}
		return nil
	})
}

// Registration is the registering of an incoming document in the incoming
// register (status 03), which gives it the next số đến of the year.
type Registration struct {
	Doc   string
	At    time.Time // arrival time; its Vietnam year chooses the series
	Entry StatusEntry
	Queue []OutboxItem
}

// Register gives an incoming document the next arrival number (số đến) of
// the year of r.At, records it with the arrival time and appends the 03
// status, in one transaction. It returns the number.
func (s *Store) Register(r Registration) (int, error) {
	var number uint64
	err := s.update("register incoming document", func(tx *bolt.Tx) error {
		seq, box, err := lookup(tx, r.Doc)
		if err != nil {
			return err
		}
		if box != Incoming {
			return fmt.Errorf("document %s is not incoming", r.Doc)
		}
		rec, err := s.loadRecord(tx, seq)
		if err != nil {
			return err
		}
		if rec.Arrival.Number != "" {
			return fmt.Errorf("document %s already registered as %s: %w", r.Doc, rec.Arrival.Number, ErrExists)
		}
		if r.Entry.Update.Code != document.StatusReceived {
			return fmt.Errorf("registering needs status %s, got %q", document.StatusReceived, r.Entry.Update.Code)
		}
		if err := s.appendStatus(tx, seq, rec, r.Entry); err != nil {
			return err
		}
		if number, err = s.next(tx, inRegisterKey(document.RegisterYear(r.At))); err != nil {
			return err
		}
		rec.Arrival = document.Arrival{Number: fmt.Sprint(number), Time: r.At.UTC()}
		if err := s.putRecord(tx, seq, rec); err != nil {
			return err
		}
		// The số đến becomes searchable too.
		words, err := s.getSealed(tx, bucketWords, u64(seq))
		if err != nil {
			return err
		}
		if err := s.putSearch(tx, Incoming, seq, append(strings.Fields(string(words)), rec.Arrival.Number)); err != nil {
			return err
		}
		return s.enqueue(tx, r.Queue)
	})
	return int(number), err
}

func historyPrefix(seq uint64, copyHash []byte) []byte {
	return append(u64(seq), copyHash...)
}

// appendStatus adds e after the history of its copy and updates the
// document's summary status.
func (s *Store) appendStatus(tx *bolt.Tx, seq uint64, r *docRecord, e StatusEntry) error {
	if _, err := certs.ParseAgencyCode(string(e.Copy)); err != nil {
		return fmt.Errorf("status copy: %w", err)
	}
	if err := e.Update.Validate(); err != nil {
		return err
	}
	bt := r.Payload.Metadata.Business.Type
	prefix := historyPrefix(seq, s.c.hash("copy", string(e.Copy)))
	hist, err := s.copyHistory(tx, prefix)
	if err != nil {
		return err
	}
	lc, err := document.ReplayHistory(bt, codes(hist))
	if err != nil {
		return fmt.Errorf("%w: stored history: %w", ErrCorrupt, err)
	}
	if _, err := lc.Next(e.Update.Code); err != nil {
		return fmt.Errorf("status %s for %s: %w", e.Update.Code, e.Copy, err)
	}
	key := binary.BigEndian.AppendUint32(prefix, uint32(len(hist)))
	b := tx.Bucket(bucketHistory)
	if b.Get(key) != nil {
		return fmt.Errorf("entry %d: %w", len(hist), ErrHistory)
	}
	pt, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	if err := s.putSealed(tx, bucketHistory, key, pt); err != nil {
		return err
	}
	return s.refreshStatus(tx, seq, r)
}

func codes(h []*StatusEntry) []document.Status {
	out := make([]document.Status, len(h))
	for i, e := range h {
		out[i] = e.Update.Code
	}
	return out
}

func (s *Store) copyHistory(tx *bolt.Tx, prefix []byte) ([]*StatusEntry, error) {
	var out []*StatusEntry
	c := tx.Bucket(bucketHistory).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != len(prefix)+4 || binary.BigEndian.Uint32(k[len(prefix):]) != uint32(len(out)) {
			return nil, fmt.Errorf("%w: history key", ErrCorrupt)
		}
		pt, err := s.c.open(bucketHistory, k, v)
		if err != nil {
			return nil, err
		}
		e, err := decodeStatusEntry(pt)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// copies lists the agencies whose copies have a history: the recipients of
// an outgoing document, this agency for an incoming one (any copy that has
// entries).
func (s *Store) histories(tx *bolt.Tx, seq uint64, r *docRecord) (map[certs.AgencyCode][]*StatusEntry, error) {
	out := map[certs.AgencyCode][]*StatusEntry{}
	c := tx.Bucket(bucketHistory).Cursor()
	prefix := u64(seq)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); {
		if len(k) != 8+indexHashSize+4 {
			return nil, fmt.Errorf("%w: history key", ErrCorrupt)
		}
		cp := append([]byte(nil), k[:8+indexHashSize]...)
		h, err := s.copyHistory(tx, cp)
		if err != nil {
			return nil, err
		}
		if len(h) > 0 {
			out[h[0].Copy] = h
		}
		// skip to the next copy
		next := append(cp, 0xff, 0xff, 0xff, 0xff, 0xff)
		k, _ = c.Seek(next)
	}
	return out, nil
}

// refreshStatus recomputes a document's summary status and done flag from
// its histories.
func (s *Store) refreshStatus(tx *bolt.Tx, seq uint64, r *docRecord) error {
	hs, err := s.histories(tx, seq, r)
	if err != nil {
		return err
	}
	bt := r.Payload.Metadata.Business.Type
	var status uint8
	done := true
	copies := []certs.AgencyCode{}
	if r.Box == Outgoing {
		for _, to := range r.Payload.Metadata.To {
			copies = append(copies, to.Code)
		}
	} else {
		for c := range hs {
			copies = append(copies, c)
		}
	}
	if len(copies) == 0 {
		done = false
	}
	for i, c := range copies {
		lc, err := document.ReplayHistory(bt, codes(hs[c]))
		if err != nil {
			return fmt.Errorf("%w: stored history: %w", ErrCorrupt, err)
		}
		st := statusByte(lc.Stage())
		if lc.Last() == document.StatusAccepted {
			st = statusByte(document.StatusAccepted)
		}
		if i == 0 || st < status {
			status = st
		}
		if !(lc.Closed() || lc.Stage() == document.StatusCompleted) {
			done = false
		}
	}
	old, err := s.loadSumm(tx, seq)
	if err != nil {
		return err
	}
	m := old
	m.status = status
	m.flags &^= flagDone
	if done {
		m.flags |= flagDone
	}
	if m == old {
		return nil
	}
	return s.updateSumm(tx, seq, old, m)
}

// CopyHistory is the status history of one copy of a document.
type CopyHistory struct {
	Copy    certs.AgencyCode
	Entries []StatusEntry // oldest first
}

// History returns a document's status histories, one per copy, in the
// order of the recipients for an outgoing document.
func (s *Store) History(id string) ([]CopyHistory, error) {
	var out []CopyHistory
	err := s.view("read history", func(tx *bolt.Tx) error {
		seq, _, err := lookup(tx, id)
		if err != nil {
			return err
		}
		r, err := s.loadRecord(tx, seq)
		if err != nil {
			return err
		}
		hs, err := s.histories(tx, seq, r)
		if err != nil {
			return err
		}
		add := func(c certs.AgencyCode) {
			ch := CopyHistory{Copy: c}
			for _, e := range hs[c] {
				ch.Entries = append(ch.Entries, *e)
			}
			out = append(out, ch)
			delete(hs, c)
		}
		if r.Box == Outgoing {
			for _, to := range r.Payload.Metadata.To {
				add(to.Code)
			}
		}
		for len(hs) > 0 {
			var first certs.AgencyCode
			for c := range hs {
				if first == "" || c < first {
					first = c
				}
			}
			add(first)
		}
		return nil
	})
	return out, err
}
