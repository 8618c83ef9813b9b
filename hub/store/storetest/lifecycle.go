package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"lienthong/hub/store"
	"lienthong/shared/document"
)

// testStatusHistory checks that a status is refused when the recipient's
// whole history does not allow it (document.Lifecycle), including a 03
// posted again after processing began, and that a resent packet is still
// recognised by its bytes.
func testStatusHistory(t *testing.T, s store.Store) {
	m := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, m)
	post := func(code document.Status, n int) error {
		t.Helper()
		u := statusOf(m.MessageID, Govoffice, code, n)
		u.Document = m.DocumentID
		if code == document.StatusRefused {
			u.Reason = "Gửi nhầm cơ quan"
		}
		_, _, err := s.AppendStatus(ctx, u)
		return err
	}
	steps := []struct {
		code document.Status
		ok   bool
	}{
		{document.StatusReceived, false}, // 03 before 01
		{document.StatusArrived, true},
		{document.StatusReceived, true},
		{document.StatusProcessing, true},
		{document.StatusReceived, false}, // 03 again, after 05
		{document.StatusRefused, false},  // 02 after 03
		{document.StatusCompleted, true},
		{document.StatusReceived, false}, // 03 after 06
		{document.StatusProcessing, false},
		{document.StatusArrived, false}, // 01 comes once
	}
	for i, st := range steps {
		err := post(st.code, i+1)
		if st.ok && err != nil {
			t.Fatalf("step %d: %s refused: %v", i+1, st.code, err)
		}
		if !st.ok && !errors.Is(err, document.ErrTransition) {
			t.Fatalf("step %d: %s: error %v, want a refused transition", i+1, st.code, err)
		}
	}
	// A resent packet is the stored status, whatever the history says now.
	if _, existed, err := s.AppendStatus(ctx, statusOf(m.MessageID, Govoffice, document.StatusReceived, 3)); err != nil || !existed {
		t.Fatalf("resent 03: existed=%v err=%v", existed, err)
	}
	hist, err := s.StatusHistory(ctx, m.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	var codes []document.Status
	for _, h := range hist {
		codes = append(codes, h.Code)
	}
	want := []document.Status{document.StatusArrived, document.StatusReceived, document.StatusProcessing, document.StatusCompleted}
	if fmt.Sprint(codes) != fmt.Sprint(want) {
		t.Fatalf("history = %v, want %v", codes, want)
	}

	// A recall packet has the short history of its business type: 01,
	// then 15 or 16, which ends it.
	recall := NewSubmission(Quangninh, 100, Govoffice)
	recall.Kind, recall.Targets = document.BusinessRecall, []string{m.MessageID}
	accept(t, s, recall)
	for i, st := range []struct {
		code document.Status
		ok   bool
	}{
		{document.StatusArrived, true},
		{document.StatusReceived, false},
		{document.StatusAccepted, true},
		{document.StatusRejected, false},
	} {
		_, _, err := s.AppendStatus(ctx, statusOf(recall.MessageID, Govoffice, st.code, 100+i))
		if st.ok != (err == nil) || (err != nil && !errors.Is(err, document.ErrTransition)) {
			t.Fatalf("recall step %d: %s: %v", i+1, st.code, err)
		}
	}
}

// testStatusRace posts statuses that exclude each other (02 and 03 may
// each follow 01, but not each other) at once: the check runs in the
// transaction that stores, so exactly one is kept.
func testStatusRace(t *testing.T, s store.Store) {
	m := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, m)
	if _, _, err := s.AppendStatus(ctx, statusOf(m.MessageID, Govoffice, document.StatusArrived, 1)); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		stored  int
		refused int
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := statusOf(m.MessageID, Govoffice, document.StatusReceived, 10+i)
			if i%2 == 0 {
				u.Code, u.Reason = document.StatusRefused, "Gửi nhầm cơ quan"
			}
			_, _, err := s.AppendStatus(ctx, u)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				stored++
			case errors.Is(err, document.ErrTransition):
				refused++
			default:
				t.Errorf("status %s: %v", u.Code, err)
			}
		}()
	}
	wg.Wait()
	if stored != 1 || refused != n-1 {
		t.Fatalf("%d statuses stored and %d refused, want 1 and %d", stored, refused, n-1)
	}
	hist, _ := s.StatusHistory(ctx, m.MessageID)
	if len(hist) != 2 {
		t.Fatalf("history has %d entries, want 01 and one answer", len(hist))
	}
	if inbox, _ := s.StatusInbox(ctx, Quangninh, 0, 100); len(inbox) != 2 {
		t.Fatalf("sender's status inbox has %d entries, want 2", len(inbox))
	}
}

// testAckArrival checks that an acknowledgement with a receipt appends
// status 01 carried by that receipt in its own transaction: both or
// neither, once, and not over a history the recipient began itself.
func testAckArrival(t *testing.T, s store.Store) {
	m := NewSubmission(Quangninh, 100, Govoffice, Nghean, Caobang)
	accept(t, s, m)
	logSize := func() int64 {
		t.Helper()
		n, err := s.LogSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	historyOf := func(from string) []store.StatusUpdate {
		t.Helper()
		hist, err := s.StatusHistory(ctx, m.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		var out []store.StatusUpdate
		for _, h := range hist {
			if string(h.From) == from {
				out = append(out, h)
			}
		}
		return out
	}
	at := T0.Add(time.Minute)

	// A seal that fails: neither the acknowledgement nor its status.
	failing := &sealCall{fail: errors.New("signing key unavailable")}
	before := logSize()
	if _, _, err := s.Ack(ctx, Govoffice, m.MessageID, "", at, failing.seal(store.Receipt{})); err == nil {
		t.Fatal("Ack with a failing seal succeeded")
	}
	if h := historyOf(string(Govoffice)); len(h) != 0 || logSize() != before {
		t.Fatalf("a failed acknowledgement left statuses %+v or %d log entries", h, logSize()-before)
	}

	sealed := &sealCall{}
	rc := store.Receipt{MessageID: m.MessageID, Event: "delivered", Party: Govoffice, At: at}
	d, existed, err := s.Ack(ctx, Govoffice, m.MessageID, "", at, sealed.seal(rc))
	if err != nil || existed {
		t.Fatalf("Ack: existed=%v %v", existed, err)
	}
	h := historyOf(string(Govoffice))
	if len(h) != 1 || h[0].Code != document.StatusArrived || !bytes.Equal(h[0].Signed, sealed.receipt.Signed) ||
		!h[0].At.Equal(at) || h[0].Sender != Quangninh {
		t.Fatalf("arrival status = %+v, want 01 carried by the receipt %q", h, sealed.receipt.Signed)
	}
	if h[0].LogIndex != d.LogIndex+1 || logSize() != before+2 {
		t.Fatalf("log: delivery at %d, status at %d, %d entries added", d.LogIndex, h[0].LogIndex, logSize()-before)
	}
	inbox, _ := s.StatusInbox(ctx, Quangninh, 0, 10)
	if len(inbox) != 1 || inbox[0].From != Govoffice || inbox[0].Code != document.StatusArrived {
		t.Fatalf("sender's status inbox = %+v", inbox)
	}
	if st, _ := s.Stats(ctx, Govoffice); st.Statuses[document.StatusArrived] != 1 || st.Acked != 1 {
		t.Fatalf("stats = %+v", st)
	}

	// A retry adds nothing.
	again := &sealCall{}
	if _, existed, err := s.Ack(ctx, Govoffice, m.MessageID, "", at.Add(time.Hour), again.seal(rc)); err != nil || !existed {
		t.Fatalf("second Ack: existed=%v %v", existed, err)
	}
	if h := historyOf(string(Govoffice)); len(h) != 1 || logSize() != before+2 {
		t.Fatalf("a retried Ack added statuses (%d) or log entries (%d)", len(h), logSize()-before)
	}

	// A recipient that sent 01 itself keeps its own.
	own := statusOf(m.MessageID, Nghean, document.StatusArrived, 5)
	if _, _, err := s.AppendStatus(ctx, own); err != nil {
		t.Fatal(err)
	}
	rcN := store.Receipt{MessageID: m.MessageID, Event: "delivered", Party: Nghean, At: at}
	if _, _, err := s.Ack(ctx, Nghean, m.MessageID, "", at, (&sealCall{}).seal(rcN)); err != nil {
		t.Fatal(err)
	}
	if h := historyOf(string(Nghean)); len(h) != 1 || !bytes.Equal(h[0].Signed, own.Signed) {
		t.Fatalf("history of a recipient that sent 01 itself = %+v", h)
	}

	// Without a receipt there is nothing to carry the status.
	if _, _, err := s.Ack(ctx, Caobang, m.MessageID, "", at, nil); err != nil {
		t.Fatal(err)
	}
	if h := historyOf(string(Caobang)); len(h) != 0 {
		t.Fatalf("an Ack without a seal appended %+v", h)
	}
}
