package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/shared/auditlog"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// TestLogAPI follows an auditor: every receipt's event is in the log under
// the index the receipt names, the checkpoint verifies with the hub's log
// key, a later checkpoint is consistent with an earlier one, and the
// published statistics are there.
func TestLogAPI(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qn := h.Client(t, quangNinh, false)
	na := h.Client(t, ngheAn, false)

	first, err := qn.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	older, err := auditlog.OpenCheckpoint(first, h.LogKey, h.LogOrigin)
	if err != nil {
		t.Fatal(err)
	}

	doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "401", ngheAn)
	doc.send(t, ctx, qn)
	acked, err := na.Ack(ctx, doc.id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := na.PostStatus(ctx, statusPacket(t, h, ngheAn, doc, "03", "")); err != nil {
		t.Fatal(err)
	}

	signed, err := na.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head, err := auditlog.OpenCheckpoint(signed, h.LogKey, h.LogOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if head.Size < older.Size+3 {
		t.Fatalf("log grew from %d to %d after accept, delivery and status", older.Size, head.Size)
	}
	p, err := na.Consistency(ctx, older.Size, head.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := auditlog.VerifyConsistency(older, head, p); err != nil {
		t.Fatalf("the log did not only grow: %v", err)
	}

	for _, wireReceipt := range [][]byte{doc.res.Receipt, acked.Receipt} {
		rc, _, err := receipt.Verify(wireReceipt, h.Verifier(), certs.DefaultReceiptSigner)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := na.LogEntries(ctx, rc.LogIndex, rc.LogIndex+1)
		if err != nil || len(entries) != 1 {
			t.Fatalf("entry %d: %v", rc.LogIndex, err)
		}
		e, err := auditlog.DecodeEntry(entries[0])
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != rc.Event || e.MessageID != rc.MessageID || e.EnvelopeSHA256 != rc.EnvelopeSHA256 {
			t.Fatalf("receipt %s names entry %d, which records %+v", rc.Event, rc.LogIndex, e)
		}
		proof, err := na.Inclusion(ctx, rc.LogIndex, head.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := auditlog.VerifyInclusion(entries[0], proof, head); err != nil {
			t.Fatalf("the %s entry does not prove into the checkpoint: %v", rc.Event, err)
		}
	}

	again, err := qn.Checkpoint(ctx)
	if err != nil || string(again) != string(signed) {
		t.Fatalf("a checkpoint was signed again though the log did not grow: %v", err)
	}
	if _, err := na.Inclusion(ctx, 0, head.Size+100); wire.CodeOf(err) != wire.CodeNotFound {
		t.Fatalf("proof beyond the log: %v", err)
	}
	if _, err := na.LogEntries(ctx, 0, wire.MaxLogEntries+1); wire.CodeOf(err) != wire.CodeBadRequest {
		t.Fatalf("too many entries: %v", err)
	}

	stats, err := qn.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, a := range stats.Agencies {
		if a.Agency == quangNinh {
			found = a.Sent == 1
		}
	}
	if !found || stats.LogSize < head.Size {
		b, _ := json.Marshal(stats)
		t.Fatalf("published stats: %s", b)
	}
}
