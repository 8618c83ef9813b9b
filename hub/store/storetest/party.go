package storetest

import (
	"reflect"
	"testing"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

// testMessageParty checks MessageParty against Message and Deliveries: the
// message without its envelope and report, and the asking agency's own
// delivery, as it moves from pending to acknowledged or withdrawn.
func testMessageParty(t *testing.T, s store.Store) {
	sub := NewSubmission(Quangninh, 300, Govoffice, Nghean)
	accept(t, s, sub)
	full, err := s.Message(ctx, sub.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	want := full
	want.Envelope, want.Report = nil, nil

	party := func(agency certs.AgencyCode) *store.Delivery {
		t.Helper()
		m, d, err := s.MessageParty(ctx, sub.MessageID, agency)
		if err != nil {
			t.Fatalf("message party %s: %v", agency, err)
		}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("message party %s: message %+v, want %+v", agency, m, want)
		}
		if d != nil && (d.Recipient != agency || d.MessageID != sub.MessageID) {
			t.Fatalf("message party %s: the delivery of %s to %s", agency, d.MessageID, d.Recipient)
		}
		return d
	}
	for _, a := range []certs.AgencyCode{Quangninh, Caobang} {
		if d := party(a); d != nil {
			t.Fatalf("%s is no recipient but has a delivery: %+v", a, d)
		}
	}
	if d := party(Govoffice); d == nil || d.State != store.Pending {
		t.Fatalf("a recipient's pending delivery = %+v", d)
	}
	if _, _, err := s.Ack(ctx, Nghean, sub.MessageID, "", T0, nil); err != nil {
		t.Fatal(err)
	}
	if d := party(Nghean); d == nil || d.State != store.Acked {
		t.Fatalf("an acknowledged delivery = %+v", d)
	}
	recall := NewSubmission(Quangninh, 200, Govoffice, Nghean)
	recall.Kind, recall.Targets = document.BusinessRecall, []string{sub.MessageID}
	accept(t, s, recall)
	if d := party(Govoffice); d == nil || d.State != store.Withdrawn || d.WithdrawnBy != recall.MessageID {
		t.Fatalf("a withdrawn delivery = %+v", d)
	}
	if d := party(Nghean); d == nil || d.State != store.Acked {
		t.Fatalf("an acknowledged delivery after the recall = %+v", d)
	}
	_, _, err = s.MessageParty(ctx, NewID(), Govoffice)
	wantErr(t, err, store.ErrNotFound)
}
