package storetest

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
)

// refusalTests are the conformance cases of store.Refusals.
var refusalTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"Refuse/OneTransactionNeverListedAgain", testRefuse},
	{"Refuse/RetryReturnsSame", testRefuseTwice},
	{"Refuse/EndsTheDeliveryOneWay", testRefuseExclusive},
	{"Refuse/Rules", testRefuseRules},
}

// testRefuse refuses one delivery of three: it leaves the recipient's
// queue for good (the next document is listed), the log gains the refusal
// and the status, the receipt is kept at the refusal's log index, and the
// sender's status queue gets 02 with the reason, carried by the receipt.
func testRefuse(t *testing.T, s store.Store) {
	bad := NewSubmission(Quangninh, 100, Govoffice)
	good := NewSubmission(Caobang, 100, Govoffice)
	good.Received = T0.Add(time.Second)
	accept(t, s, bad)
	accept(t, s, good)
	before, _ := s.LogSize(ctx)
	at := T0.Add(time.Minute)
	const reason = "Tệp đính kèm vượt quá giới hạn 100 MB của hệ thống nhận"
	sealed := &sealCall{}
	d, existed, err := s.Refuse(ctx, Govoffice, bad.MessageID, reason, at, sealed.seal(store.Receipt{MessageID: bad.MessageID, Event: "refused", Party: Govoffice, At: at}))
	if err != nil || existed {
		t.Fatalf("Refuse: existed=%v %v", existed, err)
	}
	if d.State != store.Refused || d.Reason != reason || !d.RefusedAt.Equal(at) || d.LogIndex != sealed.logIndex {
		t.Fatalf("refused delivery = %+v (sealed at log index %d)", d, sealed.logIndex)
	}
	if got := inboxIDs(t, s, Govoffice, at.Add(time.Hour)); !slices.Equal(got, []string{good.MessageID}) {
		t.Fatalf("inbox after the refusal = %v, want only the next document %s", got, good.MessageID)
	}
	if leased, err := s.Lease(ctx, Govoffice, 10, at, time.Minute); err != nil || !slices.Equal(ids(leased), []string{good.MessageID}) {
		t.Fatalf("lease after the refusal = %v, %v", ids(leased), err)
	}
	dels, _ := s.Deliveries(ctx, bad.MessageID)
	if len(dels) != 1 || dels[0].State != store.Refused {
		t.Fatalf("deliveries = %+v", dels)
	}
	rcs, _ := s.Receipts(ctx, bad.MessageID)
	if !slices.ContainsFunc(rcs, func(r store.Receipt) bool {
		return r.Event == "refused" && r.Party == Govoffice && bytes.Equal(r.Signed, sealed.receipt.Signed)
	}) {
		t.Fatalf("receipts = %+v, want the refusal's", rcs)
	}
	hist, _ := s.StatusHistory(ctx, bad.MessageID)
	if len(hist) != 1 || hist[0].Code != document.StatusRefused || hist[0].Reason != reason || !bytes.Equal(hist[0].Signed, sealed.receipt.Signed) {
		t.Fatalf("history = %+v, want 02 with the reason carried by the receipt", hist)
	}
	queued, _ := s.StatusInbox(ctx, Quangninh, 0, 10)
	if len(queued) != 1 || queued[0].Code != document.StatusRefused || queued[0].From != Govoffice || queued[0].Reason != reason {
		t.Fatalf("sender's status queue = %+v", queued)
	}
	if n, _ := s.LogSize(ctx); n != before+2 {
		t.Fatalf("the refusal added %d log entries, want the refusal and its status", n-before)
	}
	raw, err := s.LogEntries(ctx, d.LogIndex, d.LogIndex+1)
	if err != nil || len(raw) != 1 {
		t.Fatalf("LogEntries: %v", err)
	}
	if e, err := auditlog.DecodeEntry(raw[0]); err != nil || e.Kind != auditlog.KindRefused || e.Agency != string(Govoffice) || e.MessageID != bad.MessageID {
		t.Fatalf("log entry of the refusal = %+v, %v", e, err)
	}
	if st, _ := s.Stats(ctx, Govoffice); st.Acked != 0 || st.Statuses[document.StatusRefused] != 1 {
		t.Fatalf("stats = %+v: a refusal is not a delivery", st)
	}
	s = reopen(t, s)
	if got := inboxIDs(t, s, Govoffice, at.Add(time.Hour)); !slices.Equal(got, []string{good.MessageID}) {
		t.Fatalf("inbox after reopening = %v", got)
	}
}

// testRefuseTwice retries a refusal: the same delivery, existed, nothing
// added, whatever reason the retry gives.
func testRefuseTwice(t *testing.T, s store.Store) {
	m := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, m)
	at := T0.Add(time.Minute)
	first := &sealCall{}
	d1, _, err := s.Refuse(ctx, Govoffice, m.MessageID, "Chữ ký số của cơ quan gửi đã hết hạn", at, first.seal(store.Receipt{MessageID: m.MessageID, Event: "refused", Party: Govoffice, At: at}))
	if err != nil {
		t.Fatal(err)
	}
	size, _ := s.LogSize(ctx)
	again := &sealCall{}
	d2, existed, err := s.Refuse(ctx, Govoffice, m.MessageID, "another reason", at.Add(time.Hour), again.seal(store.Receipt{MessageID: m.MessageID, Event: "refused", Party: Govoffice, At: at.Add(time.Hour)}))
	if err != nil || !existed || again.calls != 0 {
		t.Fatalf("retry: existed=%v, seal called %d times, %v", existed, again.calls, err)
	}
	if d2.Reason != d1.Reason || !d2.RefusedAt.Equal(d1.RefusedAt) || d2.LogIndex != d1.LogIndex {
		t.Fatalf("retry answered %+v, first %+v", d2, d1)
	}
	if n, _ := s.LogSize(ctx); n != size {
		t.Fatalf("the retry added %d log entries", n-size)
	}
	if h, _ := s.StatusHistory(ctx, m.MessageID); len(h) != 1 {
		t.Fatalf("history after the retry = %+v", h)
	}
}

// testRefuseExclusive: a delivery ends acknowledged or refused, never
// both; a withdrawn one cannot be refused, and a recall leaves a refused
// one as it is.
func testRefuseExclusive(t *testing.T, s store.Store) {
	at := T0.Add(time.Minute)
	seal := func(id, event string) store.Seal {
		return (&sealCall{}).seal(store.Receipt{MessageID: id, Event: event, Party: Govoffice, At: at})
	}
	acked := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, acked)
	if _, _, err := s.Ack(ctx, Govoffice, acked.MessageID, "", at, seal(acked.MessageID, "delivered")); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Refuse(ctx, Govoffice, acked.MessageID, "Gửi nhầm", at, seal(acked.MessageID, "refused"))
	wantErr(t, err, store.ErrConflict)

	refused := NewSubmission(Quangninh, 100, Govoffice, Nghean)
	accept(t, s, refused)
	if _, _, err := s.Refuse(ctx, Govoffice, refused.MessageID, "Gửi nhầm", at, seal(refused.MessageID, "refused")); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Ack(ctx, Govoffice, refused.MessageID, "", at, seal(refused.MessageID, "delivered"))
	wantErr(t, err, store.ErrConflict)
	if st, _ := s.Stats(ctx, Govoffice); st.Acked != 1 {
		t.Fatalf("stats after acknowledging a refused delivery = %+v", st)
	}

	recall := NewSubmission(Quangninh, 100, Govoffice, Nghean)
	recall.Kind, recall.Targets = document.BusinessRecall, []string{refused.MessageID}
	res := accept(t, s, recall)
	if len(res.Recalls) != 1 || slices.Contains(res.Recalls[0].Withdrawn, Govoffice) || slices.Contains(res.Recalls[0].AlreadyAcked, Govoffice) {
		t.Fatalf("recall outcome = %+v: the refused delivery is neither withdrawn nor acknowledged", res.Recalls)
	}
	dels, _ := s.Deliveries(ctx, refused.MessageID)
	for _, d := range dels {
		want := map[string]store.DeliveryState{string(Govoffice): store.Refused, string(Nghean): store.Withdrawn}[string(d.Recipient)]
		if d.State != want {
			t.Fatalf("delivery to %s = %s, want %s", d.Recipient, d.State, want)
		}
	}
	_, _, err = s.Refuse(ctx, Nghean, refused.MessageID, "Gửi nhầm", at, seal(refused.MessageID, "refused"))
	wantErr(t, err, store.ErrWithdrawn)
}

// testRefuseRules: what a refusal needs, and who may make one.
func testRefuseRules(t *testing.T, s store.Store) {
	m := NewSubmission(Quangninh, 100, Govoffice)
	accept(t, s, m)
	at := T0.Add(time.Minute)
	seal := func() store.Seal {
		return (&sealCall{}).seal(store.Receipt{MessageID: m.MessageID, Event: "refused", Party: Govoffice, At: at})
	}
	for _, tc := range []struct {
		name      string
		recipient string
		id        string
		reason    string
		seal      store.Seal
		want      error
	}{
		{"no reason", string(Govoffice), m.MessageID, "  ", seal(), store.ErrInvalid},
		{"reason too long", string(Govoffice), m.MessageID, strings.Repeat("ạ", document.MaxReason+1), seal(), store.ErrInvalid},
		{"control characters", string(Govoffice), m.MessageID, "Gửi nhầm\x1b[2J", seal(), store.ErrInvalid},
		{"no receipt", string(Govoffice), m.MessageID, "Gửi nhầm", nil, store.ErrInvalid},
		{"not a recipient", string(Nghean), m.MessageID, "Gửi nhầm", seal(), store.ErrNotFound},
		{"the sender", string(Quangninh), m.MessageID, "Gửi nhầm", seal(), store.ErrNotFound},
		{"unknown message", string(Govoffice), NewID(), "Gửi nhầm", seal(), store.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.Refuse(ctx, certs.AgencyCode(tc.recipient), tc.id, tc.reason, at, tc.seal)
			wantErr(t, err, tc.want)
		})
	}
	if got := inboxIDs(t, s, Govoffice, at); !slices.Equal(got, []string{m.MessageID}) {
		t.Fatalf("inbox after refused refusals = %v", got)
	}

	// A history the recipient began itself decides: 02 after its own 03
	// may not be.
	if _, _, err := s.Ack(ctx, Govoffice, m.MessageID, "", at, (&sealCall{}).seal(store.Receipt{MessageID: m.MessageID, Event: "delivered", Party: Govoffice, At: at})); err != nil {
		t.Fatal(err)
	}
	other := NewSubmission(Quangninh, 100, Nghean)
	accept(t, s, other)
	for _, code := range []document.Status{document.StatusArrived, document.StatusReceived} {
		if _, _, err := s.AppendStatus(ctx, &store.StatusUpdate{MessageID: other.MessageID, From: Nghean, Code: code, At: at, Signed: []byte("signed " + string(code))}); err != nil {
			t.Fatal(err)
		}
	}
	size, _ := s.LogSize(ctx)
	_, _, err := s.Refuse(ctx, Nghean, other.MessageID, "Gửi nhầm", at, (&sealCall{}).seal(store.Receipt{MessageID: other.MessageID, Event: "refused", Party: Nghean, At: at}))
	if !errors.Is(err, document.ErrTransition) {
		t.Fatalf("refusal after the recipient's own 03: %v, want a transition error", err)
	}
	if n, _ := s.LogSize(ctx); n != size {
		t.Fatalf("a refused refusal added %d log entries", n-size)
	}
	if got := inboxIDs(t, s, Nghean, at); !slices.Equal(got, []string{other.MessageID}) {
		t.Fatalf("a refused refusal changed the inbox: %v", got)
	}
}
