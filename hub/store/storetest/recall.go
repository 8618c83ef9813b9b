package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

func testRecall(t *testing.T, s store.Store) {
	orig := NewSubmission(Quangninh, 300, Govoffice, Nghean, Caobang)
	accept(t, s, orig)
	if _, _, err := s.Ack(ctx, Nghean, orig.MessageID, "", T0, nil); err != nil {
		t.Fatal(err)
	}
	// Caobang holds a lease but has not acknowledged: still withdrawn.
	if _, err := s.Lease(ctx, Caobang, 1, T0, time.Hour); err != nil {
		t.Fatal(err)
	}
	recall := NewSubmission(Quangninh, 200, Govoffice, Nghean, Caobang)
	recall.Kind, recall.Targets = document.BusinessRecall, []string{orig.MessageID}
	res := accept(t, s, recall)
	want := []store.RecallOutcome{{Target: orig.MessageID, Withdrawn: []certs.AgencyCode{Govoffice, Caobang}, AlreadyAcked: []certs.AgencyCode{Nghean}}}
	if !recallsEqual(res.Recalls, want) {
		t.Fatalf("recall outcome = %+v, want %+v", res.Recalls, want)
	}
	for _, r := range []certs.AgencyCode{Govoffice, Caobang, Nghean} {
		if got := inboxIDs(t, s, r, T0.Add(2*time.Hour)); !slices.Equal(got, []string{recall.MessageID}) {
			t.Fatalf("inbox of %s = %v, want only the recall", r, got)
		}
	}
	_, _, err := s.Ack(ctx, Govoffice, orig.MessageID, "", T0, nil)
	wantErr(t, err, store.ErrWithdrawn)
	leased, err := s.Lease(ctx, Caobang, 10, T0.Add(2*time.Hour), time.Hour)
	if err != nil || !slices.Equal(ids(leased), []string{recall.MessageID}) {
		t.Fatalf("lease after recall = %v, %v", ids(leased), err)
	}
	ds, _ := s.Deliveries(ctx, orig.MessageID)
	states := map[certs.AgencyCode]store.DeliveryState{}
	for _, d := range ds {
		states[d.Recipient] = d.State
		if d.State == store.Withdrawn && d.WithdrawnBy != recall.MessageID {
			t.Fatalf("withdrawn by %q", d.WithdrawnBy)
		}
	}
	if states[Govoffice] != store.Withdrawn || states[Caobang] != store.Withdrawn || states[Nghean] != store.Acked {
		t.Fatalf("states = %v", states)
	}
	// A retried recall returns the same outcome and changes nothing.
	again, existed, err := s.Accept(ctx, recall, nil)
	if err != nil || !existed || !recallsEqual(again.Recalls, want) {
		t.Fatalf("retried recall = %+v existed=%v err=%v", again, existed, err)
	}
	st, _ := s.Stats(ctx, Govoffice)
	if st.Withdrawn != 1 || st.Received != 2 {
		t.Fatalf("stats after recall = %+v", st)
	}
}

func recallsEqual(a, b []store.RecallOutcome) bool {
	return slices.EqualFunc(a, b, func(x, y store.RecallOutcome) bool {
		return x.Target == y.Target && slices.Equal(x.Withdrawn, y.Withdrawn) && slices.Equal(x.AlreadyAcked, y.AlreadyAcked)
	})
}

func testRecallRules(t *testing.T, s store.Store) {
	orig := NewSubmission(Quangninh, 300, Govoffice)
	accept(t, s, orig)
	tests := []struct {
		name   string
		sender certs.AgencyCode
		kind   document.BusinessType
		target string
		want   error
	}{
		{"UnknownTarget", Quangninh, document.BusinessRecall, NewID(), store.ErrNotFound},
		{"OtherSendersMessage", Nghean, document.BusinessRecall, orig.MessageID, store.ErrForbidden},
		{"UpdateOfOtherSendersMessage", Nghean, document.BusinessUpdate, orig.MessageID, store.ErrForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := NewSubmission(tc.sender, 100, Govoffice)
			sub.Kind, sub.Targets = tc.kind, []string{tc.target}
			_, _, err := s.Accept(ctx, sub, nil)
			wantErr(t, err, tc.want)
			if _, err := s.Message(ctx, sub.MessageID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("refused submission stored: %v", err)
			}
		})
	}
	// An update or replace leaves the target's deliveries alone.
	upd := NewSubmission(Quangninh, 100, Govoffice)
	upd.Kind, upd.Targets = document.BusinessReplace, []string{orig.MessageID}
	accept(t, s, upd)
	if got := inboxIDs(t, s, Govoffice, T0); !slices.Equal(got, []string{orig.MessageID, upd.MessageID}) {
		t.Fatalf("inbox after replace = %v", got)
	}
}
