package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/hub/service"
	"lienthong/shared/document"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// startFront starts a long-poll front beside h and waits until it follows
// the hub's wake-ups.
func startFront(t *testing.T, h *hubtest.Hub, configure func(*config.Config)) *service.Front {
	t.Helper()
	f := h.StartFront(t, configure)
	for deadline := time.Now().Add(10 * time.Second); !f.Up(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the front does not follow the hub's wake-ups")
		}
	}
	return f
}

// getError GETs url with c and returns the answer's status and wire error.
func getError(t *testing.T, ctx context.Context, c *http.Client, url string) (int, wire.Error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var e wire.Error
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatalf("GET %s: %d, not a wire error: %v", url, resp.StatusCode, err)
	}
	return resp.StatusCode, e
}

// TestFront: long polls held by a front (package front) wait for, and
// answer, what the hub's own would: a document to the recipient, a status
// to the sender, on /v1/updates, /v1/inbox and /v1/edxml/inbox alike, over
// QUIC and TCP.
func TestFront(t *testing.T) {
	for _, transport := range []struct {
		name string
		tcp  bool
	}{{"QUIC", false}, {"TCP", true}} {
		t.Run(transport.name, func(t *testing.T) {
			h := hubtest.Start(t, hubtest.Options{})
			f := startFront(t, h, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			qn := h.Client(t, quangNinh, transport.tcp)
			na := h.Client(t, ngheAn, transport.tcp)
			naFront := h.ClientOf(t, f.Addr(), ngheAn, transport.tcp)
			qnFront := h.ClientOf(t, f.Addr(), quangNinh, transport.tcp)

			// The first poll of a client the front has not seen waits
			// too: it is woken by the document that arrives meanwhile.
			naPoll := pollUpdates(t, ctx, naFront, 0, 0)
			select {
			case u := <-naPoll:
				t.Fatalf("the front answered a first poll at once: %+v", u)
			default:
			}
			if n := f.Polls(); n != 1 {
				t.Fatalf("the front holds %d polls, want 1", n)
			}
			doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "201", ngheAn)
			doc.send(t, ctx, qn)
			u := within(t, naPoll, "a document to the recipient, through the front")
			inbox, err := na.Inbox(ctx, 0, 0)
			if err != nil || len(u.Inbox.Items) != 1 || u.Inbox.Items[0].MessageID != doc.id || len(inbox.Items) != 1 ||
				string(inbox.Items[0].Packet) != string(u.Inbox.Items[0].Packet) || u.Inbox.Next != inbox.Next {
				t.Fatalf("through the front %+v, from the hub %+v %v", u, inbox, err)
			}

			// The sender's poll is woken by the status of the
			// acknowledgement.
			qnPoll := pollUpdates(t, ctx, qnFront, 0, 0)
			if _, err := na.Ack(ctx, doc.id); err != nil {
				t.Fatal(err)
			}
			u = within(t, qnPoll, "a status to the sender, through the front")
			if len(u.Statuses.Items) != 1 || u.Statuses.Items[0].Code != string(document.StatusArrived) || u.Statuses.Items[0].MessageID != doc.id {
				t.Fatalf("sender's updates through the front: %+v", u)
			}

			// GET /v1/inbox is held the same way. The front knows whom
			// the certificate stands for from its first poll: this one
			// asks the hub once before it waits.
			asked := f.Asked()
			got := make(chan *wire.Inbox, 1)
			go func() {
				in, err := naFront.Inbox(ctx, inbox.Next, 25*time.Second)
				if err != nil {
					t.Errorf("inbox through the front: %v", err)
				}
				got <- in
			}()
			time.Sleep(300 * time.Millisecond)
			if n := f.Asked() - asked; n != 1 {
				t.Errorf("a poll of a certificate the front knows asked the hub %d times before it waited, want 1", n)
			}
			second := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "202", ngheAn)
			second.send(t, ctx, qn)
			select {
			case in := <-got:
				if in == nil || len(in.Items) != 1 || in.Items[0].MessageID != second.id {
					t.Fatalf("inbox through the front: %+v", in)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the inbox poll through the front was not woken")
			}

			// So is the edXML inbox.
			edxmlNow, err := naFront.EdXMLInbox(ctx, 0, 0, 0)
			if err != nil || len(edxmlNow.Items) != 1 {
				t.Fatalf("the edXML inbox through the front: %v %+v", err, edxmlNow)
			}
			gotEdXML := make(chan *wire.EdXMLInbox, 1)
			go func() {
				in, err := naFront.EdXMLInbox(ctx, edxmlNow.Next, 25*time.Second, 0)
				if err != nil {
					t.Errorf("edXML inbox through the front: %v", err)
				}
				gotEdXML <- in
			}()
			time.Sleep(300 * time.Millisecond)
			third := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "203", ngheAn)
			third.send(t, ctx, qn)
			select {
			case in := <-gotEdXML:
				if in == nil || len(in.Items) != 1 || in.Items[0].MessageID != third.id {
					t.Fatalf("edXML inbox through the front: %+v", in)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the edXML inbox poll through the front was not woken")
			}

			// Nothing waiting: the poll ends with its wait.
			start := time.Now()
			empty, err := naFront.Updates(ctx, 1<<40, 1<<40, time.Second)
			if err != nil || len(empty.Inbox.Items)+len(empty.Statuses.Items) != 0 {
				t.Fatalf("an empty wait through the front: %v %+v", err, empty)
			}
			if d := time.Since(start); d < 900*time.Millisecond {
				t.Fatalf("an empty wait of 1 s answered after %v", d)
			}
			if n := f.Polls(); n != 0 {
				t.Fatalf("the front still holds %d polls", n)
			}

			// Anything but a long poll is for the hub.
			if _, err := naFront.Hello(ctx); wire.CodeOf(err) != wire.CodeNotFound {
				t.Fatalf("hello at the front: %v", err)
			}
		})
	}
}

// TestFrontRefusals: what the hub refuses, the front refuses with the
// hub's answer (a bad parameter, a revoked certificate); past its caps it
// answers unavailable; when the hub stops, its polls end unavailable.
func TestFrontRefusals(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	f := startFront(t, h, func(c *config.Config) { c.MaxInFlightPerAgency, c.FrontOpsListen = 1, "127.0.0.1:0" })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := "https://" + f.Addr()
	na := rawClient(t, h, ngheAn, false)
	qn := rawClient(t, h, quangNinh, true)

	if status := getStatus(t, ctx, "http://"+f.OpsAddr()+"/readyz"); status != http.StatusOK {
		t.Fatalf("the front's /readyz while it follows the hub: %d", status)
	}
	if status, e := getError(t, ctx, na, base+wire.PathUpdates+"?wait=soon"); status != http.StatusBadRequest || e.Code != wire.CodeBadRequest {
		t.Fatalf("a bad wait through the front: %d %+v", status, e)
	}

	// One poll per certificate here: a second is refused while the first
	// is held.
	held := make(chan int, 1)
	go func() {
		status, _ := getError(t, ctx, na, base+wire.PathUpdates+"?wait=30")
		held <- status
	}()
	for deadline := time.Now().Add(10 * time.Second); f.Polls() != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first poll is not held")
		}
	}
	if status, e := getError(t, ctx, na, base+wire.PathInbox+"?wait=30"); status != http.StatusServiceUnavailable || e.Code != wire.CodeUnavailable {
		t.Fatalf("a second poll of one certificate: %d %+v", status, e)
	}

	// A certificate revoked at the hub is refused by the hub, through a
	// front that still lets its handshake through.
	h.Revoke(quangNinh)
	if status, e := getError(t, ctx, qn, base+wire.PathUpdates+"?wait=5"); status != http.StatusForbidden || e.Code != wire.CodeForbidden {
		t.Fatalf("a revoked certificate through the front: %d %+v", status, e)
	}

	// The hub stops: the held poll ends unavailable, not with its wait.
	start := time.Now()
	h.Stop()
	select {
	case status := <-held:
		if status != http.StatusServiceUnavailable {
			t.Fatalf("a poll held when the hub stopped: %d", status)
		}
		t.Logf("a poll held when the hub stopped ended after %v", time.Since(start))
	case <-time.After(20 * time.Second):
		t.Fatal("a poll held when the hub stopped was not ended")
	}
	if status := getStatus(t, ctx, "http://"+f.OpsAddr()+"/readyz"); status != http.StatusServiceUnavailable {
		t.Fatalf("the front's /readyz without its hub: %d", status)
	}
	metrics, err := http.Get("http://" + f.OpsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(metrics.Body)
	metrics.Body.Close()
	for _, want := range []string{`lienthong_front_answers_total{status="503"} 2`, `lienthong_front_answers_total{status="403"} 1`, "lienthong_front_following 0", "lienthong_front_polls 0"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the front's /metrics lacks %q", want)
		}
	}
}

// getStatus GETs url and returns the answer's status.
func getStatus(t *testing.T, ctx context.Context, url string) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestFrontClient: a client given the front as its poll address holds
// its long polls there, over TCP, and sends everything else to the hub;
// with a poll address that does not answer, its polls go to the hub.
func TestFrontClient(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	f := startFront(t, h, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	qn := h.Client(t, quangNinh, false)
	client := func(pollAddr string) *hubclient.Client {
		c, err := hubclient.New(h.Addr, h.Agencies[ngheAn].Key, h.Verifier(), hubclient.Options{ServerName: "localhost", PollAddr: pollAddr})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	na := client(f.Addr())
	if _, err := na.Hello(ctx); err != nil {
		t.Fatalf("hello goes to the hub: %v", err)
	}
	poll := pollUpdates(t, ctx, na, 0, 0)
	if n := f.Polls(); n != 1 {
		t.Fatalf("the front holds %d polls, want the client's", n)
	}
	doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "301", ngheAn)
	doc.send(t, ctx, qn)
	u := within(t, poll, "a document, polled at the front")
	if len(u.Inbox.Items) != 1 || u.Inbox.Items[0].MessageID != doc.id {
		t.Fatalf("polled at the front: %d items", len(u.Inbox.Items))
	}
	if na.PollTransport() != "h2" || na.Transport() != "h3" {
		t.Fatalf("polls over %q, the rest over %q: want h2 and h3", na.PollTransport(), na.Transport())
	}

	// Nothing listens at the poll address: the poll goes to the hub.
	lost := client("127.0.0.1:1")
	poll = pollUpdates(t, ctx, lost, u.Inbox.Next, 0)
	second := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "302", ngheAn)
	second.send(t, ctx, qn)
	if u := within(t, poll, "a document, polled at the hub for want of a front"); len(u.Inbox.Items) != 1 || u.Inbox.Items[0].MessageID != second.id {
		t.Fatalf("polled at the hub: %d items", len(u.Inbox.Items))
	}
	if f.Polls() != 0 {
		t.Fatalf("the front holds %d polls", f.Polls())
	}
}
