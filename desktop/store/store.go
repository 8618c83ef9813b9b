package store

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout version this package writes. History:
//   - 0: prototype layout, settings in the clear in bucket "settings" (no
//     longer written; migrated).
//   - 1 (2026-11): encrypted records, sort and search indexes.
//   - 2 (2026-12): recall links and the hub's log proofs in buckets of their
//     own instead of settings named after documents (see migrate1to2).
//   - 3 (2026-12): documents set aside as refused, bucket refused.
const SchemaVersion = 3

// Errors callers decide on.
var (
	ErrWrongPassphrase = errors.New("wrong passphrase")
	ErrLocked          = errors.New("store is open in another process")
	ErrNewerSchema     = errors.New("store was written by a newer version")
	ErrCorrupt         = errors.New("store data corrupt")
	ErrNotFound        = errors.New("not found")
	ErrExists          = errors.New("already exists")
	ErrDuplicate       = errors.New("duplicate document")
	ErrHistory         = errors.New("status history is append-only")
	ErrClosed          = errors.New("store closed")
)

// Bucket names. They are part of the file format.
var (
	bucketMeta      = []byte("meta")     // schema version, key ring, counters
	bucketSettings  = []byte("settings") // name → sealed value
	bucketIDs       = []byte("ids")      // message id → seq(8) box(1)
	bucketDocs      = []byte("docs")     // seq → sealed docRecord
	bucketPackets   = []byte("packets")  // seq → sealed envelope wire bytes
	bucketReports   = []byte("reports")  // seq → sealed verification report
	bucketWords     = []byte("words")    // seq → sealed folded search words
	bucketSumm      = []byte("summ")     // seq → summary (clear numbers)
	bucketBlobs     = []byte("blobs")    // blob id → sealed blobRecord
	bucketChunks    = []byte("chunks")   // blob id(16) chunk(4) → sealed bytes
	bucketStaged    = []byte("staged")   // blob id → staging time, blobs no document owns yet
	bucketHistory   = []byte("history")  // seq agencyhash(8) n(4) → sealed statusRecord
	bucketReceipts  = []byte("receipts") // seq n(4) → sealed receipt
	bucketOutbox    = []byte("outbox")   // n(8) → sealed OutboxItem
	bucketDup       = []byte("dup")      // hmac(id or number) → seq
	bucketRegs      = []byte("registers")
	bucketDir       = []byte("directory")  // agency code → agency JSON (public data)
	bucketSearch    = []byte("search")     // hash(8) box(1) seq(8) → nothing
	bucketRecalls   = []byte("recalls")    // seq of a recalled document → sealed message id of its open recall
	bucketProofs    = []byte("proofs")     // seq → sealed log proofs record
	bucketProofsDue = []byte("proofs-due") // seq → sealed message id, documents awaiting log proofs
	bucketRefused   = []byte("refused")    // n(8) → sealed Refusal, documents set aside
	bucketIndex     = map[SortBy][]byte{   // box(1) sortkey seq(8) → flags
		SortNumber:   []byte("ix-number"),
		SortDate:     []byte("ix-date"),
		SortAgency:   []byte("ix-agency"),
		SortSubject:  []byte("ix-subject"),
		SortUrgency:  []byte("ix-urgency"),
		SortStatus:   []byte("ix-status"),
		SortDeadline: []byte("ix-deadline"),
	}
)

var (
	keySchema  = []byte("schema")
	keyKeyring = []byte("keyring")
)

func allBuckets() [][]byte {
	b := [][]byte{bucketMeta, bucketSettings, bucketIDs, bucketDocs, bucketPackets, bucketReports,
		bucketWords, bucketSumm, bucketBlobs, bucketChunks, bucketStaged, bucketHistory, bucketReceipts, bucketOutbox,
		bucketDup, bucketRegs, bucketDir, bucketSearch, bucketRecalls, bucketProofs, bucketProofsDue, bucketRefused}
	for _, s := range sortOrder {
		b = append(b, bucketIndex[s])
	}
	return b
}

// Options tune Open. The zero value is what the desktop uses.
type Options struct {
	// KDF is used when the store is created or its passphrase changed;
	// zero means DefaultKDF. An existing store uses the parameters stored
	// in it.
	KDF KDFParams
	// LockTimeout is how long Open waits for another process to release
	// the file; zero means 100 ms.
	LockTimeout time.Duration
	// Logger receives the store's few log lines; nil discards them.
	Logger *slog.Logger
}

// Store is an open clerk's store. Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	c    *cipher
	log  *slog.Logger
	kdf  KDFParams
	path string
	bulk *bulkLoad // set only inside saveMany's write transaction
}

// Open opens or creates the store at path, unlocking it with passphrase.
func Open(path string, passphrase []byte) (*Store, error) {
	return OpenOptions(path, passphrase, Options{})
}

// OpenOptions is Open with options.
func OpenOptions(path string, passphrase []byte, opts Options) (*Store, error) {
	if opts.KDF == (KDFParams{}) {
		opts.KDF = DefaultKDF
	}
	if err := opts.KDF.Validate(); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 100 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open store %q: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	s := &Store{db: db, log: opts.Logger, kdf: opts.KDF, path: path}
	migrated, err := s.init(passphrase)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %q: %w", path, err)
	}
	if migrated {
		// Freed pages may still hold what an old version kept in the
		// clear: rewrite the file so that nothing of it survives.
		if err := s.compact(opts); err != nil {
			return nil, fmt.Errorf("open store %q: %w", path, err)
		}
	}
	return s, nil
}

// compact rewrites the file into a fresh one and replaces it.
func (s *Store) compact(opts Options) error {
	tmp := s.path + ".compact"
	os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		s.db.Close()
		return fmt.Errorf("compact: %w", err)
	}
	if err := bolt.Compact(dst, s.db, 64<<20); err != nil {
		dst.Close()
		s.db.Close()
		os.Remove(tmp)
		return fmt.Errorf("compact: %w", err)
	}
	if err := dst.Close(); err != nil {
		s.db.Close()
		return fmt.Errorf("compact: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		s.db.Close()
		return fmt.Errorf("compact: %w", err)
	}
	s.db.Close()
	if d, err := os.Open(filepath.Dir(s.path)); err == nil {
		d.Sync()
		d.Close()
	}
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: opts.LockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("reopen after compact: %w", err)
	}
	s.db = db
	return nil
}

// init unlocks the key ring (creating it for a new file), runs the
// migrations and removes staged attachment chunks no document claimed.
func (s *Store) init(passphrase []byte) (migrated bool, err error) {
	// The usual case, an up-to-date store closed cleanly, needs no write.
	ready := false
	err = s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return nil
		}
		v, kr := meta.Get(keySchema), meta.Get(keyKeyring)
		if len(v) != 4 || binary.BigEndian.Uint32(v) != SchemaVersion || kr == nil {
			return nil
		}
		if st := tx.Bucket(bucketStaged); st == nil || st.Stats().KeyN != 0 {
			return nil
		}
		k, err := decodeKeyring(kr)
		if err != nil {
			return err
		}
		dk, err := k.open(passphrase)
		if err != nil {
			return err
		}
		if s.c, err = newCipher(dk); err != nil {
			return err
		}
		ready = true
		return checkBuckets(tx)
	})
	if err != nil || ready {
		return false, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("create meta bucket: %w", err)
		}
		version := -1 // a new, empty file
		if v := meta.Get(keySchema); v != nil {
			if len(v) != 4 {
				return fmt.Errorf("%w: schema version", ErrCorrupt)
			}
			version = int(binary.BigEndian.Uint32(v))
		}
		if version > SchemaVersion {
			return fmt.Errorf("%w: file version %d, this program reads up to %d", ErrNewerSchema, version, SchemaVersion)
		}
		var dataKey []byte
		if kr := meta.Get(keyKeyring); kr != nil {
			k, err := decodeKeyring(kr)
			if err != nil {
				return err
			}
			if dataKey, err = k.open(passphrase); err != nil {
				return err
			}
		} else {
			dataKey = make([]byte, keySize)
			if _, err := rand.Read(dataKey); err != nil {
				return fmt.Errorf("read random data key: %w", err)
			}
			k, err := newKeyring(dataKey, passphrase, s.kdf)
			if err != nil {
				return err
			}
			if err := meta.Put(keyKeyring, k.encode()); err != nil {
				return fmt.Errorf("store key ring: %w", err)
			}
		}
		if s.c, err = newCipher(dataKey); err != nil {
			return err
		}
		if version == -1 {
			version = SchemaVersion
			if err := createBuckets(tx); err != nil {
				return err
			}
		}
		for version < SchemaVersion {
			m := migrations[version]
			if err := m(tx, s.c, s.log); err != nil {
				return fmt.Errorf("migrate schema %d to %d: %w", version, version+1, err)
			}
			s.log.Info("store migrated", "from", version, "to", version+1)
			version++
			migrated = true
		}
		if err := meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, uint32(version))); err != nil {
			return fmt.Errorf("store schema version: %w", err)
		}
		if err := checkBuckets(tx); err != nil {
			return err
		}
		return s.collectStagedBlobs(tx)
	})
	return migrated, err
}

func createBuckets(tx *bolt.Tx) error {
	for _, b := range allBuckets() {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	return nil
}

func checkBuckets(tx *bolt.Tx) error {
	for _, b := range allBuckets() {
		if tx.Bucket(b) == nil {
			return fmt.Errorf("%w: bucket %s missing", ErrCorrupt, b)
		}
	}
	return nil
}

// Close closes the store. Methods called afterwards fail with ErrClosed.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Path returns the file the store lives in.
func (s *Store) Path() string { return s.path }

// ChangePassphrase seals the data key under a new passphrase. Nothing else
// is re-encrypted. The data key stays the same, and a freed page of the
// file may still hold it sealed under the old passphrase: changing a
// passphrase that leaked together with a copy of the file does not protect
// that copy.
func (s *Store) ChangePassphrase(old, new []byte) error {
	return s.update("change passphrase", func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		k, err := decodeKeyring(meta.Get(keyKeyring))
		if err != nil {
			return err
		}
		dk, err := k.open(old)
		if err != nil {
			return err
		}
		nk, err := newKeyring(dk, new, s.kdf)
		if err != nil {
			return err
		}
		return meta.Put(keyKeyring, nk.encode())
	})
}

func (s *Store) update(what string, fn func(tx *bolt.Tx) error) error {
	if err := s.db.Update(fn); err != nil {
		if errors.Is(err, bolt.ErrDatabaseNotOpen) {
			err = ErrClosed
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (s *Store) view(what string, fn func(tx *bolt.Tx) error) error {
	if err := s.db.View(fn); err != nil {
		if errors.Is(err, bolt.ErrDatabaseNotOpen) {
			err = ErrClosed
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// getSealed reads and decrypts bucket[key]; ErrNotFound if absent.
func (s *Store) getSealed(tx *bolt.Tx, bucket, key []byte) ([]byte, error) {
	v := tx.Bucket(bucket).Get(key)
	if v == nil {
		return nil, ErrNotFound
	}
	return s.c.open(bucket, key, v)
}

// appendOnly lists the buckets whose keys grow with a sequence number: their
// pages are filled to 90% instead of bbolt's 50%, since nothing is ever
// inserted before the last key.
var appendOnly = map[string]bool{string(bucketDocs): true, string(bucketPackets): true, string(bucketReports): true,
	string(bucketWords): true, string(bucketSumm): true, string(bucketHistory): true, string(bucketReceipts): true,
	string(bucketOutbox): true}

func (s *Store) putSealed(tx *bolt.Tx, bucket, key, plaintext []byte) error {
	b := tx.Bucket(bucket)
	if appendOnly[string(bucket)] {
		b.FillPercent = 0.9
	}
	if err := b.Put(key, s.c.seal(bucket, key, plaintext)); err != nil {
		return fmt.Errorf("put %s: %w", bucket, err)
	}
	return nil
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
