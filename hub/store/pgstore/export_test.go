package pgstore_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestExportCoversEveryTable fails when a table is added to the schema
// without a decision on how package storecopy copies it (export.go).
func TestExportCoversEveryTable(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, cluster.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	known := []string{
		"lienthong_schema", "log_head", // the schema's version; the log's size, set from the entries
		"counters", "messages", "deliveries", "statuses", "receipts", "agencies", "agency_history", "stats",
		"log_entries", "log_hashes", "log_checkpoints", "blobs", "blob_chunks", "blob_grants", "blob_pending",
		"uploads", // partial uploads (their pieces in blob_chunks): not copied, required empty on import
	}
	for _, name := range tables {
		if !slices.Contains(known, name) {
			t.Errorf("table %q: decide how storecopy copies it (export.go), then list it here", name)
		}
	}
	for _, name := range known {
		if !slices.Contains(tables, name) {
			t.Errorf("table %q is listed here but not in the schema", name)
		}
	}
}
