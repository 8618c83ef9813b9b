package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// pollUpdates long-polls GET /v1/updates in the background and hands its
// answer and how long it took to the channel it returns.
func pollUpdates(t *testing.T, ctx context.Context, c *hubclient.Client, inboxAfter, statusesAfter uint64) <-chan *wire.Updates {
	t.Helper()
	got := make(chan *wire.Updates, 1)
	go func() {
		u, err := c.Updates(ctx, inboxAfter, statusesAfter, 25*time.Second)
		if err != nil {
			t.Errorf("updates: %v", err)
		}
		got <- u
	}()
	time.Sleep(300 * time.Millisecond) // let the poll start waiting
	return got
}

// within waits for a poll's answer, failing if it took near its whole wait:
// it should have been woken.
func within(t *testing.T, got <-chan *wire.Updates, what string) *wire.Updates {
	t.Helper()
	select {
	case u := <-got:
		if u == nil {
			t.Fatalf("%s: no answer", what)
		}
		return u
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the long poll was not woken", what)
		return nil
	}
}

// TestUpdates: one long poll waits for documents and statuses alike, and
// each part answers as /v1/inbox and /v1/statuses would, with its own
// cursor.
func TestUpdates(t *testing.T) {
	for _, transport := range []struct {
		name string
		tcp  bool
	}{{"QUIC", false}, {"TCP", true}} {
		t.Run(transport.name, func(t *testing.T) {
			h := hubtest.Start(t, hubtest.Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			qn := h.Client(t, quangNinh, transport.tcp)
			na := h.Client(t, ngheAn, transport.tcp)
			gov := h.Client(t, vpcp, transport.tcp)

			// The recipient's wait is woken by a document.
			naPoll := pollUpdates(t, ctx, na, 0, 0)
			doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "201", ngheAn)
			doc.send(t, ctx, qn)
			u := within(t, naPoll, "a document to the recipient")
			if len(u.Inbox.Items) != 1 || u.Inbox.Items[0].MessageID != doc.id || u.Inbox.Items[0].Sender != quangNinh ||
				u.Inbox.Next != u.Inbox.Items[0].Cursor || len(u.Statuses.Items) != 0 || u.Statuses.Next != 0 {
				t.Fatalf("recipient's updates: %+v", u)
			}
			inbox, _ := na.Inbox(ctx, 0, 0)
			if len(inbox.Items) != 1 || inbox.Items[0].Cursor != u.Inbox.Items[0].Cursor || string(inbox.Items[0].Packet) != string(u.Inbox.Items[0].Packet) {
				t.Fatalf("the inbox part differs from GET /v1/inbox: %+v", inbox)
			}

			// The sender's wait is woken by the status its acknowledgement
			// makes (01, carried by the delivered receipt).
			qnPoll := pollUpdates(t, ctx, qn, 0, 0)
			if _, err := na.Ack(ctx, doc.id); err != nil {
				t.Fatal(err)
			}
			u = within(t, qnPoll, "a status to the sender")
			if len(u.Inbox.Items) != 0 || u.Inbox.Next != 0 || len(u.Statuses.Items) != 1 ||
				u.Statuses.Items[0].Code != string(document.StatusArrived) || u.Statuses.Items[0].MessageID != doc.id ||
				u.Statuses.Items[0].From != ngheAn || u.Statuses.Next != u.Statuses.Items[0].Cursor {
				t.Fatalf("sender's updates: %+v", u)
			}
			statusesNext := u.Statuses.Next

			// Asked from its cursors, an acknowledged document and a seen
			// status are not listed again.
			again, err := na.Updates(ctx, u.Inbox.Next, 0, 0)
			if err != nil || len(again.Inbox.Items) != 0 || again.Inbox.Next != u.Inbox.Next {
				t.Fatalf("after the acknowledgement: %v %+v", err, again)
			}

			// Both parts at once: a status (03) and a document waiting for
			// the same agency.
			if _, err := na.PostStatus(ctx, statusPacket(t, h, ngheAn, doc, document.StatusReceived, "")); err != nil {
				t.Fatal(err)
			}
			back := compose(t, h, vpcp, readPDF(t, "cong-van.pdf"), "202", quangNinh)
			back.send(t, ctx, gov)
			both, err := qn.Updates(ctx, 0, statusesNext, 5*time.Second)
			if err != nil || len(both.Inbox.Items) != 1 || both.Inbox.Items[0].MessageID != back.id ||
				len(both.Statuses.Items) != 1 || both.Statuses.Items[0].Code != string(document.StatusReceived) ||
				both.Statuses.Next <= statusesNext {
				t.Fatalf("both parts: %v %+v", err, both)
			}

			// Nothing waiting: the poll ends with its wait and answers the
			// cursors it was given.
			start := time.Now()
			empty, err := gov.Updates(ctx, 7, 9, time.Second)
			if err != nil || len(empty.Inbox.Items)+len(empty.Statuses.Items) != 0 || empty.Inbox.Next != 7 || empty.Statuses.Next != 9 {
				t.Fatalf("an empty wait: %v %+v", err, empty)
			}
			if d := time.Since(start); d < 900*time.Millisecond {
				t.Fatalf("an empty wait of 1 s answered after %v", d)
			}
		})
	}
}

// wantBadRequest GETs path (with its query) as the client and fails the
// test unless the hub answers 400 bad_request.
func wantBadRequest(t *testing.T, ctx context.Context, c *http.Client, h *hubtest.Hub, path string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+h.Addr+path, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e wire.Error
	err = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusBadRequest || e.Code != wire.CodeBadRequest {
		t.Fatalf("GET %s: %d %+v %v", path, resp.StatusCode, e, err)
	}
}

// TestUpdatesBadParameters: a cursor that is not one is bad_request, as
// on the other long polls.
func TestUpdatesBadParameters(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := rawClient(t, h, quangNinh, false)
	for _, q := range []string{"inbox_after=x", "statuses_after=-1", "wait=soon", "limit=0", "inline=yes"} {
		wantBadRequest(t, ctx, c, h, wire.PathUpdates+"?"+q)
	}
	// A wait of more seconds than a duration holds is the longest wait,
	// not none: with nothing queued, the poll is still held a second on.
	held, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	req, _ := http.NewRequestWithContext(held, http.MethodGet, "https://"+h.Addr+wire.PathUpdates+"?wait=10000000000", nil)
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a wait of 10^10 s answered at once: %d", resp.StatusCode)
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a wait of 10^10 s: %v", err)
	}
}
