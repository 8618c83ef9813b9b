package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
)

// Buckets of the blobs' metadata. The bytes are files (package blobs); a
// blob's record exists only while its bytes are durable, or marked gone.
var (
	bucketBlobs   = []byte("blobs")        // digest → blobRecord (JSON)
	bucketGrants  = []byte("blob-grants")  // digest \0 agency \0 via → nil; via is "" for the agency's own upload, else a message id
	bucketPending = []byte("blob-pending") // agency \0 digest → size: its own uploads that no message carries
)

type blobRecord struct {
	Size    int64     `json:"size"`
	Stored  time.Time `json:"stored,omitzero"`  // the last completed upload of the bytes
	Refs    int       `json:"refs,omitempty"`   // messages carrying it
	Open    int       `json:"open,omitempty"`   // messages carrying it with a delivery still pending
	Settled time.Time `json:"settled,omitzero"` // when Open last fell to 0
	Gone    bool      `json:"gone,omitempty"`   // the retention policy removed the bytes
}

func getBlob(tx *bolt.Tx, digest string) (*blobRecord, error) {
	raw := tx.Bucket(bucketBlobs).Get([]byte(digest))
	if raw == nil {
		return nil, nil
	}
	var r blobRecord
	if err := decode(raw, &r); err != nil {
		return nil, fmt.Errorf("decode blob %s: %w", digest, err)
	}
	return &r, nil
}

func putBlob(tx *bolt.Tx, digest string, r *blobRecord) error {
	return tx.Bucket(bucketBlobs).Put([]byte(digest), encode(r))
}

func grantKey(digest string, agency certs.AgencyCode, via string) []byte {
	return join(digest, string(agency), via)
}

// hasGrant reports whether agency holds any grant of digest.
func hasGrant(tx *bolt.Tx, digest string, agency certs.AgencyCode) bool {
	prefix := join(digest, string(agency), "")
	k, _ := tx.Bucket(bucketGrants).Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// grantUploadTx records that owner uploaded the bytes of info itself.
func grantUploadTx(tx *bolt.Tx, owner certs.AgencyCode, info store.BlobInfo, at time.Time) error {
	rec, err := getBlob(tx, info.Digest)
	if err != nil {
		return err
	}
	if rec == nil {
		rec = &blobRecord{}
	}
	rec.Size, rec.Gone = info.Size, false
	if at.After(rec.Stored) {
		rec.Stored = at
	}
	if err := putBlob(tx, info.Digest, rec); err != nil {
		return err
	}
	if err := tx.Bucket(bucketGrants).Put(grantKey(info.Digest, owner, ""), nil); err != nil {
		return err
	}
	if rec.Refs > 0 {
		return nil
	}
	return tx.Bucket(bucketPending).Put(join(string(owner), info.Digest), binary.BigEndian.AppendUint64(nil, uint64(info.Size)))
}

// checkBlobsTx is Accept's check, in its transaction: every attachment
// not inline is present and the sender holds a grant of it.
func checkBlobsTx(tx *bolt.Tx, sub *store.Submission) (refusal error, err error) {
	for _, d := range sub.BlobDigests {
		if _, ok := sub.Inlined(d); ok {
			continue // its file was written with the digest locked (putInline)
		}
		rec, err := getBlob(tx, d)
		if err != nil {
			return nil, err
		}
		if rec == nil || rec.Gone || !hasGrant(tx, d, sub.Sender) {
			return fmt.Errorf("attachment %s: %w", d, store.ErrMissingBlob), nil
		}
	}
	return nil, nil
}

// referenceBlobsTx counts a new message's references to its attachments
// and grants them to its sender and recipients.
func referenceBlobsTx(tx *bolt.Tx, sub *store.Submission) error {
	seen := map[string]bool{}
	for _, d := range sub.BlobDigests {
		if seen[d] {
			continue
		}
		seen[d] = true
		rec, err := getBlob(tx, d)
		if err != nil {
			return err
		}
		if rec.Refs == 0 {
			// Now referenced: no longer counts against its uploaders' quota.
			if err := forGrants(tx, d, func(agency certs.AgencyCode, via string) error {
				if via != "" {
					return nil
				}
				return tx.Bucket(bucketPending).Delete(join(string(agency), d))
			}); err != nil {
				return err
			}
		}
		rec.Refs++
		rec.Open++
		if err := putBlob(tx, d, rec); err != nil {
			return err
		}
		for _, a := range append([]certs.AgencyCode{sub.Sender}, sub.Recipients...) {
			if err := tx.Bucket(bucketGrants).Put(grantKey(d, a, sub.MessageID), nil); err != nil {
				return err
			}
		}
	}
	if len(seen) == 0 {
		return nil
	}
	return setPending(tx, sub.MessageID, uint64(len(sub.Recipients)))
}

// pendingKey counts, for a message with attachments, its deliveries still
// pending (in bucketCounters), so that an acknowledgement knows in O(1)
// whether it settled the message.
func pendingKey(messageID string) []byte { return join("pending", messageID) }

func setPending(tx *bolt.Tx, messageID string, n uint64) error {
	return tx.Bucket(bucketCounters).Put(pendingKey(messageID), binary.BigEndian.AppendUint64(nil, n))
}

// deliveredTx records that n more deliveries of m are no longer pending
// (acknowledged, refused or withdrawn), and settles m's attachments at at when none
// is left.
func deliveredTx(tx *bolt.Tx, m *record.Message, n uint64, at time.Time) error {
	if len(m.Blobs) == 0 {
		return nil
	}
	left := counter(tx, "pending", m.ID)
	left -= min(n, left)
	if err := setPending(tx, m.ID, left); err != nil {
		return err
	}
	if left > 0 {
		return nil
	}
	return settleTx(tx, m, at)
}

// revokeTx removes the grants recipient held through message m, which a
// recall withdrew from it.
func revokeTx(tx *bolt.Tx, m *record.Message, recipient certs.AgencyCode) error {
	for _, d := range m.Blobs {
		if err := tx.Bucket(bucketGrants).Delete(grantKey(d, recipient, m.ID)); err != nil {
			return err
		}
	}
	return nil
}

// settleTx records that message m has no pending delivery left, at at.
func settleTx(tx *bolt.Tx, m *record.Message, at time.Time) error {
	seen := map[string]bool{}
	for _, d := range m.Blobs {
		if seen[d] {
			continue
		}
		seen[d] = true
		rec, err := getBlob(tx, d)
		if err != nil || rec == nil {
			return err
		}
		if rec.Open > 0 {
			rec.Open--
		}
		if rec.Open == 0 {
			rec.Settled = at
		}
		if err := putBlob(tx, d, rec); err != nil {
			return err
		}
	}
	return nil
}

// pendingCount counts m's deliveries still pending, from the deliveries.
func pendingCount(tx *bolt.Tx, m *record.Message) (int, error) {
	n := 0
	for _, r := range m.Recipients {
		var d record.Delivery
		if err := decode(tx.Bucket(bucketDeliveries).Get(deliveryKey(r, m.ID)), &d); err != nil {
			return 0, fmt.Errorf("decode delivery %s to %s: %w", m.ID, r, err)
		}
		if d.State == store.Pending {
			n++
		}
	}
	return n, nil
}

// forGrants calls each with every grant of digest.
func forGrants(tx *bolt.Tx, digest string, each func(agency certs.AgencyCode, via string) error) error {
	prefix := join(digest, "")
	c := tx.Bucket(bucketGrants).Cursor()
	var keys [][2]string
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		agency, via, ok := bytes.Cut(k[len(prefix):], []byte{0})
		if !ok {
			return fmt.Errorf("malformed grant key %q", k)
		}
		keys = append(keys, [2]string{string(agency), string(via)})
	}
	for _, k := range keys {
		if err := each(certs.AgencyCode(k[0]), k[1]); err != nil {
			return err
		}
	}
	return nil
}

// lockDigest serialises, for one digest, making a blob's record agree with
// its file: an upload's "the file is there, record it" against a
// collection's "the record is gone, remove the file".
func (s *Store) lockDigest(digest string) func() {
	m := &s.digestLocks[digestLockIndex(digest)]
	m.Lock()
	return m.Unlock
}

// digestLockIndex is the lock of s.digestLocks that orders digest.
func digestLockIndex(digest string) int {
	var h byte
	for i := range len(digest) {
		h = h*31 + digest[i]
	}
	return int(h)
}

// putInline writes the files of a submission's inline attachments that
// are not present, and returns with their digests locked (lockDigest), so
// that no collection removes a file before Accept's transaction records
// it: the caller unlocks once it committed. A file written for a
// submission then refused has no record, and is collected as an
// interrupted upload's is.
func (s *Store) putInline(ctx context.Context, inline []store.InlineBlob) (unlock func(), err error) {
	// One lock per digest lock, in their order: two digests may share one.
	var held []int
	for _, b := range inline {
		held = append(held, digestLockIndex(b.Digest))
	}
	slices.Sort(held)
	held = slices.Compact(held)
	for _, i := range held {
		s.digestLocks[i].Lock()
	}
	unlock = func() {
		for _, i := range held {
			s.digestLocks[i].Unlock()
		}
	}
	for _, b := range inline {
		info, err := s.blobs.Stat(b.Digest)
		if err == nil && !info.Present {
			_, err = s.blobs.Put(ctx, b.Digest, bytes.NewReader(b.Data))
		}
		if err != nil {
			unlock()
			return nil, fmt.Errorf("inline attachment %s: %w", b.Digest, err)
		}
	}
	return unlock, nil
}

// recordUpload grants the blob just stored to owner. The file must still
// be there when the record is written: a collection may have removed the
// file this upload found present and deduplicated onto.
func (s *Store) recordUpload(ctx context.Context, owner certs.AgencyCode, info store.BlobInfo, at time.Time) error {
	unlock := s.lockDigest(info.Digest)
	defer unlock()
	now, err := s.blobs.Stat(info.Digest)
	if err != nil {
		return err
	}
	if !now.Present {
		return fmt.Errorf("blob %s was collected while it was uploaded again, upload it again: %w", info.Digest, store.ErrNotFound)
	}
	return s.update(ctx, func(tx *bolt.Tx) error { return grantUploadTx(tx, owner, info, at) })
}

// BlobGranted implements store.Blobs.
func (s *Store) BlobGranted(ctx context.Context, agency certs.AgencyCode, digest string) (bool, error) {
	if err := store.ValidDigest(digest); err != nil {
		return false, err
	}
	var ok bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		ok = hasGrant(tx, digest, agency)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("blob grant: %w", err)
	}
	return ok, nil
}

// UploadUsage implements store.Blobs.
func (s *Store) UploadUsage(ctx context.Context, owner certs.AgencyCode) (store.UploadUsage, error) {
	var u store.UploadUsage
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := join(string(owner), "")
		c := tx.Bucket(bucketPending).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			u.Unreferenced += int64(u64(v))
		}
		return nil
	})
	if err != nil {
		return u, fmt.Errorf("upload usage of %s: %w", owner, err)
	}
	if u.Partial, err = s.blobs.UploadsOf(owner); err != nil {
		return u, fmt.Errorf("upload usage of %s: %w", owner, err)
	}
	return u, nil
}

// UploadCheck implements store.Blobs. bbolt's reads are local and cheap:
// it asks the grant, the blob and the usage in turn.
func (s *Store) UploadCheck(ctx context.Context, agency certs.AgencyCode, digest string) (store.BlobInfo, store.UploadUsage, error) {
	ok, err := s.BlobGranted(ctx, agency, digest)
	if err != nil {
		return store.BlobInfo{}, store.UploadUsage{}, err
	}
	info := store.BlobInfo{Digest: digest}
	if ok {
		if info, err = s.StatBlob(ctx, digest); err != nil {
			return store.BlobInfo{}, store.UploadUsage{}, err
		}
	}
	u, err := s.UploadUsage(ctx, agency)
	if err != nil {
		return store.BlobInfo{}, store.UploadUsage{}, err
	}
	return info, u, nil
}

// GCBlobs implements store.Blobs. It removes the records first, in one
// transaction (an Accept after it finds the blob missing; one before it
// made the blob referenced, and it is kept), then each file whose record
// is still absent or gone.
func (s *Store) GCBlobs(ctx context.Context, now time.Time, unreferenced, retention time.Duration) (store.BlobGC, error) {
	var (
		res     store.BlobGC
		dropped []string
	)
	cutoff := now.Add(-unreferenced)
	err := s.update(ctx, func(tx *bolt.Tx) error {
		res, dropped = store.BlobGC{}, nil
		var expired []string
		err := tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
			var rec blobRecord
			if err := decode(v, &rec); err != nil {
				return fmt.Errorf("decode blob %s: %w", k, err)
			}
			switch {
			case rec.Refs == 0 && rec.Stored.Before(cutoff):
				dropped = append(dropped, string(k))
			case retention > 0 && rec.Refs > 0 && rec.Open == 0 && !rec.Gone && !rec.Settled.IsZero() && rec.Settled.Before(now.Add(-retention)):
				expired = append(expired, string(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, d := range dropped {
			if err := forGrants(tx, d, func(agency certs.AgencyCode, via string) error {
				if err := tx.Bucket(bucketPending).Delete(join(string(agency), d)); err != nil {
					return err
				}
				return tx.Bucket(bucketGrants).Delete(grantKey(d, agency, via))
			}); err != nil {
				return err
			}
			if err := tx.Bucket(bucketBlobs).Delete([]byte(d)); err != nil {
				return err
			}
		}
		for _, d := range expired {
			rec, err := getBlob(tx, d)
			if err != nil {
				return err
			}
			rec.Gone = true
			if err := putBlob(tx, d, rec); err != nil {
				return err
			}
		}
		res.Unreferenced, res.Expired = len(dropped), len(expired)
		return nil
	})
	if err != nil {
		return store.BlobGC{}, fmt.Errorf("gc blobs: %w", err)
	}
	objects, err := s.blobs.Objects()
	if err != nil {
		return res, fmt.Errorf("gc blobs: %w", err)
	}
	// A file without a record is one collected above, or one whose upload
	// never recorded its grant (a crash between the two): the latter only
	// once its file's time is before now-unreferenced too, for its upload
	// may be recording the grant right now.
	collected := map[string]bool{}
	for _, d := range dropped {
		collected[d] = true
	}
	for _, o := range objects {
		removed, err := s.collectFile(ctx, o.Digest, collected[o.Digest] || o.ModTime.Before(cutoff))
		if err != nil {
			return res, fmt.Errorf("gc blobs: %w", err)
		}
		if removed {
			res.Bytes += o.Size
		}
	}
	if res.Unreferenced+res.Expired > 0 || res.Bytes > 0 {
		s.log.Info("collected blobs", "unreferenced", res.Unreferenced, "expired", res.Expired, "bytes", res.Bytes)
	}
	return res, nil
}

// collectFile removes a blob's file if its record is gone (by retention),
// or absent and the file old (collected above, or an upload that never
// recorded its grant).
func (s *Store) collectFile(ctx context.Context, digest string, old bool) (bool, error) {
	unlock := s.lockDigest(digest)
	defer unlock()
	if s.backups.Load() > 0 {
		return false, nil // a backup may be about to copy it; the next collection removes it
	}
	var remove bool
	err := s.view(ctx, func(tx *bolt.Tx) error {
		rec, err := getBlob(tx, digest)
		remove = (rec == nil && old) || (rec != nil && rec.Gone)
		return err
	})
	if err != nil || !remove {
		return false, err
	}
	return true, s.blobs.Remove(digest)
}

// openBlob opens a blob's file, or tells a blob removed by retention
// (store.ErrGone) from one that never was.
func (s *Store) openBlob(ctx context.Context, digest string) (io.ReadSeekCloser, error) {
	f, err := s.blobs.Open(digest)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	var gone bool
	if verr := s.view(ctx, func(tx *bolt.Tx) error {
		rec, err := getBlob(tx, digest)
		gone = rec != nil && rec.Gone
		return err
	}); verr != nil {
		return nil, verr
	}
	if gone {
		return nil, fmt.Errorf("open blob %s: %w", digest, store.ErrGone)
	}
	return nil, err
}

// migrateGrants builds the blobs' records and grants (schema 2) from the
// messages stored before them: every party of a message, but a recipient
// it was withdrawn from, holds a grant of its attachments.
func migrateGrants(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMessages).ForEach(func(k, v []byte) error {
		var m record.Message
		if err := decode(v, &m); err != nil {
			return fmt.Errorf("decode message %s: %w", k, err)
		}
		sub := &store.Submission{MessageID: m.ID, Sender: m.Sender, BlobDigests: m.Blobs}
		var settled time.Time
		for _, r := range m.Recipients {
			var d record.Delivery
			if err := decode(tx.Bucket(bucketDeliveries).Get(deliveryKey(r, m.ID)), &d); err != nil {
				return fmt.Errorf("decode delivery %s to %s: %w", m.ID, r, err)
			}
			if d.State != store.Withdrawn {
				sub.Recipients = append(sub.Recipients, r)
			}
			settled = later(settled, d.AckedAt, d.RefusedAt)
		}
		for _, d := range m.Blobs {
			if rec, err := getBlob(tx, d); err != nil {
				return err
			} else if rec == nil {
				if err := putBlob(tx, d, &blobRecord{}); err != nil {
					return err
				}
			}
		}
		if err := referenceBlobsTx(tx, sub); err != nil {
			return err
		}
		pending, err := pendingCount(tx, &m)
		if err != nil || len(m.Blobs) == 0 {
			return err
		}
		if err := setPending(tx, m.ID, uint64(pending)); err != nil || pending > 0 {
			return err
		}
		if settled.IsZero() {
			settled = m.Received
		}
		return settleTx(tx, &m, settled)
	})
}

// later returns the latest of ts.
func later(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}
