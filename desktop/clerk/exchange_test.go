package clerk_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
)

// TestFiveClerks has five agencies each send a signed document to the four
// others, at the same time, and checks that every document arrives once,
// verified, and that every sender sees 01 and 03 from every recipient.
func TestFiveClerks(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Agencies: fiveAgencies})
	ctx := ctxT(t)
	clerks := map[string]*clerk.Clerk{}
	var codes []string
	for _, a := range fiveAgencies {
		clerks[a.Code] = newClerk(t, h, a.Code)
		codes = append(codes, a.Code)
	}
	files := []string{"cong-van.pdf", "quyet-dinh.pdf", "bao-cao.pdf"}
	sent := map[string]string{} // message id -> sender
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, code := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clerks[code]
			if err := c.Sync(ctx); err != nil {
				t.Errorf("sync %s: %v", code, err)
				return
			}
			var to []string
			for _, o := range codes {
				if o != code {
					to = append(to, o)
				}
			}
			id, err := c.Issue(ctx, draft(t, files[i%len(files)], to...))
			if err != nil {
				t.Errorf("issue %s: %v", code, err)
				return
			}
			mu.Lock()
			sent[id] = code
			mu.Unlock()
			if err := c.Sync(ctx); err != nil {
				t.Errorf("sync %s: %v", code, err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, code := range codes {
		c := clerks[code]
		mustSync(t, ctx, c)
		rows := inbox(t, c)
		if len(rows) != 4 {
			t.Fatalf("%s received %d documents, want 4", code, len(rows))
		}
		for _, r := range rows {
			if sent[r.ID] == "" || sent[r.ID] == code || string(r.AgencyCode) != sent[r.ID] {
				t.Fatalf("%s received %s from %s", code, r.ID, r.AgencyCode)
			}
			v, err := c.Document(r.ID)
			if err != nil || v.Report == nil || !v.Report.Valid() {
				t.Fatalf("%s: %s does not verify: %v", code, r.ID, err)
			}
			if _, err := c.Register(r.ID, "Văn thư"); err != nil {
				t.Fatalf("%s: register: %v", code, err)
			}
		}
		if _, last, _ := c.Store().LastNumbers("", document.RegisterYear(time.Now())); last != 4 {
			t.Fatalf("%s: last số đến %d, want 4", code, last)
		}
	}
	for _, code := range codes {
		mustSync(t, ctx, clerks[code])
	}
	for _, code := range codes {
		mustSync(t, ctx, clerks[code])
	}
	for id, from := range sent {
		got := recipientCodes(t, clerks[from], id)
		for _, to := range codes {
			if to == from {
				continue
			}
			if !slices.Equal(got[certs.AgencyCode(to)], []document.Status{"01", "03"}) {
				t.Errorf("%s sees %v at %s", from, got[certs.AgencyCode(to)], to)
			}
		}
	}
}

// TestRecall recalls a document that two agencies hold: one accepts (15),
// the other refuses (16), and the sender sees both answers.
func TestRecall(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	gov, qn, na := newClerk(t, h, vpcp), newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	mustSync(t, ctx, gov)
	d := draft(t, "quyet-dinh.pdf", quangNinh, ngheAn)
	d.Metadata.CodeNotation = "QĐ-VPCP"
	id, err := gov.Issue(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, gov, qn, na, gov)

	if _, err := gov.Recall(ctx, id, ""); err == nil {
		t.Fatal("a recall without a reason was accepted")
	}
	rid, err := gov.Recall(ctx, id, "Ban hành nhầm đối tượng")
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, gov, qn, na)
	for name, c := range map[string]*clerk.Clerk{"Quảng Ninh": qn, "Nghệ An": na} {
		v, err := c.Document(id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(codesOf(v.Statuses), []document.Status{"01", "13"}) {
			t.Fatalf("%s: recalled copy's history %v", name, codesOf(v.Statuses))
		}
	}
	if err := qn.AnswerRecall(id, true, "Lê Văn Thư", ""); err != nil { // by the recalled document
		t.Fatalf("accept: %v", err)
	}
	if err := na.AnswerRecall(rid, false, "Phạm Thị Thư", ""); err == nil {
		t.Fatal("a refusal without a reason was accepted")
	}
	if err := na.AnswerRecall(rid, false, "Phạm Thị Thư", "Văn bản đã được triển khai"); err != nil { // by the recall
		t.Fatalf("refuse: %v", err)
	}
	if err := na.AnswerRecall(rid, true, "Phạm Thị Thư", ""); err == nil {
		t.Fatal("a recall answered twice")
	}
	mustSync(t, ctx, qn, na, gov)

	tests := []struct {
		doc, agency string
		want        []document.Status
	}{
		{rid, quangNinh, []document.Status{"01", "15"}},
		{rid, ngheAn, []document.Status{"01", "16"}},
		{id, quangNinh, []document.Status{"01", "13", "15"}},
		{id, ngheAn, []document.Status{"01", "13", "16"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s at %s", map[string]string{id: "document", rid: "recall"}[tt.doc], tt.agency), func(t *testing.T) {
			got := recipientCodes(t, gov, tt.doc)[certs.AgencyCode(tt.agency)]
			if !slices.Equal(got, tt.want) {
				t.Fatalf("sender sees %v, want %v", got, tt.want)
			}
		})
	}
	// Nghệ An refused the recall: its processing goes on.
	if _, err := na.Register(id, "Phạm Thị Thư"); err != nil {
		t.Fatalf("register after refusing the recall: %v", err)
	}
	if _, err := qn.Register(id, "Lê Văn Thư"); err == nil {
		t.Fatal("a copy whose recall was accepted could still be registered")
	}
	// The accepted recall destroyed Quảng Ninh's files; Nghệ An keeps its own.
	if _, _, err := qn.OpenAttachment(id, 0); !errors.Is(err, store.ErrDestroyed) {
		t.Fatalf("the recalled copy's file after accepting: %v", err)
	}
	if r, _, err := na.OpenAttachment(id, 0); err != nil {
		t.Fatalf("the copy whose recall was refused: %v", err)
	} else {
		r.Close()
	}
}

// TestOffline issues three documents with the hub down, starts the hub
// again on its old state, and checks that each arrives exactly once.
func TestOffline(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	mustSync(t, ctx, qn, na)
	events, cancel := qn.Subscribe()
	defer cancel()
	h.Stop()

	var ids []string
	for _, f := range []string{"cong-van.pdf", "quyet-dinh.pdf", "bao-cao.pdf"} {
		id, err := qn.Issue(ctx, draft(t, f, ngheAn))
		if err != nil {
			t.Fatalf("issue offline: %v", err)
		}
		ids = append(ids, id)
	}
	if n := qn.OutboxLen(); n != 3 {
		t.Fatalf("outbox %d, want 3", n)
	}
	sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
	if err := qn.Sync(sctx); err == nil {
		t.Fatal("sync with the hub down succeeded")
	}
	scancel()
	if qn.Online() || qn.OutboxLen() != 3 {
		t.Fatalf("online %v, outbox %d", qn.Online(), qn.OutboxLen())
	}
	if !sawOffline(events) {
		t.Fatal("no ConnectionChanged{Online: false} event")
	}

	h2 := hubtest.Start(t, hubtest.Options{Dir: h.Dir, PKI: h.PKI})
	for _, c := range []*clerk.Clerk{qn, na} {
		if err := c.SetHubAddress(h2.Addr); err != nil {
			t.Fatal(err)
		}
	}
	mustSync(t, ctx, qn, qn)
	if n := qn.OutboxLen(); n != 0 {
		t.Fatalf("outbox after the hub came back: %d", n)
	}
	mustSync(t, ctx, na, na)
	rows := inbox(t, na)
	var got []string
	for _, r := range rows {
		got = append(got, r.ID)
	}
	slices.Sort(got)
	want := slices.Clone(ids)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("received %v, want %v", got, want)
	}
	mustSync(t, ctx, qn)
	for _, id := range ids {
		if got := recipientCodes(t, qn, id)[ngheAn]; !slices.Equal(got, []document.Status{"01"}) {
			t.Fatalf("%s at Nghệ An: %v", id, got)
		}
	}
}

func sawOffline(events <-chan clerk.Event) bool {
	for {
		select {
		case ev := <-events:
			if cc, ok := ev.(clerk.ConnectionChanged); ok && !cc.Online {
				return true
			}
		default:
			return false
		}
	}
}

// TestRunDeliversPromptly runs both clerks' engines and checks that a
// document issued by one shows at the other through the long poll, and
// that statuses come back the same way.
func TestRunDeliversPromptly(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	qnEvents, naEvents := runBoth(t, ctx, qn, na)
	_, took := issueAndReceive(t, ctx, qn, na, ngheAn, qnEvents, naEvents)
	t.Logf("issued to arrived through Run: %v", took)
	if rows := inbox(t, na); len(rows) != 1 {
		t.Fatalf("inbox %d", len(rows))
	}
}

// TestRunThroughFront: clerks given a long-poll front as their poll
// address hold their long polls there, and documents and statuses arrive
// as promptly; the setting is kept, and "" puts the polls back at the hub.
func TestRunThroughFront(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	f := h.StartFront(t, nil)
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	for _, c := range []*clerk.Clerk{qn, na} {
		if err := c.SetPollAddress(" " + f.Addr() + " "); err != nil {
			t.Fatal(err)
		}
		if c.PollAddress() != f.Addr() {
			t.Fatalf("poll address %q, want %q", c.PollAddress(), f.Addr())
		}
	}
	if err := qn.SetPollAddress("front"); err == nil {
		t.Fatal("a poll address without a port was taken")
	}
	qnEvents, naEvents := runBoth(t, ctx, qn, na)
	for deadline := time.Now().Add(10 * time.Second); f.Polls() != 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the front holds %d long polls, want the two clerks'", f.Polls())
		}
	}
	issueAndReceive(t, ctx, qn, na, ngheAn, qnEvents, naEvents)
	if err := na.SetPollAddress(""); err != nil || na.PollAddress() != "" {
		t.Fatalf("clearing the poll address: %v, %q", err, na.PollAddress())
	}
}

// runBoth runs two clerks' engines until the test ends, and returns their
// events once both are online and their long polls are waiting.
func runBoth(t *testing.T, ctx context.Context, a, b *clerk.Clerk) (aEvents, bEvents <-chan clerk.Event) {
	t.Helper()
	aEvents, cancelA := a.Subscribe()
	bEvents, cancelB := b.Subscribe()
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, c := range []*clerk.Clerk{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); c.Run(rctx) }()
	}
	t.Cleanup(func() { stop(); wg.Wait(); cancelA(); cancelB() })
	online := func(ev clerk.Event) bool { cc, ok := ev.(clerk.ConnectionChanged); return ok && cc.Online }
	waitFor(t, aEvents, online)
	waitFor(t, bEvents, online)
	time.Sleep(300 * time.Millisecond) // let both long polls start waiting
	return aEvents, bEvents
}

// issueAndReceive has from issue a document to to (whose code is toCode)
// and to register it once it arrives, through their running engines
// (runBoth), and waits for the status "received" back at from. It returns
// the document's id and the time from issuing to arrival.
func issueAndReceive(t *testing.T, ctx context.Context, from, to *clerk.Clerk, toCode string, fromEvents, toEvents <-chan clerk.Event) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	id, err := from.Issue(ctx, draft(t, "cong-van.pdf", toCode))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, toEvents, func(ev clerk.Event) bool { a, ok := ev.(clerk.DocumentArrived); return ok && a.ID == id })
	took := time.Since(start)
	if _, err := to.Register(id, "Văn thư"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, fromEvents, func(ev clerk.Event) bool {
		s, ok := ev.(clerk.StatusChanged)
		return ok && s.ID == id && s.Code == document.StatusReceived
	})
	return id, took
}

func waitFor(t *testing.T, ch <-chan clerk.Event, match func(clerk.Event) bool) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("event channel closed")
			}
			if match(ev) {
				return
			}
		case <-timeout:
			t.Fatal("event did not come")
		}
	}
}

// TestDeadlines follows a received document with a deadline through
// due-soon, overdue and completed, with the recipient's clock moved on.
func TestDeadlines(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn := newClerk(t, h, quangNinh)
	home := filepath.Join(t.TempDir(), "na")
	initClerk(t, h, ngheAn, home)
	var shift atomic.Int64
	na, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), Now: func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { na.Close() })
	d := draft(t, "cong-van.pdf", ngheAn)
	d.Metadata.DueDate = document.DateOf(time.Now().AddDate(0, 0, 2))
	id, err := qn.Issue(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn, na)
	if _, err := na.Register(id, "Văn thư"); err != nil {
		t.Fatal(err)
	}
	ids := func(rows []store.Summary, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	steps := []struct {
		name          string
		days          int
		complete      bool
		soon, overdue bool
	}{
		{"today", 0, false, true, false},
		{"five days later", 5, false, false, true},
		{"completed", 5, true, false, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			shift.Store(int64(time.Duration(s.days) * 24 * time.Hour))
			if s.complete {
				if err := na.Complete(id, "Trần Văn Xử", "đã xong"); err != nil {
					t.Fatal(err)
				}
			}
			soon := ids(na.DueSoon(store.Incoming, 0, 10))
			over := ids(na.Overdue(store.Incoming, 10))
			if slices.Contains(soon, id) != s.soon || slices.Contains(over, id) != s.overdue {
				t.Fatalf("due soon %v, overdue %v", soon, over)
			}
		})
	}
}

// TestSyncWhileRunning: a one-off Sync (the "sync now" button) while Run
// long-polls returns without waiting for the poll, and sends what it must.
func TestSyncWhileRunning(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	home := filepath.Join(t.TempDir(), "qn")
	initClerk(t, h, quangNinh, home)
	qn, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), PollWait: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { qn.Close() })
	na := newClerk(t, h, ngheAn)
	events, cancel := qn.Subscribe()
	defer cancel()
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { qn.Run(rctx); close(done) }()
	defer func() { stop(); <-done }()
	waitFor(t, events, func(ev clerk.Event) bool { cc, ok := ev.(clerk.ConnectionChanged); return ok && cc.Online })
	if _, err := qn.Issue(ctx, draft(t, "cong-van.pdf", ngheAn)); err != nil {
		t.Fatal(err)
	}
	sctx, scancel := context.WithTimeout(ctx, 10*time.Second) // well under the 20 s poll
	defer scancel()
	if err := qn.Sync(sctx); err != nil {
		t.Fatalf("sync while running: %v", err)
	}
	mustSync(t, ctx, na)
	if rows := inbox(t, na); len(rows) != 1 {
		t.Fatalf("inbox %d", len(rows))
	}
}
