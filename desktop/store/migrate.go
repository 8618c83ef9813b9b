package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	bolt "go.etcd.io/bbolt"
)

// migrations[v] turns a version v file into version v+1. Open runs the
// steps from the file's version up to SchemaVersion in one write
// transaction, together with the new version number, so a crash or a
// failing step leaves the file as it was; the version number says which
// steps have run.
var migrations = map[int]func(tx *bolt.Tx, c *cipher, log *slog.Logger) error{
	0: migrate0to1,
	1: migrate1to2,
	2: migrate2to3,
}

// migrate2to3 creates the bucket of documents set aside as refused.
func migrate2to3(tx *bolt.Tx, _ *cipher, _ *slog.Logger) error {
	if _, err := tx.CreateBucketIfNotExists(bucketRefused); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketRefused, err)
	}
	return nil
}

// migrate0to1 encrypts the prototype's clear settings and creates the
// version 1 buckets.
func migrate0to1(tx *bolt.Tx, c *cipher, _ *slog.Logger) error {
	old := map[string][]byte{}
	if b := tx.Bucket(bucketSettings); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			old[string(k)] = append([]byte(nil), v...)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketSettings); err != nil {
			return fmt.Errorf("drop clear settings: %w", err)
		}
	}
	if err := createBuckets(tx); err != nil {
		return err
	}
	b := tx.Bucket(bucketSettings)
	for k, v := range old {
		if err := b.Put([]byte(k), c.seal(bucketSettings, []byte(k), v)); err != nil {
			return fmt.Errorf("migrate setting: %w", err)
		}
	}
	return nil
}

// The settings in which version 1 kept, under names made from message ids,
// what the clerk's core knew of recalls and log proofs.
const (
	v1RecallOf      = "recall_of:"     // + recalled document: the id of its open recall
	v1ProofPrefix   = "proof/"         // + document: its log proofs record (JSON)
	v1ProofsPending = "proofs-pending" // JSON list of the documents awaiting log proofs
)

// migrate1to2 moves recall links and log proofs from settings into the
// buckets recalls, proofs and proofs-due, keyed by the document's sequence
// number, and deletes the settings. Links and proofs of a document the
// store does not hold could not be reached and are dropped. A value that
// fails to decrypt fails the migration: it is not dropped unseen. Run again
// on its own output, it changes nothing.
func migrate1to2(tx *bolt.Tx, c *cipher, log *slog.Logger) error {
	for _, name := range [][]byte{bucketRecalls, bucketProofs, bucketProofsDue} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	settings := tx.Bucket(bucketSettings)
	type moved struct {
		setting []byte
		bucket  []byte
		id      string // the document the setting is about
		value   []byte
	}
	var todo []moved
	var pending []byte
	err := settings.ForEach(func(k, v []byte) error {
		var bucket []byte
		var id string
		switch {
		case bytes.HasPrefix(k, []byte(v1RecallOf)):
			bucket, id = bucketRecalls, string(k[len(v1RecallOf):])
		case bytes.HasPrefix(k, []byte(v1ProofPrefix)):
			bucket, id = bucketProofs, string(k[len(v1ProofPrefix):])
		case string(k) == v1ProofsPending:
		default:
			return nil
		}
		pt, err := c.open(bucketSettings, k, v)
		if err != nil {
			return fmt.Errorf("setting %s: %w", k, err)
		}
		if bucket == nil {
			pending = pt
		}
		todo = append(todo, moved{setting: append([]byte(nil), k...), bucket: bucket, id: id, value: pt})
		return nil
	})
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		var ids []string
		if err := json.Unmarshal(pending, &ids); err != nil {
			return fmt.Errorf("%w: setting %s: %w", ErrCorrupt, v1ProofsPending, err)
		}
		for _, id := range ids {
			todo = append(todo, moved{bucket: bucketProofsDue, id: id, value: []byte(id)})
		}
	}
	dropped := 0
	for _, m := range todo {
		if m.setting != nil {
			if err := settings.Delete(m.setting); err != nil {
				return err
			}
		}
		if m.bucket == nil {
			continue // the pending list itself, moved entry by entry
		}
		seq, _, err := lookup(tx, m.id)
		if errors.Is(err, ErrNotFound) {
			dropped++
			continue
		}
		if err != nil {
			return err
		}
		key := u64(seq)
		if err := tx.Bucket(m.bucket).Put(key, c.seal(m.bucket, key, m.value)); err != nil {
			return fmt.Errorf("put %s: %w", m.bucket, err)
		}
	}
	if dropped > 0 {
		log.Warn("store migration dropped links and proofs of documents it does not hold", "count", dropped)
	}
	return nil
}
