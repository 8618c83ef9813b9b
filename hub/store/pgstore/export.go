package pgstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
	"lienthong/hub/store/storecopy"
)

// Export and import for package storecopy: the store as a stream of typed
// items, and an empty store filled from one. An import marks the database
// with the table lienthong_import until it ends, and Open refuses a
// database so marked.

var _ storecopy.Sink = (*Store)(nil)

// checkImport refuses a database an import did not finish.
func checkImport(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) error {
	var marked bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('lienthong_import') IS NOT NULL`).Scan(&marked); err != nil {
		return fmt.Errorf("check for an import: %w", err)
	}
	if marked {
		return storecopy.ErrIncomplete
	}
	return nil
}

// Export implements storecopy.Source, from one REPEATABLE READ snapshot.
// A blob's Body reads its pieces one at a time in that snapshot.
func (s *Store) Export(ctx context.Context, emit func(storecopy.Item) error) error {
	err := s.view(ctx, func(tx pgx.Tx) error {
		for _, step := range []func(context.Context, pgx.Tx, func(storecopy.Item) error) error{
			exportCounters, exportDirectory, exportLog, exportBlobs, exportMessages, exportStatuses,
		} {
			if err := step(ctx, tx, emit); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// rowsOf runs sql and calls fn with each row, checking ctx now and then.
func rowsOf(ctx context.Context, tx pgx.Tx, sql string, fn func(pgx.Rows) error) error {
	rows, err := tx.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// recRows decodes the one rec column of each row into a T and emits it.
func recRows[T any](ctx context.Context, tx pgx.Tx, sql string, emit func(storecopy.Item) error, item func(*T) storecopy.Item) error {
	return rowsOf(ctx, tx, sql, func(rows pgx.Rows) error {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return err
		}
		var r T
		if err := decodeRec(raw, &r); err != nil {
			return err
		}
		return emit(item(&r))
	})
}

func exportCounters(ctx context.Context, tx pgx.Tx, emit func(storecopy.Item) error) error {
	var out []storecopy.Counter
	err := rowsOf(ctx, tx, `SELECT name, n FROM counters`, func(rows pgx.Rows) error {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return err
		}
		kind, code, _ := strings.Cut(name, "/")
		switch kind {
		case storecopy.CounterSent, storecopy.CounterQueue, storecopy.CounterStatusQueue, storecopy.CounterAgency:
			out = append(out, storecopy.Counter{Name: kind, Agency: certs.AgencyCode(code), N: uint64(n)})
			return nil
		}
		return fmt.Errorf("unknown counter %q", name)
	})
	if err != nil {
		return err
	}
	slices.SortFunc(out, func(a, b storecopy.Counter) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Agency, b.Agency))
	})
	for _, c := range out {
		if err := emit(c); err != nil {
			return err
		}
	}
	return nil
}

func exportDirectory(ctx context.Context, tx pgx.Tx, emit func(storecopy.Item) error) error {
	if err := recRows(ctx, tx, `SELECT rec FROM agencies ORDER BY code COLLATE "C"`, emit,
		func(r *record.Agency) storecopy.Item { return storecopy.Agency{Rec: *r} }); err != nil {
		return err
	}
	if err := recRows(ctx, tx, `SELECT rec FROM agency_history ORDER BY code COLLATE "C", seq`, emit,
		func(r *record.AgencyChange) storecopy.Item { return storecopy.AgencyChange{Rec: *r} }); err != nil {
		return err
	}
	return rowsOf(ctx, tx, `SELECT agency, rec FROM stats ORDER BY agency COLLATE "C"`, func(rows pgx.Rows) error {
		var agency string
		var raw []byte
		if err := rows.Scan(&agency, &raw); err != nil {
			return err
		}
		it := storecopy.Stats{Agency: certs.AgencyCode(agency)}
		if err := decodeRec(raw, &it.Rec); err != nil {
			return err
		}
		return emit(it)
	})
}

func exportLog(ctx context.Context, tx pgx.Tx, emit func(storecopy.Item) error) error {
	if err := rowsOf(ctx, tx, `SELECT idx, entry FROM log_entries ORDER BY idx`, func(rows pgx.Rows) error {
		var it storecopy.LogEntry
		if err := rows.Scan(&it.Index, &it.Entry); err != nil {
			return err
		}
		return emit(it)
	}); err != nil {
		return err
	}
	if err := rowsOf(ctx, tx, `SELECT idx, hash FROM log_hashes ORDER BY idx`, func(rows pgx.Rows) error {
		var it storecopy.LogHash
		if err := rows.Scan(&it.Index, &it.Hash); err != nil {
			return err
		}
		return emit(it)
	}); err != nil {
		return err
	}
	return rowsOf(ctx, tx, `SELECT size, signed FROM log_checkpoints ORDER BY size`, func(rows pgx.Rows) error {
		var it storecopy.Checkpoint
		if err := rows.Scan(&it.Size, &it.Signed); err != nil {
			return err
		}
		return emit(it)
	})
}

func exportBlobs(ctx context.Context, tx pgx.Tx, emit func(storecopy.Item) error) error {
	// The records first, since a blob's Body queries the transaction,
	// which cannot while a result is open.
	var list []storecopy.Blob
	if err := rowsOf(ctx, tx, `SELECT digest, rec FROM blobs ORDER BY digest COLLATE "C"`, func(rows pgx.Rows) error {
		var it storecopy.Blob
		var raw []byte
		if err := rows.Scan(&it.Digest, &raw); err != nil {
			return err
		}
		if err := decodeRec(raw, &it.Rec); err != nil {
			return err
		}
		list = append(list, it)
		return nil
	}); err != nil {
		return err
	}
	for _, it := range list {
		if !it.Rec.Gone {
			it.Body = func() (io.ReadCloser, error) {
				return &txBlobReader{ctx: ctx, tx: tx, digest: it.Digest}, nil
			}
		}
		if err := emit(it); err != nil {
			return err
		}
	}
	if err := rowsOf(ctx, tx, `SELECT digest, agency, via FROM blob_grants ORDER BY digest COLLATE "C", agency COLLATE "C", via COLLATE "C"`, func(rows pgx.Rows) error {
		var it storecopy.Grant
		if err := rows.Scan(&it.Digest, &it.Agency, &it.Via); err != nil {
			return err
		}
		return emit(it)
	}); err != nil {
		return err
	}
	return rowsOf(ctx, tx, `SELECT agency, digest, size FROM blob_pending ORDER BY agency COLLATE "C", digest COLLATE "C"`, func(rows pgx.Rows) error {
		var it storecopy.Quota
		if err := rows.Scan(&it.Agency, &it.Digest, &it.Size); err != nil {
			return err
		}
		return emit(it)
	})
}

// txBlobReader reads a blob's pieces in order inside a transaction.
type txBlobReader struct {
	ctx    context.Context
	tx     pgx.Tx
	digest string
	next   int64 // offset of the next piece
	piece  []byte
	done   bool
}

func (r *txBlobReader) Read(p []byte) (int, error) {
	for len(r.piece) == 0 {
		if r.done {
			return 0, io.EOF
		}
		var off int64
		err := r.tx.QueryRow(r.ctx, `SELECT off, data FROM blob_chunks WHERE digest = $1 AND off >= $2 ORDER BY off LIMIT 1`,
			r.digest, r.next).Scan(&off, &r.piece)
		if errors.Is(err, pgx.ErrNoRows) {
			r.done = true
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read blob %s: %w", r.digest, err)
		}
		if off != r.next {
			return 0, fmt.Errorf("read blob %s: piece at %d where %d was due", r.digest, off, r.next)
		}
		r.next += int64(len(r.piece))
	}
	n := copy(p, r.piece)
	r.piece = r.piece[n:]
	return n, nil
}

func (r *txBlobReader) Close() error { return nil }

func exportMessages(ctx context.Context, tx pgx.Tx, emit func(storecopy.Item) error) error {
	if err := rowsOf(ctx, tx, `SELECT rec, envelope, report, pending FROM messages ORDER BY id COLLATE "C"`, func(rows pgx.Rows) error {
		var it storecopy.Message
		var raw []byte
		var pending int64
		if err := rows.Scan(&raw, &it.Envelope, &it.Report, &pending); err != nil {
			return err
		}
		if err := decodeRec(raw, &it.Rec); err != nil {
			return err
		}
		if len(it.Report) == 0 {
			it.Report = nil
		}
		it.Rec.BodyKey = 0
		it.Pending = uint64(pending)
		return emit(it)
	}); err != nil {
		return err
	}
	return recRows(ctx, tx, `SELECT rec FROM deliveries ORDER BY msg COLLATE "C", recipient COLLATE "C"`, emit,
		func(r *record.Delivery) storecopy.Item { return storecopy.Delivery{Rec: *r} })
}

func exportStatuses(ctx context.Context, tx pgx.Tx, emit func(storecopy.Item) error) error {
	if err := rowsOf(ctx, tx, `SELECT rec, queued FROM statuses ORDER BY msg COLLATE "C", from_agency COLLATE "C", seq`, func(rows pgx.Rows) error {
		var it storecopy.Status
		var raw []byte
		if err := rows.Scan(&raw, &it.Queued); err != nil {
			return err
		}
		if err := decodeRec(raw, &it.Rec); err != nil {
			return err
		}
		return emit(it)
	}); err != nil {
		return err
	}
	return recRows(ctx, tx, `SELECT rec FROM receipts ORDER BY msg COLLATE "C", event COLLATE "C", party COLLATE "C"`, emit,
		func(r *record.Receipt) storecopy.Item { return storecopy.Receipt{Rec: *r} })
}

// importTables are the tables an import fills; BeginImport requires them
// empty.
var importTables = []string{
	"counters", "messages", "deliveries", "statuses", "receipts", "agencies", "agency_history", "stats",
	"log_entries", "log_hashes", "log_checkpoints", "blobs", "blob_chunks", "blob_grants", "blob_pending",
	"uploads",
}

// BeginImport implements storecopy.Sink: every table of the store must be
// empty and the log of size 0.
func (s *Store) BeginImport(ctx context.Context) (storecopy.Importer, error) {
	err := s.update(ctx, func(tx pgx.Tx) error {
		if err := checkImport(ctx, tx); err != nil {
			return err
		}
		for _, t := range importTables {
			var any bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&any); err != nil {
				return err
			}
			if any {
				return fmt.Errorf("%w: table %s has rows", storecopy.ErrNotEmpty, t)
			}
		}
		if n, err := logSize(ctx, tx); err != nil || n != 0 {
			return errors.Join(err, fmt.Errorf("%w: the log has %d entries", storecopy.ErrNotEmpty, n))
		}
		_, err := tx.Exec(ctx, `CREATE TABLE lienthong_import (started timestamptz NOT NULL DEFAULT now())`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	return &importer{s: s}, nil
}

// importer is the store's storecopy.Importer. It keeps one transaction
// open from the first blob's bytes to the Import that commits them with a
// batch of records: one commit per batch however many blobs it carries.
type importer struct {
	s  *Store
	tx pgx.Tx // nil between batches
}

func (im *importer) begin(ctx context.Context) (pgx.Tx, error) {
	if im.tx == nil {
		tx, err := im.s.pool.Begin(ctx)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		im.tx = tx
	}
	return im.tx, nil
}

// Close implements storecopy.Importer: an open batch is rolled back.
func (im *importer) Close() {
	if im.tx != nil {
		im.tx.Rollback(context.Background())
		im.tx = nil
	}
}

// End implements storecopy.Importer.
func (im *importer) End(ctx context.Context) error {
	if _, err := im.s.pool.Exec(ctx, `DROP TABLE lienthong_import`); err != nil {
		return fmt.Errorf("end import: %w", err)
	}
	return nil
}

// Blob implements storecopy.Importer: the bytes go in pieces of
// ChunkSize, hashed on the way and checked against the digest, in the
// batch's transaction.
func (im *importer) Blob(ctx context.Context, b storecopy.Blob) error {
	tx, err := im.begin(ctx)
	if err != nil {
		return err
	}
	if err := importBlobBytes(ctx, tx, b); err != nil {
		im.Close()
		return err
	}
	return nil
}

// Import implements storecopy.Importer.
func (im *importer) Import(ctx context.Context, batch []storecopy.Item) error {
	tx, err := im.begin(ctx)
	if err != nil {
		return err
	}
	defer im.Close()
	b := &pgx.Batch{}
	logSize := int64(-1)
	for _, it := range batch {
		if err := queueItem(b, it); err != nil {
			return err
		}
		if e, ok := it.(storecopy.LogEntry); ok {
			logSize = e.Index + 1
		}
	}
	if logSize >= 0 {
		b.Queue(`UPDATE log_head SET size = $1 WHERE id = 1`, logSize)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	im.tx = nil
	return nil
}

func queueItem(b *pgx.Batch, it storecopy.Item) error {
	switch it := it.(type) {
	case storecopy.Counter:
		b.Queue(`INSERT INTO counters (name, n) VALUES ($1, $2)`, it.Name+"/"+string(it.Agency), int64(it.N))
	case storecopy.Agency:
		b.Queue(`INSERT INTO agencies (code, rec) VALUES ($1, $2)`, string(it.Rec.Code), encode(&it.Rec))
	case storecopy.AgencyChange:
		b.Queue(`INSERT INTO agency_history (code, seq, rec) VALUES ($1, $2, $3)`, string(it.Rec.Agency.Code), int64(it.Rec.Seq), encode(&it.Rec))
	case storecopy.Stats:
		b.Queue(`INSERT INTO stats (agency, rec) VALUES ($1, $2)`, string(it.Agency), encode(&it.Rec))
	case storecopy.LogEntry:
		b.Queue(`INSERT INTO log_entries (idx, entry) VALUES ($1, $2)`, it.Index, it.Entry)
	case storecopy.LogHash:
		b.Queue(`INSERT INTO log_hashes (idx, hash) VALUES ($1, $2)`, it.Index, it.Hash)
	case storecopy.Checkpoint:
		b.Queue(`INSERT INTO log_checkpoints (size, signed) VALUES ($1, $2)`, it.Size, it.Signed)
	case storecopy.Blob:
		rec := blobRecord(it.Rec)
		b.Queue(`INSERT INTO blobs (digest, rec) VALUES ($1, $2)`, it.Digest, encode(&rec))
	case storecopy.Grant:
		b.Queue(`INSERT INTO blob_grants (digest, agency, via) VALUES ($1, $2, $3)`, it.Digest, string(it.Agency), it.Via)
	case storecopy.Quota:
		b.Queue(`INSERT INTO blob_pending (agency, digest, size) VALUES ($1, $2, $3)`, string(it.Agency), it.Digest, it.Size)
	case storecopy.Message:
		m := &it.Rec
		var report []byte
		if len(it.Report) > 0 {
			report = it.Report
		}
		b.Queue(`INSERT INTO messages (id, sender, seq, doc_id, rec, envelope, report, pending) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			m.ID, string(m.Sender), int64(m.Seq), m.DocumentID, encode(m), it.Envelope, report, int64(it.Pending))
	case storecopy.Delivery:
		d := &it.Rec
		b.Queue(`INSERT INTO deliveries (msg, recipient, cursor, state, rec) VALUES ($1, $2, $3, $4, $5)`,
			d.MessageID, string(d.Recipient), int64(d.Cursor), int(d.State), encode(d))
	case storecopy.Status:
		r := &it.Rec
		sum := sha256.Sum256(r.Signed)
		b.Queue(`INSERT INTO statuses (msg, from_agency, seq, sig_sha, sender, cursor, queued, rec) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			r.MessageID, string(r.From), int64(r.Seq), sum[:], string(r.Sender), int64(r.Cursor), it.Queued, encode(r))
	case storecopy.Receipt:
		r := &it.Rec
		b.Queue(`INSERT INTO receipts (msg, event, party, rec) VALUES ($1, $2, $3, $4)`, r.MessageID, r.Event, string(r.Party), encode(r))
	default:
		return fmt.Errorf("import: unknown item %T", it)
	}
	return nil
}

// importBlobBytes streams a blob's Body into blob_chunks, checking its
// digest and size.
func importBlobBytes(ctx context.Context, tx pgx.Tx, b storecopy.Blob) error {
	r, err := b.Body()
	if err != nil {
		return fmt.Errorf("import blob %s: %w", b.Digest, err)
	}
	defer r.Close()
	h := sha256.New()
	buf := make([]byte, ChunkSize)
	var off int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, err := tx.Exec(ctx, `INSERT INTO blob_chunks (digest, off, data) VALUES ($1, $2, $3)`, b.Digest, off, buf[:n]); err != nil {
				return fmt.Errorf("import blob %s: %w", b.Digest, err)
			}
			off += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return fmt.Errorf("import blob %s: %w", b.Digest, err)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != b.Digest || off != b.Rec.Size {
		return fmt.Errorf("import blob %s: %d bytes hashing to %s: %w", b.Digest, off, got, store.ErrDigestMismatch)
	}
	return nil
}

// AdvanceCursors adds gap to every agency's queue, status-queue and sent
// counter, so that the cursors issued from now on are above any a client
// saw before the store was restored from a backup (see package storecopy).
func (s *Store) AdvanceCursors(ctx context.Context, gap uint64) error {
	err := s.update(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE counters SET n = n + $1
			WHERE name LIKE 'queue/%' OR name LIKE 'status-queue/%' OR name LIKE 'sent/%'`, int64(gap))
		return err
	})
	if err != nil {
		return fmt.Errorf("advance cursors: %w", err)
	}
	return nil
}
