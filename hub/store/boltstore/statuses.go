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
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
)

// AppendStatus implements store.Statuses.
func (s *Store) AppendStatus(ctx context.Context, st *store.StatusUpdate) (store.StatusUpdate, bool, error) {
	if err := st.Validate(); err != nil {
		return store.StatusUpdate{}, false, fmt.Errorf("append status: %w", err)
	}
	sum := sha256.Sum256(st.Signed)
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
		statuses := tx.Bucket(bucketStatuses)
		dedupKey := join(st.MessageID, string(st.From), string(sum[:]))
		if seq := tx.Bucket(bucketStatusDedup).Get(dedupKey); seq != nil {
			var r statusRecord
			if err := decode(statuses.Get(seqKey(u64(seq), st.MessageID, string(st.From))), &r); err != nil {
				return fmt.Errorf("decode status: %w", err)
			}
			out, existed = r.status(), true
			return nil
		}
		seq, err := next(tx, "status", st.MessageID, string(st.From))
		if err != nil {
			return err
		}
		cur, err := next(tx, "status-queue", string(m.Sender))
		if err != nil {
			return err
		}
		idx, err := appendLog(tx, &auditlog.Entry{Kind: auditlog.KindStatus, At: st.At, MessageID: st.MessageID,
			EnvelopeSHA256: m.EnvSHA256, Agency: string(st.From), Status: string(st.Code), PacketSHA256: hex.EncodeToString(sum[:])})
		if err != nil {
			return err
		}
		r := statusRecord{MessageID: st.MessageID, From: st.From, Code: st.Code, Reason: st.Reason, Staff: st.Staff,
			At: st.At, Signed: st.Signed, Sender: m.Sender, Seq: seq, Cursor: cur, LogIndex: idx}
		key := seqKey(seq, st.MessageID, string(st.From))
		if err := statuses.Put(key, encode(&r)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketStatusDedup).Put(dedupKey, binary.BigEndian.AppendUint64(nil, seq)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketStatusQueue).Put(seqKey(cur, string(m.Sender)), key); err != nil {
			return err
		}
		if err := bumpStats(tx, st.From, func(s *statsRecord) {
			if s.Statuses == nil {
				s.Statuses = map[document.Status]uint64{}
			}
			s.Statuses[st.Code]++
		}); err != nil {
			return err
		}
		out = r.status()
		return nil
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return store.StatusUpdate{}, false, fmt.Errorf("append status %s on %s: %w", st.Code, st.MessageID, err)
	}
	return out, existed, nil
}

// StatusHistory implements store.Statuses.
func (s *Store) StatusHistory(ctx context.Context, messageID string) ([]store.StatusUpdate, error) {
	var out []store.StatusUpdate
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if _, err := getMessage(tx, messageID); err != nil {
			return err
		}
		return forPrefix(tx, bucketStatuses, join(messageID, ""), "status", func(r *statusRecord) { out = append(out, r.status()) })
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
			var r statusRecord
			if err := decode(statuses.Get(v), &r); err != nil {
				return fmt.Errorf("decode status: %w", err)
			}
			out = append(out, r.status())
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
