package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"lienthong/desktop/clerk"
)

// TestWatcherSyncFailed shows a failure to sync a document once per streak
// of failures, and again when it goes through.
func TestWatcherSyncFailed(t *testing.T) {
	var out, errb bytes.Buffer
	w := &watcher{stdout: &out, stderr: &errb}
	refused := errors.New("hub refused: recipient\n inactive")
	steps := []struct {
		ev   clerk.Event
		want string // what stderr gains
	}{
		{clerk.SyncFailed{ID: "doc-1", Err: refused}, "lienthong-clerk: sync failed: doc-1: hub refused: recipient inactive (retried on every sync; shown again only when it goes through)\n"},
		{clerk.SyncFailed{ID: "doc-1", Err: refused}, ""},
		{clerk.SyncFailed{ID: "doc-1", Err: refused}, ""},
		{clerk.SyncFailed{ID: "doc-2", Err: refused}, "lienthong-clerk: sync failed: doc-2: hub refused: recipient inactive (retried on every sync; shown again only when it goes through)\n"},
		{clerk.OutboxChanged{Pending: 0}, ""},
		{clerk.DocumentChanged{ID: "doc-1"}, "lienthong-clerk: sync recovered: doc-1 went through after 3 failed attempt(s)\n"},
		{clerk.DocumentChanged{ID: "doc-1"}, ""},
		{clerk.DocumentArrived{ID: "doc-2", From: "UBND tỉnh Nghệ An", Subject: "Về việc"}, "lienthong-clerk: sync recovered: doc-2 went through after 1 failed attempt(s)\n"},
		{clerk.SyncFailed{ID: "doc-1", Err: refused}, "lienthong-clerk: sync failed: doc-1: hub refused: recipient inactive (retried on every sync; shown again only when it goes through)\n"},
	}
	for i, s := range steps {
		before := errb.Len()
		w.show(s.ev)
		if got := errb.String()[before:]; got != s.want {
			t.Fatalf("step %d (%T): stderr gained %q, want %q", i, s.ev, got, s.want)
		}
	}
	if !strings.Contains(out.String(), "arrived doc-2 UBND tỉnh Nghệ An: Về việc") {
		t.Fatalf("stdout: %q", out.String())
	}
}
