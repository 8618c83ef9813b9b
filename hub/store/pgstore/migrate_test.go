package pgstore_test

import (
	"bytes"
	"testing"

	"github.com/jackc/pgx/v5"

	"lienthong/hub/store/pgstore"
	"lienthong/hub/store/storetest"
)

// A database of version 1 keeps its partial uploads in upload_chunks;
// opened, it is migrated to the current version, an upload half written
// before resumes and commits, pieces written after are not compressed, and
// signed records are kept in their rows.
func TestMigrateFromVersion1(t *testing.T) {
	url := cluster.NewDatabase(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	data := storetest.RandomBytes(pgstore.ChunkSize + 100)
	d := storetest.Digest(data)
	id := pgstore.UploadID(storetest.Quangninh, d, int64(len(data)))
	half := int64(len(data) / 2)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DROP SCHEMA public CASCADE; CREATE SCHEMA public`, nil},
		{pgstore.SchemaV1, nil},
		{`CREATE TABLE lienthong_schema (version int NOT NULL); INSERT INTO lienthong_schema VALUES (1)`, nil},
		{`INSERT INTO uploads (id, owner, digest, size, "offset", touched) VALUES ($1, $2, $3, $4, $5, now())`,
			[]any{id, string(storetest.Quangninh), d, len(data), half}},
		{`INSERT INTO upload_chunks (id, off, data) VALUES ($1, 0, $2)`, []any{id, data[:half]}},
	} {
		if _, err := conn.Exec(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%.40s: %v", q.sql, err)
		}
	}

	s := openAt(t, url)
	var v int
	if err := conn.QueryRow(ctx, `SELECT version FROM lienthong_schema`).Scan(&v); err != nil || v != pgstore.SchemaVersion {
		t.Fatalf("schema version %d after open (%v), want %d", v, err, pgstore.SchemaVersion)
	}
	up, err := s.BeginUpload(ctx, storetest.Quangninh, d, int64(len(data)))
	if err != nil || up.Offset != half {
		t.Fatalf("resume after migration: offset %d (%v), want %d", up.Offset, err, half)
	}
	if _, err := s.AppendUpload(ctx, up, half, bytes.NewReader(data[half:])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitUpload(ctx, up, storetest.T0); err != nil {
		t.Fatal(err)
	}
	checkBlob(t, s, d, data)
	// Version 3: pieces written from now on are not compressed.
	text := bytes.Repeat([]byte("quyết định "), 10_000)
	if _, err := s.PutBlob(ctx, storetest.Govoffice, storetest.Digest(text), bytes.NewReader(text), storetest.T0); err != nil {
		t.Fatal(err)
	}
	if _, compressed := piecesCompressed(t, url); compressed != 0 {
		t.Fatalf("%d pieces stored compressed after the migration", compressed)
	}
	// Version 4: signed records are kept in their rows.
	if _, untuned := outOfLine(t, url); untuned != 0 {
		t.Fatalf("%d of %v without the page-sized TOAST target after the migration", untuned, wholeTables)
	}
	var left int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM blob_chunks WHERE digest NOT IN ($1, $2)`, d, storetest.Digest(text)).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d pieces besides the blob's after the commit (%v)", left, err)
	}
}
