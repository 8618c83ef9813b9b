package pgstore_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"lienthong/hub/store"
	"lienthong/hub/store/storetest"
)

// wholeTables are the tables whose rows of signed records stay in their
// table up to a page (schema version 4).
var wholeTables = []string{"messages", "receipts", "statuses"}

// outOfLine returns the bytes TOAST keeps apart for the rows of
// wholeTables, and how many of them lack toast_tuple_target = 8160.
func outOfLine(t *testing.T, url string) (toasted int64, untuned int) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	err = conn.QueryRow(ctx, `SELECT coalesce(sum(pg_relation_size(reltoastrelid)), 0),
			count(*) FILTER (WHERE NOT coalesce('toast_tuple_target=8160' = ANY (reloptions), false))
		FROM pg_class WHERE relname = ANY ($1) AND relkind = 'r'`, wholeTables).Scan(&toasted, &untuned)
	if err != nil {
		t.Fatal(err)
	}
	return toasted, untuned
}

// A packet of 4.3 KB and its signed receipt of 4.8 KB, neither of which
// compresses, are kept in their rows: TOAST stores nothing apart, where
// at its default target of 2 KB it would store both in a table of its own.
func TestSignedRecordsKeptInTheirRows(t *testing.T) {
	url := cluster.NewDatabase(t)
	s := openAt(t, url)
	sub := storetest.NewSubmission(storetest.Quangninh, 4300, storetest.Govoffice)
	signed := storetest.RandomBytes(4800)
	seal := func(int64) (*store.Receipt, error) {
		return &store.Receipt{MessageID: sub.MessageID, Event: "accepted", Party: storetest.Quangninh, At: storetest.T0, Signed: signed}, nil
	}
	if _, _, err := s.Accept(ctx, sub, seal); err != nil {
		t.Fatal(err)
	}
	if rs, err := s.Receipts(ctx, sub.MessageID); err != nil || len(rs) != 1 || string(rs[0].Signed) != string(signed) {
		t.Fatalf("receipts read back: %d (%v)", len(rs), err)
	}
	if toasted, untuned := outOfLine(t, url); toasted != 0 || untuned != 0 {
		t.Fatalf("%d bytes kept apart by TOAST, %d of %v without the page-sized target", toasted, untuned, wholeTables)
	}
}
