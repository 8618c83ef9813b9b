package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// TestStatusHistoryCannotBePoisoned is issue 14's finding 10 on a real
// hub: a status the recipient's history does not allow (03 after 05) is
// refused, so the statuses that should follow still go through; and a
// status naming another document than the one it is posted about is
// refused too.
func TestStatusHistoryCannotBePoisoned(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vp, na := h.Client(t, vpcp, false), h.Client(t, ngheAn, false)
	pdf := readPDF(t, "quyet-dinh.pdf")
	doc, other := compose(t, h, vpcp, pdf, "901", ngheAn), compose(t, h, vpcp, pdf, "902", ngheAn)
	doc.send(t, ctx, vp)
	other.send(t, ctx, vp)
	takeOne(t, ctx, na, h, doc.id)
	takeOne(t, ctx, na, h, other.id)

	post := func(code document.Status, edit func(*envelope.Status)) error {
		_, err := na.PostStatus(ctx, editedStatusPacket(t, h, ngheAn, doc, code, "", edit))
		return err
	}
	for _, code := range []document.Status{document.StatusReceived, document.StatusProcessing} {
		if err := post(code, nil); err != nil {
			t.Fatalf("%s: %v", code, err)
		}
	}
	if err := post(document.StatusReceived, nil); wire.CodeOf(err) != wire.CodeInvalidStatus {
		t.Fatalf("03 after 05: %v, want %s", err, wire.CodeInvalidStatus)
	}
	otherID := mustOpen(t, h, other).Metadata.ID()
	if err := post(document.StatusCompleted, func(s *envelope.Status) { s.Update.Document = otherID }); wire.CodeOf(err) != wire.CodeInvalidStatus {
		t.Fatalf("a status naming another document: %v, want %s", err, wire.CodeInvalidStatus)
	}
	if err := post(document.StatusCompleted, nil); err != nil {
		t.Fatalf("06 after the refused statuses: %v", err)
	}
	st, err := vp.Statuses(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, it := range st.Items {
		if it.MessageID == doc.id {
			codes = append(codes, it.Code)
		}
	}
	if want := "[01 03 05 06]"; fmt.Sprint(codes) != want {
		t.Errorf("the sender's statuses %v, want %s", codes, want)
	}
}

func mustOpen(t *testing.T, h *hubtest.Hub, d *sentDoc) *envelope.Document {
	t.Helper()
	doc, _, err := envelope.OpenDocument(d.packet, h.Verifier(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
