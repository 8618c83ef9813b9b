package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
	"lienthong/shared/auditlog"
)

// Verify checks the store's invariants, as boltstore's Verify does, and
// returns every violation found (up to 100), joined:
//
//   - the log holds one entry per index below the head's size, every entry
//     decodes, and the stored tree hashes are exactly those its entries
//     make;
//   - every message's record matches its row, its sender's counter is at
//     least its sequence, and it has a delivery per recipient;
//   - every delivery belongs to a stored message that lists its recipient,
//     its columns (cursor, state) match its record, its queue's counter is
//     at least its cursor;
//   - every status names a stored message and a recipient of it, its
//     sender's status counter is at least its cursor; every receipt names
//     a stored message;
//   - the statistics equal what the records say (sent, received, acked,
//     withdrawn);
//   - every attachment of a message has a blob record counting the
//     messages that carry it and those still pending, and a message's
//     pending column counts its pending deliveries; the sender and every
//     recipient not withdrawn hold a grant through the message, a
//     withdrawn one does not; quota entries name unreferenced blobs their
//     agency uploaded;
//   - every blob record not removed by the retention has its pieces, from
//     offset 0 without gap or overlap, at most ChunkSize each, as many
//     bytes as it says, hashing to its digest; a removed one has none, and
//     no piece lacks a record.
//
// It reads one snapshot (REPEATABLE READ) and every byte of every blob, so
// it takes a while on a large store: it is meant for tests and an
// operator's check.
func (s *Store) Verify(ctx context.Context) error {
	var errs []error
	fail := func(format string, args ...any) {
		if len(errs) < 100 {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	err := s.view(ctx, func(tx pgx.Tx) error {
		errs = errs[:0]
		return errors.Join(
			verifyLog(ctx, tx, fail),
			verifyMessages(ctx, tx, fail),
			verifyBlobs(ctx, tx, fail),
		)
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
func verifyLog(ctx context.Context, tx dbtx, fail func(string, ...any)) error {
	size, err := logSize(ctx, tx)
	if err != nil {
		return err
	}
	var entries, hashes, first, last int64
	if err := tx.QueryRow(ctx, `SELECT count(*), coalesce(min(idx), 0), coalesce(max(idx), -1) FROM log_entries`).Scan(&entries, &first, &last); err != nil {
		return err
	}
	if entries != size || first != 0 || last != size-1 {
		fail("log: %d entries (indexes %d to %d) for a size of %d", entries, first, last, size)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM log_hashes`).Scan(&hashes); err != nil {
		return err
	}
	if want := tlog.StoredHashCount(size); hashes != want {
		fail("log: %d stored hashes, want %d", hashes, want)
	}
	rebuilt := &auditlog.Memory{}
	rows, err := tx.Query(ctx, `SELECT idx, entry FROM log_entries WHERE idx < $1 ORDER BY idx`, size)
	if err != nil {
		return err
	}
	next := int64(0)
	for rows.Next() {
		var idx int64
		var raw []byte
		if err := rows.Scan(&idx, &raw); err != nil {
			rows.Close()
			return err
		}
		if idx != next {
			rows.Close()
			fail("log: entry %d missing", next)
			return nil
		}
		next++
		if _, err := auditlog.DecodeEntry(raw); err != nil {
			fail("log: entry %d: %v", idx, err)
		}
		if _, err := rebuilt.Append(raw); err != nil {
			rows.Close()
			fail("log: entry %d: %v", idx, err)
			return nil
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if next != size {
		return nil // reported above
	}
	count := tlog.StoredHashCount(size)
	for from := int64(0); from < count; from += 1024 {
		batch := make([]int64, 0, 1024)
		for j := from; j < min(from+1024, count); j++ {
			batch = append(batch, j)
		}
		want, err := rebuilt.ReadHashes(batch)
		if err != nil {
			return err
		}
		got, err := readHashes(ctx, tx, batch)
		if err != nil {
			fail("log: hashes from %d: %v", from, err)
			return nil
		}
		for k := range want {
			if want[k] != got[k] {
				fail("log: stored hash %d does not match the entries", batch[k])
				return nil
			}
		}
	}
	return nil
}

// counts are an agency's statistics as the records say.
type counts struct{ sent, received, acked, withdrawn uint64 }

// verifyMessages checks messages, deliveries, statuses, receipts and
// statistics against each other.
func verifyMessages(ctx context.Context, tx dbtx, fail func(string, ...any)) error {
	want := map[string]*counts{}
	cnt := func(a string) *counts {
		if want[a] == nil {
			want[a] = &counts{}
		}
		return want[a]
	}
	ctr := func(name string) uint64 {
		n, err := counter(ctx, tx, name)
		if err != nil {
			fail("counter %s: %v", name, err)
		}
		return n
	}
	msgs := map[string]*record.Message{}
	rows, err := tx.Query(ctx, `SELECT id, sender, seq, rec, pending FROM messages`)
	if err != nil {
		return err
	}
	type row struct {
		id, sender string
		seq        int64
		raw        []byte
		pending    int
	}
	all, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (r row, err error) {
		return r, row.Scan(&r.id, &r.sender, &r.seq, &r.raw, &r.pending)
	})
	if err != nil {
		return err
	}
	pendingCol := map[string]int{}
	for _, r := range all {
		var m record.Message
		if err := decodeRec(r.raw, &m); err != nil {
			fail("message %s: %v", r.id, err)
			continue
		}
		if m.ID != r.id || string(m.Sender) != r.sender || int64(m.Seq) != r.seq {
			fail("message %s: record says id %s, sender %s, seq %d; row %s, %d", r.id, m.ID, m.Sender, m.Seq, r.sender, r.seq)
		}
		msgs[r.id], pendingCol[r.id] = &m, r.pending
		cnt(string(m.Sender)).sent++
		if m.Seq > ctr("sent/"+string(m.Sender)) {
			fail("message %s: sent cursor %d beyond counter", r.id, m.Seq)
		}
	}
	type delKey struct{ msg, recipient string }
	dels := map[delKey]*record.Delivery{}
	rows, err = tx.Query(ctx, `SELECT msg, recipient, cursor, state, rec FROM deliveries`)
	if err != nil {
		return err
	}
	type drow struct {
		msg, recipient string
		cursor         int64
		state          int
		raw            []byte
	}
	drows, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (r drow, err error) {
		return r, row.Scan(&r.msg, &r.recipient, &r.cursor, &r.state, &r.raw)
	})
	if err != nil {
		return err
	}
	for _, r := range drows {
		var d record.Delivery
		if err := decodeRec(r.raw, &d); err != nil {
			fail("delivery %s to %s: %v", r.msg, r.recipient, err)
			continue
		}
		if d.MessageID != r.msg || string(d.Recipient) != r.recipient || int64(d.Cursor) != r.cursor || int(d.State) != r.state {
			fail("delivery %s to %s: record says %s to %s, cursor %d, state %d; row cursor %d, state %d",
				r.msg, r.recipient, d.MessageID, d.Recipient, d.Cursor, d.State, r.cursor, r.state)
		}
		dels[delKey{r.msg, r.recipient}] = &d
		m := msgs[r.msg]
		if m == nil {
			fail("delivery %s to %s: no message", r.msg, r.recipient)
			continue
		}
		listed := false
		for _, rc := range m.Recipients {
			listed = listed || string(rc) == r.recipient
		}
		if !listed {
			fail("delivery %s to %s: not a recipient of the message", r.msg, r.recipient)
			continue
		}
		if d.Cursor > ctr("queue/"+r.recipient) {
			fail("delivery %s to %s: cursor %d beyond counter", r.msg, r.recipient, d.Cursor)
		}
		c := cnt(r.recipient)
		c.received++
		switch d.State {
		case store.Pending, store.Refused:
		case store.Acked:
			c.acked++
		case store.Withdrawn:
			c.withdrawn++
		default:
			fail("delivery %s to %s: state %d", r.msg, r.recipient, d.State)
		}
	}
	for id, m := range msgs {
		pending := 0
		for _, r := range m.Recipients {
			d := dels[delKey{id, string(r)}]
			if d == nil {
				fail("message %s: no delivery to %s", id, r)
				continue
			}
			if d.State == store.Pending {
				pending++
			}
		}
		if len(m.Blobs) == 0 {
			pending = 0
		}
		if pendingCol[id] != pending {
			fail("message %s: pending column %d, deliveries say %d", id, pendingCol[id], pending)
		}
	}
	if err := verifyStatuses(ctx, tx, msgs, func(msg, from string) bool { return dels[delKey{msg, from}] != nil }, ctr, fail); err != nil {
		return err
	}
	rows, err = tx.Query(ctx, `SELECT agency, rec FROM stats`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var agency string
		var raw []byte
		if err := rows.Scan(&agency, &raw); err != nil {
			return err
		}
		var st record.Stats
		if err := decodeRec(raw, &st); err != nil {
			fail("stats of %s: %v", agency, err)
			continue
		}
		c := cnt(agency)
		if st.Sent != c.sent || st.Received != c.received || st.Acked != c.acked || st.Withdrawn != c.withdrawn {
			fail("stats of %s: sent/received/acked/withdrawn %d/%d/%d/%d, records say %d/%d/%d/%d", agency,
				st.Sent, st.Received, st.Acked, st.Withdrawn, c.sent, c.received, c.acked, c.withdrawn)
		}
	}
	return rows.Err()
}

// verifyStatuses checks that statuses and receipts name stored messages,
// a status a recipient of its message, and its cursor within its
// counter.
func verifyStatuses(ctx context.Context, tx dbtx, msgs map[string]*record.Message, recipient func(msg, from string) bool,
	ctr func(string) uint64, fail func(string, ...any)) error {
	rows, err := tx.Query(ctx, `SELECT msg, from_agency, sender, cursor FROM statuses`)
	if err != nil {
		return err
	}
	type srow struct {
		msg, from, sender string
		cursor            int64
	}
	all, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (r srow, err error) {
		return r, row.Scan(&r.msg, &r.from, &r.sender, &r.cursor)
	})
	if err != nil {
		return err
	}
	for _, r := range all {
		m := msgs[r.msg]
		switch {
		case m == nil:
			fail("status of %s from %s: no message", r.msg, r.from)
		case string(m.Sender) != r.sender:
			fail("status of %s from %s: queued for %s, the message is from %s", r.msg, r.from, r.sender, m.Sender)
		case !recipient(r.msg, r.from):
			fail("status of %s from %s: not a recipient", r.msg, r.from)
		}
		if uint64(r.cursor) > ctr("status-queue/"+r.sender) {
			fail("status of %s from %s: cursor %d beyond counter", r.msg, r.from, r.cursor)
		}
	}
	rows, err = tx.Query(ctx, `SELECT DISTINCT msg FROM receipts`)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, id := range ids {
		if msgs[id] == nil {
			fail("receipts of %s: no message", id)
		}
	}
	return nil
}

// verifyBlobs checks the blobs' records, pieces and grants against the
// messages.
func verifyBlobs(ctx context.Context, tx dbtx, fail func(string, ...any)) error {
	type grant struct{ digest, agency, via string }
	grants := map[grant]bool{}
	rows, err := tx.Query(ctx, `SELECT digest, agency, via FROM blob_grants`)
	if err != nil {
		return err
	}
	var g grant
	if _, err := pgx.ForEachRow(rows, []any{&g.digest, &g.agency, &g.via}, func() error {
		grants[g] = true
		return nil
	}); err != nil {
		return err
	}
	refs, open := map[string]int{}, map[string]int{}
	err = forRecs(ctx, tx, func(m *record.Message) error {
		pending := false
		states := map[string]store.DeliveryState{}
		for _, r := range m.Recipients {
			d, found, err := getDelivery(ctx, tx, r, m.ID)
			if err != nil || !found {
				continue // reported with the messages
			}
			states[string(r)] = d.State
			pending = pending || d.State == store.Pending
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
			if !grants[grant{d, string(m.Sender), m.ID}] {
				fail("message %s: its sender holds no grant of %s", m.ID, d)
			}
			for r, state := range states {
				held := grants[grant{d, r, m.ID}]
				if withdrawn := state == store.Withdrawn; held == withdrawn {
					fail("message %s: recipient %s (%s) holds a grant of %s: %v", m.ID, r, state, d, held)
				}
			}
		}
		return nil
	}, `SELECT rec FROM messages`)
	if err != nil {
		return err
	}
	recs := map[string]*blobRecord{}
	if err := forRecsKeyed(ctx, tx, func(d string, rec *blobRecord) { recs[d] = rec }); err != nil {
		return err
	}
	for d, rec := range recs {
		if rec.Refs != refs[d] || rec.Open != open[d] {
			fail("blob %s: refs/open %d/%d, messages say %d/%d", d, rec.Refs, rec.Open, refs[d], open[d])
		}
		if err := verifyPieces(ctx, tx, d, rec, fail); err != nil {
			return err
		}
		delete(refs, d)
	}
	for d := range refs {
		fail("blob %s: carried by a message, no record", d)
	}
	rows, err = tx.Query(ctx, `SELECT DISTINCT digest FROM blob_chunks`)
	if err != nil {
		return err
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	rows, err = tx.Query(ctx, `SELECT id FROM uploads`)
	if err != nil {
		return err
	}
	uploads, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	partial := make(map[string]bool, len(uploads))
	for _, id := range uploads {
		partial[uploadKey(id)] = true
	}
	for _, d := range stored {
		switch {
		case strings.HasPrefix(d, uploadKeyPrefix):
			if !partial[d] {
				fail("%s: pieces without an upload", d)
			}
		case recs[d] == nil:
			fail("blob %s: pieces without a record", d)
		}
	}
	rows, err = tx.Query(ctx, `SELECT agency, digest FROM blob_pending`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var agency, d string
		if err := rows.Scan(&agency, &d); err != nil {
			return err
		}
		if rec := recs[d]; rec == nil || rec.Refs > 0 || !grants[grant{d, agency, ""}] {
			fail("quota entry of %s for %s: not an unreferenced blob the agency uploaded", agency, d)
		}
	}
	return rows.Err()
}

// verifyPieces reads the pieces of blob d in order and checks them
// against its record.
func verifyPieces(ctx context.Context, tx dbtx, d string, rec *blobRecord, fail func(string, ...any)) error {
	rows, err := tx.Query(ctx, `SELECT off, data FROM blob_chunks WHERE digest = $1 ORDER BY off`, d)
	if err != nil {
		return err
	}
	defer rows.Close()
	h := sha256.New()
	var at int64
	pieces, bad := 0, false
	for rows.Next() {
		var off int64
		var data []byte
		if err := rows.Scan(&off, &data); err != nil {
			return err
		}
		pieces++
		if off != at || len(data) == 0 || len(data) > ChunkSize {
			bad = true
		}
		h.Write(data)
		at = off + int64(len(data))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	switch {
	case rec.Gone && pieces > 0:
		fail("blob %s: removed by the retention, %d pieces left", d, pieces)
	case rec.Gone:
	case bad:
		fail("blob %s: pieces with a gap, an overlap or a bad size", d)
	case at != rec.Size:
		fail("blob %s: pieces hold %d bytes, the record says %d", d, at, rec.Size)
	case hex.EncodeToString(h.Sum(nil)) != d:
		fail("blob %s: pieces hash to %x", d, h.Sum(nil))
	}
	return nil
}
