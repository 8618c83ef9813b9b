package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SchemaVersion is the layout this code reads and writes.
//
// History:
//   - 1: the first layout (schemaV1).
//   - 2: the pieces of partial uploads live in blob_chunks under
//     uploadKey(id), so that committing an upload re-keys them with one
//     UPDATE instead of copying their bytes; upload_chunks is gone.
//   - 3: blob_chunks.data is stored without compression (STORAGE
//     EXTERNAL): attachments are signed PDFs, whose streams are
//     compressed already, and TOAST's compression ran over every piece
//     before keeping it whole (pglz gives up only at the end of a piece
//     that began with compressible text, as a PDF does).
//   - 4: the rows of messages, receipts and statuses stay whole in their
//     table up to a page (toast_tuple_target 8160) instead of 2 KB: a
//     signed receipt or status is about 4.8 KB and a packet 4.3 KB, which
//     TOAST tried to compress, failed to shrink (signatures and
//     certificates), and moved to its own table, an insert and an index
//     entry more for each, and a lookup more for each read.
const SchemaVersion = 4

// ErrSchema reports a database written by a newer version of the hub.
var ErrSchema = errors.New("unsupported store schema version")

// Records are JSON in bytea columns (rec), as in boltstore; the columns
// beside them are what the queries select and order on.
const schemaV1 = `
CREATE TABLE counters (name text PRIMARY KEY, n bigint NOT NULL);
CREATE TABLE messages (
	id text PRIMARY KEY, sender text NOT NULL, seq bigint NOT NULL, doc_id text NOT NULL,
	rec bytea NOT NULL, envelope bytea NOT NULL, report bytea,
	pending int NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX messages_sent ON messages (sender, seq);
CREATE INDEX messages_doc ON messages (doc_id) WHERE doc_id <> '';
CREATE TABLE deliveries (
	msg text NOT NULL, recipient text NOT NULL, cursor bigint NOT NULL, state int NOT NULL,
	rec bytea NOT NULL, PRIMARY KEY (msg, recipient));
CREATE UNIQUE INDEX deliveries_queue ON deliveries (recipient, cursor);
CREATE TABLE statuses (
	msg text NOT NULL, from_agency text NOT NULL, seq bigint NOT NULL, sig_sha bytea NOT NULL,
	sender text NOT NULL, cursor bigint NOT NULL, queued boolean NOT NULL, rec bytea NOT NULL,
	PRIMARY KEY (msg, from_agency, seq), UNIQUE (msg, from_agency, sig_sha));
CREATE UNIQUE INDEX statuses_queue ON statuses (sender, cursor);
CREATE TABLE receipts (msg text NOT NULL, event text NOT NULL, party text NOT NULL, rec bytea NOT NULL,
	PRIMARY KEY (msg, event, party));
CREATE TABLE agencies (code text PRIMARY KEY, rec bytea NOT NULL);
CREATE TABLE agency_history (code text NOT NULL, seq bigint NOT NULL, rec bytea NOT NULL, PRIMARY KEY (code, seq));
CREATE TABLE stats (agency text PRIMARY KEY, rec bytea NOT NULL);
CREATE TABLE log_head (id int PRIMARY KEY CHECK (id = 1), size bigint NOT NULL);
INSERT INTO log_head VALUES (1, 0);
CREATE TABLE log_entries (idx bigint PRIMARY KEY, entry bytea NOT NULL);
CREATE TABLE log_hashes (idx bigint PRIMARY KEY, hash bytea NOT NULL);
CREATE TABLE log_checkpoints (size bigint PRIMARY KEY, signed bytea NOT NULL);
CREATE TABLE blobs (digest text PRIMARY KEY, rec bytea NOT NULL);
CREATE TABLE blob_chunks (digest text NOT NULL, off bigint NOT NULL, data bytea NOT NULL, PRIMARY KEY (digest, off));
CREATE TABLE blob_grants (digest text NOT NULL, agency text NOT NULL, via text NOT NULL, PRIMARY KEY (digest, agency, via));
CREATE TABLE blob_pending (agency text NOT NULL, digest text NOT NULL, size bigint NOT NULL, PRIMARY KEY (agency, digest));
CREATE TABLE uploads (
	id text PRIMARY KEY, owner text NOT NULL, digest text NOT NULL, size bigint NOT NULL,
	"offset" bigint NOT NULL, touched timestamptz NOT NULL);
CREATE INDEX uploads_owner ON uploads (owner);
CREATE TABLE upload_chunks (id text NOT NULL, off bigint NOT NULL, data bytea NOT NULL, PRIMARY KEY (id, off));
`

// migrations[v] moves a database of version v to version v+1, in the
// transaction that records the new version. A new database is created at
// version 1 and moved through every step.
var migrations = map[int]string{
	1: `INSERT INTO blob_chunks (digest, off, data) SELECT '` + uploadKeyPrefix + `' || id, off, data FROM upload_chunks;
		DROP TABLE upload_chunks;`,
	2: `ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;`,
	3: `ALTER TABLE messages SET (toast_tuple_target = 8160);
		ALTER TABLE receipts SET (toast_tuple_target = 8160);
		ALTER TABLE statuses SET (toast_tuple_target = 8160);`,
}

// Migrate creates the schema of an empty database, or checks that an
// existing one is a version this code reads. Concurrent callers serialise
// on an advisory lock.
func Migrate(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer conn.Close(ctx)
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7152024015)`); err != nil {
			return fmt.Errorf("open store: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS lienthong_schema (version int NOT NULL)`); err != nil {
			return fmt.Errorf("open store: %w", err)
		}
		var v int
		err := tx.QueryRow(ctx, `SELECT version FROM lienthong_schema`).Scan(&v)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			if _, err := tx.Exec(ctx, schemaV1); err != nil {
				return fmt.Errorf("open store: create schema: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO lienthong_schema VALUES (1)`); err != nil {
				return fmt.Errorf("open store: create schema: %w", err)
			}
			v = 1
		case err != nil:
			return fmt.Errorf("open store: %w", err)
		case v > SchemaVersion:
			return fmt.Errorf("open store: %w: database has version %d, this hub reads up to %d", ErrSchema, v, SchemaVersion)
		}
		for ; v < SchemaVersion; v++ {
			step, ok := migrations[v]
			if !ok {
				return fmt.Errorf("open store: %w: no migration from version %d", ErrSchema, v)
			}
			if _, err := tx.Exec(ctx, step); err != nil {
				return fmt.Errorf("open store: migrate from version %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE lienthong_schema SET version = $1`, v+1); err != nil {
				return fmt.Errorf("open store: migrate from version %d: %w", v, err)
			}
		}
		return nil
	})
}
