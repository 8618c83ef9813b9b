// Package auditlog is the hub's transparency log as auditors see it: the
// entries (what happened, never what a document says), the checkpoints the
// hub signs, and the proofs that an entry is in the log and that the log
// only grew.
//
// The tree is an append-only Merkle tree with RFC 6962/9162 hashing
// (SHA-256, 0x00 before a leaf, 0x01 before an interior node), built with
// golang.org/x/mod/sumdb/tlog, the implementation behind Go's checksum
// database. It stores every tree node once, at an index tlog defines, so a
// hub can keep the hashes in the same database transaction as the event an
// entry records: nothing committed can be missing from the log after a
// crash, and appending costs no extra fsync. Checkpoints are signed notes
// (golang.org/x/mod/sumdb/note, Ed25519) in the C2SP tlog-checkpoint form:
//
//	<origin>
//	<tree size>
//	<root hash, base64>
//
//	— <key name> <signature>
//
// Why x/mod/sumdb/tlog and not a separate log server (Tessera): the log
// lives inside the hub's own store, written in the event's transaction,
// so there is no outbox to drain and no second durable system to run.
package auditlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"lienthong/shared/strictjson"
)

// Errors auditors decide on.
var (
	ErrMalformed    = errors.New("malformed log data")
	ErrBadProof     = errors.New("proof does not verify")
	ErrBadSignature = errors.New("checkpoint signature does not verify")
	ErrRollback     = errors.New("the log shrank or forked")
)

// Entry kinds.
const (
	KindAccepted  = "accepted"  // a submission was accepted (new, recall, update or replace)
	KindDelivered = "delivered" // a recipient's system stored a document
	KindRefused   = "refused"   // a recipient's system refused a document it could not take
	KindStatus    = "status"    // a recipient (or the sender, for a recall) set a status
	KindDirectory = "directory" // an agency's directory entry changed
)

// Entry is one leaf. It names documents by hashes and agencies by code,
// so the log can be shown to anyone without leaking papers.
type Entry struct {
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
	// MessageID and EnvelopeSHA256 name the document's packet.
	MessageID      string `json:"message_id,omitempty"`
	EnvelopeSHA256 string `json:"envelope_sha256,omitempty"`
	// Business is the business type of an accepted packet: new, recall,
	// update or replace; Targets the message ids it concerns.
	Business string   `json:"business,omitempty"`
	Targets  []string `json:"targets,omitempty"`
	// Sender and Recipients are the parties of an accepted packet.
	Sender     string   `json:"sender,omitempty"`
	Recipients []string `json:"recipients,omitempty"`
	// Due is the document's deadline (yyyy-mm-dd), for the overdue count.
	Due string `json:"due,omitempty"`
	// Agency is the agency a delivery, refusal, status or directory change
	// concerns.
	Agency string `json:"agency,omitempty"`
	// Status is the status code; PacketSHA256 the hash of the signed status
	// packet (or of the directory record).
	Status       string `json:"status,omitempty"`
	PacketSHA256 string `json:"packet_sha256,omitempty"`
}

// Encode returns the entry's canonical bytes: JSON with fields in the
// order above and the time in UTC. The same entry always encodes the same.
func (e *Entry) Encode() []byte {
	c := *e
	c.At = c.At.UTC()
	b, err := json.Marshal(&c)
	if err != nil {
		panic(err) // a struct of strings and a time always marshals
	}
	return b
}

// DecodeEntry reads an entry and checks that it is in canonical form, so
// that one leaf cannot be written two ways.
func DecodeEntry(b []byte) (*Entry, error) {
	var e Entry
	if err := strictjson.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: entry: %v", ErrMalformed, err)
	}
	if e.Kind == "" || e.At.IsZero() {
		return nil, fmt.Errorf("%w: entry without kind or time", ErrMalformed)
	}
	if !bytes.Equal(e.Encode(), b) {
		return nil, fmt.Errorf("%w: entry not in canonical form", ErrMalformed)
	}
	return &e, nil
}

// LeafHash is the RFC 6962 leaf hash of an encoded entry.
func LeafHash(encoded []byte) tlog.Hash { return tlog.RecordHash(encoded) }

// Checkpoint is a tree head: the log's origin (its name), size and root.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Text is the checkpoint's body as it is signed.
func (c Checkpoint) Text() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ParseCheckpoint reads a checkpoint body (without signatures).
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	lines := strings.Split(string(text), "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint must be origin, size and root hash lines", ErrMalformed)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint size %q", ErrMalformed, lines[1])
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint root hash", ErrMalformed)
	}
	c := Checkpoint{Origin: lines[0], Size: size}
	copy(c.Root[:], raw)
	if lines[0] == "" {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint without origin", ErrMalformed)
	}
	return c, nil
}

// Sign returns the checkpoint as a signed note.
func (c Checkpoint) Sign(signer note.Signer) ([]byte, error) {
	return note.Sign(&note.Note{Text: string(c.Text())}, signer)
}

// OpenCheckpoint verifies a signed checkpoint with the hub's verifier key
// (a note verifier key string, "name+hash+key") and checks its origin.
func OpenCheckpoint(signed []byte, verifierKey, origin string) (Checkpoint, error) {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: verifier key: %v", ErrMalformed, err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != origin {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint of log %q, want %q", ErrMalformed, c.Origin, origin)
	}
	return c, nil
}

// InclusionProof proves that the entry at Index is in the tree of Size.
type InclusionProof struct {
	Index  int64       `json:"index"`
	Size   int64       `json:"size"`
	Hashes []tlog.Hash `json:"hashes"`
}

// VerifyInclusion checks that encoded is the entry at p.Index of the tree
// whose head is c.
func VerifyInclusion(encoded []byte, p InclusionProof, c Checkpoint) error {
	if p.Size != c.Size || p.Index < 0 || p.Index >= p.Size {
		return fmt.Errorf("%w: proof for index %d of size %d against a checkpoint of size %d", ErrBadProof, p.Index, p.Size, c.Size)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(p.Hashes), c.Size, c.Root, p.Index, LeafHash(encoded)); err != nil {
		return fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	return nil
}

// ConsistencyProof proves that the tree of size Old is a prefix of the tree
// of size New.
type ConsistencyProof struct {
	Old    int64       `json:"old"`
	New    int64       `json:"new"`
	Hashes []tlog.Hash `json:"hashes"`
}

// VerifyConsistency checks that newer extends older. A newer checkpoint
// that is smaller is ErrRollback; so is one of the same size with another
// root, or a proof that fails: a forked history.
func VerifyConsistency(older, newer Checkpoint, p ConsistencyProof) error {
	switch {
	case older.Origin != newer.Origin:
		return fmt.Errorf("%w: checkpoints of two logs, %q and %q", ErrMalformed, older.Origin, newer.Origin)
	case newer.Size < older.Size:
		return fmt.Errorf("%w: size went from %d down to %d", ErrRollback, older.Size, newer.Size)
	case newer.Size == older.Size:
		if newer.Root != older.Root {
			return fmt.Errorf("%w: two different trees of size %d", ErrRollback, older.Size)
		}
		return nil
	case older.Size == 0:
		return nil
	case p.Old != older.Size || p.New != newer.Size:
		return fmt.Errorf("%w: proof from %d to %d for checkpoints %d and %d", ErrBadProof, p.Old, p.New, older.Size, newer.Size)
	}
	if err := tlog.CheckTree(tlog.TreeProof(p.Hashes), newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("%w: %v", ErrRollback, err)
	}
	return nil
}

// Hashes is where a log keeps its stored hashes, addressed by tlog's
// stored-hash index. The hub implements it over its store; Memory is an
// in-memory one for auditors replaying a log they downloaded.
type Hashes interface {
	tlog.HashReader
}

// Append computes the hashes to store for entry number n (the log's size
// before it). The caller writes them at indexes StoredHashIndex(0, n) on,
// in the same transaction as the event.
func Append(n int64, encoded []byte, r Hashes) ([]tlog.Hash, error) {
	return tlog.StoredHashes(n, encoded, r)
}

// FirstStoredIndex is where Append's first hash goes for entry n.
func FirstStoredIndex(n int64) int64 { return tlog.StoredHashIndex(0, n) }

// Head returns the checkpoint of a log of size n.
func Head(origin string, n int64, r Hashes) (Checkpoint, error) {
	root, err := tlog.TreeHash(n, r)
	if err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{Origin: origin, Size: n, Root: root}, nil
}

// ProveInclusion proves entry index in the tree of size n.
func ProveInclusion(index, n int64, r Hashes) (InclusionProof, error) {
	p, err := tlog.ProveRecord(n, index, r)
	if err != nil {
		return InclusionProof{}, err
	}
	return InclusionProof{Index: index, Size: n, Hashes: p}, nil
}

// ProveConsistency proves that the tree of size old is a prefix of the
// tree of size n.
func ProveConsistency(old, n int64, r Hashes) (ConsistencyProof, error) {
	p, err := tlog.ProveTree(n, old, r)
	if err != nil {
		return ConsistencyProof{}, err
	}
	return ConsistencyProof{Old: old, New: n, Hashes: p}, nil
}

// Memory is a log held in memory: its entries and stored hashes.
type Memory struct {
	entries [][]byte
	hashes  []tlog.Hash
}

// ReadHashes implements tlog.HashReader.
func (m *Memory) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if idx < 0 || idx >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("hash %d not stored (have %d)", idx, len(m.hashes))
		}
		out[i] = m.hashes[idx]
	}
	return out, nil
}

// Append adds an encoded entry and returns its index.
func (m *Memory) Append(encoded []byte) (int64, error) {
	n := int64(len(m.entries))
	hs, err := Append(n, encoded, m)
	if err != nil {
		return 0, err
	}
	m.entries = append(m.entries, slices.Clone(encoded))
	m.hashes = append(m.hashes, hs...)
	return n, nil
}

// Size is the number of entries.
func (m *Memory) Size() int64 { return int64(len(m.entries)) }

// Entry returns the encoded entry at index.
func (m *Memory) Entry(index int64) []byte { return m.entries[index] }

// VerifierKey returns the note verifier key that checks checkpoints signed
// with signerKey (an Ed25519 note signer key, "PRIVATE+KEY+name+hash+key").
func VerifierKey(signerKey string) (string, error) {
	parts := strings.SplitN(strings.TrimSpace(signerKey), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", fmt.Errorf("%w: not a note signer key", ErrMalformed)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", fmt.Errorf("%w: not an Ed25519 note signer key", ErrMalformed)
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}
