package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
	"lienthong/shared/auditlog"
)

// Verify checks the database's page structure (bbolt's own check) and the
// store's invariants, and returns every violation found, joined:
//
//   - every queue entry names a pending delivery with the same cursor, and
//     every pending delivery has its queue entry;
//   - every delivery belongs to a stored message that lists its recipient;
//   - every message has its envelope, its sent record, and a delivery per
//     recipient;
//   - counters are at least the largest sequence they issued;
//   - the statistics equal what the records say (sent, received, acked,
//     withdrawn);
//   - the log holds one entry per index below its size, every entry
//     decodes, and the stored tree hashes are exactly those its entries
//     make;
//   - every attachment of a message has a blob record counting the
//     messages that carry it and those still pending, and a file unless
//     the retention removed it; the sender and every recipient not
//     withdrawn hold a grant through the message, a withdrawn one does
//     not; quota entries name unreferenced blobs their agency uploaded.
//
// It reads one consistent snapshot and may take a while on a large store;
// it is meant for tests, the crash test and an operator's check command.
func (s *Store) Verify(ctx context.Context) error {
	var errs []error
	fail := func(format string, args ...any) {
		if len(errs) < 100 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	err := s.view(ctx, func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			fail("bbolt: %w", err)
		}
		verifyLog(tx, fail)
		if err := s.verifyBlobs(tx, fail); err != nil {
			return err
		}
		type counts struct{ sent, received, acked, withdrawn uint64 }
		want := map[string]*counts{}
		cnt := func(a string) *counts {
			if want[a] == nil {
				want[a] = &counts{}
			}
			return want[a]
		}
		dels := tx.Bucket(bucketDeliveries)
		queue := tx.Bucket(bucketQueue)
		err := tx.Bucket(bucketMessages).ForEach(func(k, v []byte) error {
			var m record.Message
			if err := decode(v, &m); err != nil {
				fail("message %s: %w", k, err)
				return nil
			}
			cnt(string(m.Sender)).sent++
			if tx.Bucket(bucketEnvelopes).Get(seqKey(m.BodyKey)) == nil {
				fail("message %s: no envelope", k)
			}
			if !bytes.Equal(tx.Bucket(bucketSent).Get(seqKey(m.Seq, string(m.Sender))), k) {
				fail("message %s: sent record %d of %s missing", k, m.Seq, m.Sender)
			}
			if m.Seq > counter(tx, "sent", string(m.Sender)) {
				fail("message %s: sent cursor %d beyond counter", k, m.Seq)
			}
			for _, r := range m.Recipients {
				raw := dels.Get(deliveryKey(r, m.ID))
				if raw == nil {
					fail("message %s: no delivery to %s", k, r)
					continue
				}
				var d record.Delivery
				if err := decode(raw, &d); err != nil {
					fail("delivery %s to %s: %w", k, r, err)
					continue
				}
				c := cnt(string(r))
				c.received++
				if d.Cursor > counter(tx, "queue", string(r)) {
					fail("delivery %s to %s: cursor %d beyond counter", k, r, d.Cursor)
				}
				q := queue.Get(seqKey(d.Cursor, string(r)))
				switch d.State {
				case store.Pending:
					if !bytes.Equal(q, k) {
						fail("pending delivery %s to %s: queue entry %d is %q", k, r, d.Cursor, q)
					}
				case store.Acked:
					c.acked++
					if q != nil {
						fail("acked delivery %s to %s still queued", k, r)
					}
				case store.Withdrawn:
					c.withdrawn++
					if q != nil {
						fail("withdrawn delivery %s to %s still queued", k, r)
					}
				case store.Refused:
					if q != nil {
						fail("refused delivery %s to %s still queued", k, r)
					}
				default:
					fail("delivery %s to %s: state %d", k, r, d.State)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Queue entries without a pending delivery.
		err = queue.ForEach(func(k, v []byte) error {
			i := bytes.IndexByte(k, 0)
			if i < 0 || len(k) != i+9 {
				fail("queue key %q malformed", k)
				return nil
			}
			raw := dels.Get(deliveryKey(certs.AgencyCode(string(k[:i])), string(v)))
			var d record.Delivery
			if raw == nil || decode(raw, &d) != nil || d.State != store.Pending || d.Cursor != u64(k[i+1:]) {
				fail("queue entry %q → %s has no pending delivery", k, v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = dels.ForEach(func(k, v []byte) error {
			var d record.Delivery
			if err := decode(v, &d); err != nil {
				fail("delivery %q: %w", k, err)
				return nil
			}
			if tx.Bucket(bucketMessages).Get([]byte(d.MessageID)) == nil {
				fail("delivery %q: no message", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketStats).ForEach(func(k, v []byte) error {
			var st record.Stats
			if err := decode(v, &st); err != nil {
				fail("stats of %s: %w", k, err)
				return nil
			}
			c := cnt(string(k))
			if st.Sent != c.sent || st.Received != c.received || st.Acked != c.acked || st.Withdrawn != c.withdrawn {
				fail("stats of %s: sent/received/acked/withdrawn %d/%d/%d/%d, records say %d/%d/%d/%d", k,
					st.Sent, st.Received, st.Acked, st.Withdrawn, c.sent, c.received, c.acked, c.withdrawn)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("verify store: %w", err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("verify store: %w", errors.Join(errs...))
	}
	return nil
}

// verifyLog rebuilds the tree from the entries and compares every stored
// hash, so a changed, missing or extra entry or hash is found.
func verifyLog(tx *bolt.Tx, fail func(string, ...any)) {
	size := int64(counter(tx, logCounter))
	if n := int64(tx.Bucket(bucketLogEntries).Stats().KeyN); n != size {
		fail("log: %d entries for a size of %d", n, size)
	}
	if n, want := int64(tx.Bucket(bucketLogHashes).Stats().KeyN), tlog.StoredHashCount(size); n != want {
		fail("log: %d stored hashes, want %d", n, want)
	}
	rebuilt := &auditlog.Memory{}
	stored := txHashes{tx}
	for i := int64(0); i < size; i++ {
		raw := tx.Bucket(bucketLogEntries).Get(seqKey(uint64(i)))
		if raw == nil {
			fail("log: entry %d missing", i)
			return
		}
		if _, err := auditlog.DecodeEntry(raw); err != nil {
			fail("log: entry %d: %v", i, err)
		}
		if _, err := rebuilt.Append(raw); err != nil {
			fail("log: entry %d: %v", i, err)
			return
		}
	}
	count := tlog.StoredHashCount(size)
	for idx := int64(0); idx < count; idx += 1024 {
		batch := make([]int64, 0, 1024)
		for j := idx; j < min(idx+1024, count); j++ {
			batch = append(batch, j)
		}
		want, err1 := rebuilt.ReadHashes(batch)
		got, err2 := stored.ReadHashes(batch)
		if err1 != nil || err2 != nil {
			fail("log: hashes from %d: %v %v", idx, err1, err2)
			return
		}
		for k := range want {
			if want[k] != got[k] {
				fail("log: stored hash %d does not match the entries", batch[k])
				return
			}
		}
	}
}

// verifyBlobs checks the blobs' records and grants against the messages.
func (s *Store) verifyBlobs(tx *bolt.Tx, fail func(string, ...any)) error {
	refs, open := map[string]int{}, map[string]int{}
	grants := tx.Bucket(bucketGrants)
	err := tx.Bucket(bucketMessages).ForEach(func(k, v []byte) error {
		var m record.Message
		if err := decode(v, &m); err != nil {
			return nil // reported above
		}
		n, err := pendingCount(tx, &m)
		if err != nil {
			return nil // reported above
		}
		pending := n > 0
		if len(m.Blobs) > 0 && counter(tx, "pending", m.ID) != uint64(n) {
			fail("message %s: pending counter %d, deliveries say %d", k, counter(tx, "pending", m.ID), n)
		}
		seen := map[string]bool{}
		for _, d := range m.Blobs {
			if seen[d] {
				continue
			}
			seen[d] = true
			refs[d]++
			if pending {
				open[d]++
			}
			if grants.Get(grantKey(d, m.Sender, m.ID)) == nil {
				fail("message %s: its sender holds no grant of %s", k, d)
			}
			for _, r := range m.Recipients {
				var del record.Delivery
				if decode(tx.Bucket(bucketDeliveries).Get(deliveryKey(r, m.ID)), &del) != nil {
					continue // reported above
				}
				held := grants.Get(grantKey(d, r, m.ID)) != nil
				if withdrawn := del.State == store.Withdrawn; held == withdrawn {
					fail("message %s: recipient %s (%s) holds a grant of %s: %v", k, r, del.State, d, held)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
		var rec blobRecord
		if err := decode(v, &rec); err != nil {
			fail("blob %s: %w", k, err)
			return nil
		}
		d := string(k)
		if rec.Refs != refs[d] || rec.Open != open[d] {
			fail("blob %s: refs/open %d/%d, messages say %d/%d", d, rec.Refs, rec.Open, refs[d], open[d])
		}
		if info, err := s.blobs.Stat(d); err != nil || info.Present == rec.Gone {
			fail("blob %s: file present %v (%v), gone %v", d, info.Present, err, rec.Gone)
		}
		delete(refs, d)
		return nil
	})
	if err != nil {
		return err
	}
	for d := range refs {
		fail("blob %s: carried by a message, no record", d)
	}
	return tx.Bucket(bucketPending).ForEach(func(k, v []byte) error {
		agency, d, ok := bytes.Cut(k, []byte{0})
		if !ok {
			fail("quota entry %q malformed", k)
			return nil
		}
		rec, err := getBlob(tx, string(d))
		if err != nil || rec == nil || rec.Refs > 0 || grants.Get(grantKey(string(d), certs.AgencyCode(agency), "")) == nil {
			fail("quota entry %q: not an unreferenced blob the agency uploaded", k)
		}
		return nil
	})
}
