package relay_test

import (
	"testing"

	"lienthong/hub/relay"
)

// TestInboxBytesBound: an inbox answer stops adding documents once their
// packets and reports would pass the byte bound, but always holds one;
// the next cursor picks up where it stopped.
func TestInboxBytesBound(t *testing.T) {
	e := newEnv(t)
	var sent []string
	for _, n := range []string{"61", "62", "63"} {
		sent = append(sent, e.send(quangNinh, n, vpcp).id)
	}
	all, _, err := e.relay.Inbox(ctx, vpcp, 0, 10, 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("inbox under the default bound: %d items, %v", len(all), err)
	}
	one := len(all[0].Packet) + len(all[0].Report)
	for _, tt := range []struct {
		name  string
		bound int
		pages []int
	}{
		{"two and a half documents", 2*one + one/2, []int{2, 1}},
		{"less than one document", 1, []int{1, 1, 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := relay.New(relay.Options{Store: e.st, Verifier: e.pki.Verifier(t), Identity: e.pki.Hub(t), MaxInboxBytes: tt.bound})
			if err != nil {
				t.Fatal(err)
			}
			var after uint64
			var got []string
			for i, want := range tt.pages {
				items, next, err := r.Inbox(ctx, vpcp, after, 10, 0)
				if err != nil || len(items) != want {
					t.Fatalf("page %d: %d items (%v), want %d", i+1, len(items), err, want)
				}
				size := 0
				for _, it := range items {
					got = append(got, it.MessageID)
					size += len(it.Packet) + len(it.Report)
				}
				if len(items) > 1 && size > tt.bound {
					t.Fatalf("page %d: %d bytes, over the bound of %d", i+1, size, tt.bound)
				}
				after = next
			}
			if items, _, _ := r.Inbox(ctx, vpcp, after, 10, 0); len(items) != 0 || len(got) != 3 || got[0] != sent[0] || got[1] != sent[1] || got[2] != sent[2] {
				t.Fatalf("documents %v then %d more, want %v", got, len(items), sent)
			}
		})
	}
}

// TestStatusesBytesBound: the sender's status answer is bounded the same
// way.
func TestStatusesBytesBound(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"71", "72", "73"} {
		d := e.send(quangNinh, n, vpcp)
		if _, err := e.relay.Ack(ctx, vpcp, d.id); err != nil {
			t.Fatal(err)
		}
	}
	all, _, err := e.relay.Statuses(ctx, quangNinh, 0, 10, 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("statuses under the default bound: %d, %v", len(all), err)
	}
	r, err := relay.New(relay.Options{Store: e.st, Verifier: e.pki.Verifier(t), Identity: e.pki.Hub(t), MaxInboxBytes: len(all[0].Signed) + 1})
	if err != nil {
		t.Fatal(err)
	}
	var after uint64
	for page := range 3 {
		items, next, err := r.Statuses(ctx, quangNinh, after, 10, 0)
		if err != nil || len(items) != 1 || items[0].Cursor != all[page].Cursor {
			t.Fatalf("page %d: %d items (%v), want the one with cursor %d", page+1, len(items), err, all[page].Cursor)
		}
		after = next
	}
}
