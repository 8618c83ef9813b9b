package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"lienthong/certs"

	bolt "go.etcd.io/bbolt"
)

// Bucket names. Keys that join strings use a 0x00 separator (agency codes,
// message ids and events never contain it); sequence numbers are 8-byte
// big-endian so that byte order is numeric order.
var (
	bucketMeta        = []byte("meta")         // "schema" → uint32 version
	bucketMessages    = []byte("messages")     // message id → record.Message (JSON)
	bucketEnvelopes   = []byte("envelopes")    // body seq → envelope bytes (record.Message.BodyKey)
	bucketReports     = []byte("reports")      // body seq → verification report bytes
	bucketDocIDs      = []byte("docids")       // document id \0 message id → nil
	bucketSent        = []byte("sent")         // sender \0 seq → message id
	bucketDeliveries  = []byte("deliveries")   // message id \0 recipient → record.Delivery (JSON)
	bucketQueue       = []byte("queue")        // recipient \0 cursor → message id (pending only)
	bucketStatuses    = []byte("statuses")     // message id \0 recipient \0 seq → record.Status (JSON)
	bucketStatusDedup = []byte("status-dedup") // message id \0 recipient \0 sha256(signed) → seq
	bucketStatusQueue = []byte("status-queue") // sender \0 cursor → statuses key (unacknowledged only)
	bucketReceipts    = []byte("receipts")     // message id \0 event \0 party → record.Receipt (JSON)
	bucketAgencies    = []byte("agencies")     // code → record.Agency (JSON)
	bucketAgencyHist  = []byte("agency-hist")  // code \0 seq → record.AgencyChange (JSON)
	bucketStats       = []byte("stats")        // code → record.Stats (JSON)
	bucketCounters    = []byte("counters")     // counter name → uint64
)

var allBuckets = [][]byte{
	bucketMeta, bucketMessages, bucketEnvelopes, bucketReports, bucketDocIDs, bucketSent,
	bucketDeliveries, bucketQueue, bucketStatuses, bucketStatusDedup, bucketStatusQueue,
	bucketReceipts, bucketAgencies, bucketAgencyHist, bucketStats, bucketCounters,
	bucketLogEntries, bucketLogHashes, bucketLogCheckpoints,
	bucketBlobs, bucketGrants, bucketPending,
}

var keySchema = []byte("schema")

// SchemaVersion is the layout this code reads and writes. Version 2 added
// the blobs' records and grants (issue 14).
const SchemaVersion = 2

// ErrSchema reports a database written by a newer version of the hub, or
// one whose migration is missing.
var ErrSchema = errors.New("unsupported store schema version")

// migrations[v] upgrades a database from schema v to v+1 inside the
// transaction that opens it. Add one whenever SchemaVersion grows.
var migrations = map[uint32]func(tx *bolt.Tx) error{
	1: migrateGrants,
}

// initSchema creates the buckets of a new database or migrates an older
// one, in one write transaction.
func initSchema(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	v := uint32(SchemaVersion)
	if raw := meta.Get(keySchema); raw != nil {
		if len(raw) != 4 {
			return fmt.Errorf("%w: malformed version key", ErrSchema)
		}
		v = binary.BigEndian.Uint32(raw)
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w: database has version %d, this hub reads up to %d", ErrSchema, v, SchemaVersion)
	}
	for ; v < SchemaVersion; v++ {
		m := migrations[v]
		if m == nil {
			return fmt.Errorf("%w: no migration from version %d", ErrSchema, v)
		}
		if err := m(tx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion))
}

func join(parts ...string) []byte {
	n := len(parts) - 1
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

// deliveryKey keys a delivery by message first, so that the deliveries of
// one message share a leaf page: accepting a message to many recipients
// dirties one page of this bucket, not one per recipient.
func deliveryKey(recipient certs.AgencyCode, messageID string) []byte {
	return join(messageID, string(recipient))
}

// seqKey returns prefix \0 seq, or seq alone without a prefix.
func seqKey(seq uint64, prefix ...string) []byte {
	if len(prefix) == 0 {
		return binary.BigEndian.AppendUint64(nil, seq)
	}
	return binary.BigEndian.AppendUint64(append(join(prefix...), 0), seq)
}

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// next increments and returns a named counter.
func next(tx *bolt.Tx, name ...string) (uint64, error) {
	b := tx.Bucket(bucketCounters)
	k := join(name...)
	n := u64(b.Get(k)) + 1
	return n, b.Put(k, binary.BigEndian.AppendUint64(nil, n))
}

func counter(tx *bolt.Tx, name ...string) uint64 {
	return u64(tx.Bucket(bucketCounters).Get(join(name...)))
}
