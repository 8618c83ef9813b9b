package boltstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
)

// AppendStatus implements store.Statuses.
func (s *Store) AppendStatus(ctx context.Context, st *store.StatusUpdate) (store.StatusUpdate, bool, error) {
	if err := st.Validate(); err != nil {
		return store.StatusUpdate{}, false, fmt.Errorf("append status: %w", err)
	}
	var (
		out     store.StatusUpdate
		existed bool
		refusal error
	)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out, existed, refusal = store.StatusUpdate{}, false, nil
		m, err := getMessage(tx, st.MessageID)
		if errors.Is(err, store.ErrNotFound) {
			refusal = err
			return nil
		}
		if err != nil {
			return err
		}
		if tx.Bucket(bucketDeliveries).Get(deliveryKey(st.From, st.MessageID)) == nil {
			refusal = fmt.Errorf("%s is not a recipient of %s: %w", st.From, st.MessageID, store.ErrForbidden)
			return nil
		}
		if st.Document != "" && st.Document != m.DocumentID {
			refusal = fmt.Errorf("%w: the status names %q, message %s carries %q", store.ErrWrongDocument, st.Document, st.MessageID, m.DocumentID)
			return nil
		}
		out, existed, refusal, err = appendStatusTx(tx, m, st)
		return err
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return store.StatusUpdate{}, false, fmt.Errorf("append status %s on %s: %w", st.Code, st.MessageID, err)
	}
	return out, existed, nil
}

// appendStatusTx appends st, from a recipient of m, unless its signed bytes
// are stored already (existed). The status must be one the recipient's
// history allows next (document.Lifecycle), checked here in the
// transaction that stores it so that two statuses racing cannot both pass
// against the same history; a status that may not follow is a refusal.
func appendStatusTx(tx *bolt.Tx, m *record.Message, st *store.StatusUpdate) (out store.StatusUpdate, existed bool, refusal, err error) {
	sum := sha256.Sum256(st.Signed)
	from := string(st.From)
	statuses := tx.Bucket(bucketStatuses)
	dedupKey := join(st.MessageID, from, string(sum[:]))
	if seq := tx.Bucket(bucketStatusDedup).Get(dedupKey); seq != nil {
		var r record.Status
		if err := decode(statuses.Get(seqKey(u64(seq), st.MessageID, from)), &r); err != nil {
			return out, false, nil, fmt.Errorf("decode status: %w", err)
		}
		return r.Domain(), true, nil, nil
	}
	history, err := historyTx(tx, st.MessageID, st.From)
	if err != nil {
		return out, false, nil, err
	}
	life, err := document.ReplayHistory(m.Kind, history)
	if err != nil {
		return out, false, fmt.Errorf("the stored history of %s at %s: %w", st.MessageID, st.From, err), nil
	}
	if _, err := life.Next(st.Code); err != nil {
		return out, false, err, nil
	}
	seq, err := next(tx, "status", st.MessageID, from)
	if err != nil {
		return out, false, nil, err
	}
	cur, err := next(tx, "status-queue", string(m.Sender))
	if err != nil {
		return out, false, nil, err
	}
	idx, err := appendLog(tx, &auditlog.Entry{Kind: auditlog.KindStatus, At: st.At, MessageID: st.MessageID,
		EnvelopeSHA256: m.EnvSHA256, Agency: from, Status: string(st.Code), PacketSHA256: hex.EncodeToString(sum[:])})
	if err != nil {
		return out, false, nil, err
	}
	r := record.Status{MessageID: st.MessageID, From: st.From, Code: st.Code, Reason: st.Reason, Staff: st.Staff,
		At: st.At, Signed: st.Signed, Sender: m.Sender, Seq: seq, Cursor: cur, LogIndex: idx}
	key := seqKey(seq, st.MessageID, from)
	if err := statuses.Put(key, encode(&r)); err != nil {
		return out, false, nil, err
	}
	if err := tx.Bucket(bucketStatusDedup).Put(dedupKey, binary.BigEndian.AppendUint64(nil, seq)); err != nil {
		return out, false, nil, err
	}
	if err := tx.Bucket(bucketStatusQueue).Put(seqKey(cur, string(m.Sender)), key); err != nil {
		return out, false, nil, err
	}
	if err := bumpStats(tx, st.From, func(s *record.Stats) {
		if s.Statuses == nil {
			s.Statuses = map[document.Status]uint64{}
		}
		s.Statuses[st.Code]++
	}); err != nil {
		return out, false, nil, err
	}
	return r.Domain(), false, nil, nil
}

// historyTx returns the codes of a message's history at one recipient, in
// order.
func historyTx(tx *bolt.Tx, messageID string, from certs.AgencyCode) ([]document.Status, error) {
	var codes []document.Status
	err := forPrefix(tx, bucketStatuses, join(messageID, string(from), ""), "status", func(r *record.Status) {
		codes = append(codes, r.Code)
	})
	return codes, err
}

// StatusHistory implements store.Statuses.
func (s *Store) StatusHistory(ctx context.Context, messageID string) ([]store.StatusUpdate, error) {
	var out []store.StatusUpdate
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if _, err := getMessage(tx, messageID); err != nil {
			return err
		}
		return forPrefix(tx, bucketStatuses, join(messageID, ""), "status", func(r *record.Status) { out = append(out, r.Domain()) })
	})
	if err != nil {
		return nil, fmt.Errorf("status history: %w", err)
	}
	return out, nil
}

// StatusInbox implements store.Statuses.
func (s *Store) StatusInbox(ctx context.Context, sender certs.AgencyCode, after uint64, limit int) ([]store.StatusUpdate, error) {
	var out []store.StatusUpdate
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := join(string(sender), "")
		statuses := tx.Bucket(bucketStatuses)
		c := tx.Bucket(bucketStatusQueue).Cursor()
		for k, v := c.Seek(seqKey(after+1, string(sender))); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			var r record.Status
			if err := decode(statuses.Get(v), &r); err != nil {
				return fmt.Errorf("decode status: %w", err)
			}
			out = append(out, r.Domain())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("status inbox of %s: %w", sender, err)
	}
	return out, nil
}

// AckStatus implements store.Statuses.
func (s *Store) AckStatus(ctx context.Context, sender certs.AgencyCode, cursor uint64) error {
	var refusal error
	err := s.update(ctx, func(tx *bolt.Tx) error {
		refusal = nil
		if cursor == 0 || cursor > counter(tx, "status-queue", string(sender)) {
			refusal = store.ErrNotFound
			return nil
		}
		return tx.Bucket(bucketStatusQueue).Delete(seqKey(cursor, string(sender)))
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return fmt.Errorf("ack status %d for %s: %w", cursor, sender, err)
	}
	return nil
}
