package pgstore_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"lienthong/hub/store"
	"lienthong/hub/store/pgstore"
	st "lienthong/hub/store/storetest"
)

// verifyFixture fills a fresh store with a message carrying a blob of
// three pieces to two recipients, one of whom acknowledged it (a receipt,
// a status), and a message without attachment; it returns the store, the
// blob's digest and the first message's id.
func verifyFixture(t *testing.T) (s *pgstore.Store, digest, msg string) {
	t.Helper()
	ctx := context.Background()
	s = openAt(t, cluster.NewDatabase(t)).Store
	blob := st.RandomBytes(2*pgstore.ChunkSize + 10)
	digest = st.Digest(blob)
	if _, err := s.PutBlob(ctx, st.Quangninh, digest, bytes.NewReader(blob), st.T0); err != nil {
		t.Fatal(err)
	}
	sub := st.NewSubmission(st.Quangninh, 200, st.Govoffice, st.Nghean)
	sub.BlobDigests = []string{digest}
	if _, _, err := s.Accept(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}
	seal := func(event string) store.Seal {
		return func(int64) (*store.Receipt, error) {
			return &store.Receipt{MessageID: sub.MessageID, Event: event, Party: st.Govoffice, At: st.T0, Signed: []byte("signed")}, nil
		}
	}
	if _, _, err := s.Ack(ctx, st.Govoffice, sub.MessageID, "", st.T0, seal("delivered")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Accept(ctx, st.NewSubmission(st.Nghean, 200, st.Caobang), nil); err != nil {
		t.Fatal(err)
	}
	// An upload no message carries yet counts against its uploader.
	other := st.RandomBytes(100)
	if _, err := s.PutBlob(ctx, st.Caobang, st.Digest(other), bytes.NewReader(other), st.T0); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(ctx); err != nil {
		t.Fatalf("the fixture: %v", err)
	}
	return s, digest, sub.MessageID
}

// TestVerify breaks each property Verify checks, through SQL, and sees it
// reported.
func TestVerify(t *testing.T) {
	jsonSet := func(table, key, field, value string) string {
		return `UPDATE ` + table + ` SET rec = convert_to(jsonb_set(convert_from(rec, 'UTF8')::jsonb, '{` + field + `}', '` +
			value + `')::text, 'UTF8') WHERE ` + key
	}
	tests := []struct {
		name string
		sql  string // $1 is the blob's digest, $2 the first message's id, when used
		want string
	}{
		{"a stored hash changed", `UPDATE log_hashes SET hash = sha256(hash) WHERE idx = 1`, "stored hash 1 does not match"},
		{"an entry changed", `UPDATE log_entries SET entry = (SELECT entry FROM log_entries WHERE idx = 0) WHERE idx = 1`, "does not match the entries"},
		{"an entry missing", `DELETE FROM log_entries WHERE idx = 1`, "entry 1 missing"},
		{"an entry that does not decode", `UPDATE log_entries SET entry = '\x00' WHERE idx = 2`, "log: entry 2"},
		{"the head beyond the entries", `UPDATE log_head SET size = size + 1`, "entries (indexes 0 to 3) for a size of 5"},
		{"a hash too many", `INSERT INTO log_hashes VALUES (1000, sha256('x'))`, "stored hashes, want"},
		{"a message's row unlike its record", `UPDATE messages SET seq = seq + 100 WHERE id = $2`, "record says id"},
		{"a sent counter behind", `UPDATE counters SET n = 0 WHERE name LIKE 'sent/%'`, "sent cursor 1 beyond counter"},
		{"a delivery missing", `DELETE FROM deliveries WHERE msg = $2 AND recipient = '` + string(st.Nghean) + `'`, "no delivery to " + string(st.Nghean)},
		{"a delivery without its message", `INSERT INTO deliveries SELECT 'ghost', recipient, cursor + 100, state, rec FROM deliveries WHERE msg = $2 LIMIT 1`, "no message"},
		{"a delivery to one not a recipient", `UPDATE deliveries SET recipient = 'nobody' WHERE msg = $2 AND state = 0`, "not a recipient"},
		{"a delivery's state column unlike its record", `UPDATE deliveries SET state = 1 WHERE msg = $2 AND state = 0`, "record says"},
		{"a queue counter behind", `UPDATE counters SET n = 0 WHERE name LIKE 'queue/%'`, "beyond counter"},
		{"a status of no message", `UPDATE statuses SET msg = 'ghost'`, "status of ghost"},
		{"a status from one not a recipient", `UPDATE statuses SET from_agency = '` + string(st.Caobang) + `'`, "not a recipient"},
		{"a status counter behind", `UPDATE counters SET n = 0 WHERE name LIKE 'status-queue/%'`, "beyond counter"},
		{"a receipt of no message", `UPDATE receipts SET msg = 'ghost'`, "receipts of ghost"},
		{"statistics off", jsonSet("stats", `agency = '`+string(st.Quangninh)+`'`, "sent", "7"), "stats of " + string(st.Quangninh)},
		{"a pending column off", `UPDATE messages SET pending = pending + 1 WHERE id = $2`, "pending column 2, deliveries say 1"},
		{"a blob's reference count off", jsonSet("blobs", `digest = $1`, "refs", "2"), "refs/open 2/1, messages say 1/1"},
		{"a blob's record missing", `DELETE FROM blobs WHERE digest = $1`, "carried by a message, no record"},
		{"a piece changed", `UPDATE blob_chunks SET data = set_byte(data, 0, 255 - get_byte(data, 0)) WHERE digest = $1 AND off = 0`, "pieces hash to"},
		{"a piece missing", `DELETE FROM blob_chunks WHERE digest = $1 AND off = 0`, "a gap"},
		{"a piece cut short", `UPDATE blob_chunks SET data = substring(data from 1 for 5) WHERE digest = $1 AND off = (SELECT max(off) FROM blob_chunks WHERE digest = $1)`, "pieces hold"},
		{"pieces of a blob removed by the retention", jsonSet("blobs", `digest = $1`, "gone", "true"), "removed by the retention, 3 pieces left"},
		{"pieces without a record", `INSERT INTO blob_chunks VALUES ('feed', 0, 'x')`, "blob feed: pieces without a record"},
		{"pieces without an upload", `INSERT INTO blob_chunks VALUES ('upload:gone', 0, 'x')`, "upload:gone: pieces without an upload"},
		{"the sender's grant missing", `DELETE FROM blob_grants WHERE digest = $1 AND agency = '` + string(st.Quangninh) + `' AND via = $2`, "its sender holds no grant"},
		{"a recipient's grant missing", `DELETE FROM blob_grants WHERE digest = $1 AND agency = '` + string(st.Nghean) + `'`, "holds a grant of " + "$1: false"},
		{"a quota entry of a referenced blob", `INSERT INTO blob_pending VALUES ('` + string(st.Quangninh) + `', $1, 1)`, "quota entry of " + string(st.Quangninh)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, digest, msg := verifyFixture(t)
			conn := connect(t, s)
			var args []any
			switch {
			case strings.Contains(tt.sql, "$2") && strings.Contains(tt.sql, "$1"):
				args = []any{digest, msg}
			case strings.Contains(tt.sql, "$2"):
				tt.sql, args = strings.ReplaceAll(tt.sql, "$2", "$1"), []any{msg}
			case strings.Contains(tt.sql, "$1"):
				args = []any{digest}
			}
			tag, err := conn.Exec(context.Background(), tt.sql, args...)
			if err != nil {
				t.Fatalf("%s: %v", tt.sql, err)
			}
			if tag.RowsAffected() == 0 {
				t.Fatalf("%s changed nothing", tt.sql)
			}
			want := strings.ReplaceAll(tt.want, "$1", digest)
			err = s.Verify(context.Background())
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Verify = %v, want %q", err, want)
			}
			// Put it back for the cleanup's check: a fresh store is
			// consistent, which the fixture checked.
			if _, err := conn.Exec(context.Background(), `TRUNCATE counters, messages, deliveries, statuses, receipts, agencies,
				agency_history, stats, log_entries, log_hashes, log_checkpoints, blobs, blob_chunks, blob_grants, blob_pending,
				uploads; UPDATE log_head SET size = 0`); err != nil {
				t.Fatal(err)
			}
		})
	}
}
