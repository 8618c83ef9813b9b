package boltstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
)

// Refuse implements store.Refusals.
func (s *Store) Refuse(ctx context.Context, recipient certs.AgencyCode, messageID, reason string, now time.Time, seal store.Seal) (store.Delivery, bool, error) {
	if err := store.ValidReason(reason); err != nil {
		return store.Delivery{}, false, fmt.Errorf("refuse %s for %s: %w", messageID, recipient, err)
	}
	if seal == nil {
		return store.Delivery{}, false, fmt.Errorf("refuse %s for %s: %w: a refusal is stored with its receipt", messageID, recipient, store.ErrInvalid)
	}
	var (
		out     store.Delivery
		existed bool
		refusal error
	)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out, existed, refusal = store.Delivery{}, false, nil
		d, found, err := getDelivery(tx, recipient, messageID)
		if err != nil || !found {
			refusal = store.ErrNotFound
			return err
		}
		if done, err := d.Settle(store.Refused); done || err != nil {
			out, existed, refusal = d.Domain(), done, err
			return nil
		}
		m, err := getMessage(tx, messageID)
		if err != nil {
			return err
		}
		// Checked before anything is written: a refusal that may not be
		// stored changes nothing.
		history, err := historyTx(tx, messageID, recipient)
		if err != nil {
			return err
		}
		if life, err := document.ReplayHistory(m.Kind, history); err != nil {
			return fmt.Errorf("the stored history of %s at %s: %w", messageID, recipient, err)
		} else if _, err := life.Next(document.StatusRefused); err != nil {
			refusal = err
			return nil
		}
		d.State, d.RefusedAt, d.Reason = store.Refused, now, reason
		idx, err := settleDelivery(tx, &d, auditlog.KindRefused, now)
		if err != nil {
			return err
		}
		if err := deliveredTx(tx, m, 1, now); err != nil {
			return err
		}
		rc, err := sealTx(tx, seal, messageID, idx)
		if err != nil {
			return err
		}
		// Status 02 travels to the sender carried by the refusal's receipt.
		st := &store.StatusUpdate{MessageID: messageID, From: recipient, Code: document.StatusRefused, Reason: reason, At: now, Signed: rc.Signed}
		if _, _, refused, err := appendStatusTx(tx, m, st); err != nil || refused != nil {
			return fmt.Errorf("status 02 of the refusal: %w", errors.Join(err, refused))
		}
		out = d.Domain()
		return nil
	})
	if err == nil {
		err = refusal
	}
	if err != nil {
		return store.Delivery{}, false, fmt.Errorf("refuse %s for %s: %w", messageID, recipient, err)
	}
	return out, existed, nil
}
