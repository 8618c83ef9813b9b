package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// business signs again a composed document as a recall, update or
// replacement of targets (all sent by the same agency). A recall carries
// no attachment.
func business(t *testing.T, h *hubtest.Hub, d *sentDoc, from string, typ document.BusinessType, reason string, targets ...*sentDoc) *sentDoc {
	t.Helper()
	var refs []document.DocumentRef
	var ids []string
	for _, tg := range targets {
		td, _, err := envelope.OpenDocument(tg.packet, h.Verifier(), 0)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, td.Metadata.ID())
		ids = append(ids, tg.id)
	}
	d.packet = resign(t, h, from, d.packet, func(doc *envelope.Document) {
		doc.Metadata.Business = document.Business{Type: typ, Documents: refs, Reason: reason}
		doc.Targets = ids
		if typ == document.BusinessRecall {
			doc.Attachments = nil
		}
	})
	if typ == document.BusinessRecall {
		d.pdf, d.digest = nil, ""
	}
	return d
}

// submit uploads the attachment (if any) and submits, returning the
// hub's answer or its error.
func (d *sentDoc) submit(ctx context.Context, c *hubclient.Client) (*wire.Submitted, error) {
	if d.pdf != nil {
		if err := c.Upload(ctx, d.digest, bytes.NewReader(d.pdf), int64(len(d.pdf)), 0, nil); err != nil {
			return nil, err
		}
	}
	return c.Submit(ctx, d.packet)
}

// inboxIDs lists the message ids waiting in an agency's inbox, without
// acknowledging anything.
func inboxIDs(t *testing.T, ctx context.Context, c *hubclient.Client) []string {
	t.Helper()
	in, err := c.Inbox(ctx, 0, 0)
	if err != nil {
		t.Fatalf("inbox: %v", err)
	}
	var ids []string
	for _, it := range in.Items {
		ids = append(ids, it.MessageID)
	}
	return ids
}

// takeOne fetches the message want from an agency's inbox (which must
// hold it), downloads and checks its attachments, acknowledges it, and
// returns its verified document. Other messages stay in the inbox.
func takeOne(t *testing.T, ctx context.Context, c *hubclient.Client, h *hubtest.Hub, want string) *envelope.Document {
	t.Helper()
	in, err := c.Inbox(ctx, 0, 5*time.Second)
	if err != nil {
		t.Fatalf("inbox: %v", err)
	}
	for _, item := range in.Items {
		if item.MessageID != want {
			continue
		}
		d, _, err := envelope.OpenDocument(item.Packet, h.Verifier(), 0)
		if err != nil {
			t.Fatalf("received packet does not verify: %v", err)
		}
		for _, a := range d.Attachments {
			var buf bytes.Buffer
			if _, err := c.Download(ctx, item.MessageID, a.SHA256, 0, &buf); err != nil {
				t.Fatalf("download: %v", err)
			}
			if sum := sha256.Sum256(buf.Bytes()); hex.EncodeToString(sum[:]) != a.SHA256 {
				t.Fatal("downloaded attachment does not match its digest")
			}
		}
		if _, err := c.Ack(ctx, item.MessageID); err != nil {
			t.Fatalf("ack: %v", err)
		}
		return d
	}
	t.Fatalf("message %s is not in the inbox", want)
	return nil
}

// statusCodes collects the sender's status queue as "message from code"
// triples, and acknowledges them.
type statusKey struct{ msg, from, code string }

func drainStatuses(t *testing.T, ctx context.Context, c *hubclient.Client) []statusKey {
	t.Helper()
	st, err := c.Statuses(ctx, 0, 0)
	if err != nil {
		t.Fatalf("statuses: %v", err)
	}
	var out []statusKey
	var cursors []uint64
	for _, it := range st.Items {
		out = append(out, statusKey{it.MessageID, it.From, it.Code})
		cursors = append(cursors, it.Cursor)
	}
	if len(cursors) > 0 {
		if err := c.AckStatuses(ctx, cursors); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func sentState(t *testing.T, ctx context.Context, c *hubclient.Client, id string) map[string]wire.RecipientState {
	t.Helper()
	sent, err := c.Sent(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range sent.Items {
		if it.MessageID == id {
			out := map[string]wire.RecipientState{}
			for _, rs := range it.Recipients {
				out[rs.Agency] = rs
			}
			return out
		}
	}
	t.Fatalf("message %s not in the sent list", id)
	return nil
}

func hasAll(got []statusKey, want ...statusKey) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// TestRecall sends a document to two provinces, lets one of them fetch
// and acknowledge it, and recalls it: the other's copy is withdrawn, and
// the one that had it answers the recall with 15 or 16.
func TestRecall(t *testing.T) {
	tests := []struct {
		name   string
		answer document.Status
		reason string
	}{
		{"accepted", document.StatusAccepted, ""},
		{"refused", document.StatusRejected, "Văn bản đã được triển khai thực hiện"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hubtest.Start(t, hubtest.Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			gov := h.Client(t, vpcp, false)
			qn := h.Client(t, quangNinh, false)
			na := h.Client(t, ngheAn, false)

			orig := compose(t, h, vpcp, readPDF(t, "cong-van.pdf"), "301", quangNinh, ngheAn)
			orig.send(t, ctx, gov)
			takeOne(t, ctx, qn, h, orig.id) // Quảng Ninh fetches and acknowledges; Nghệ An does not

			recall := business(t, h, compose(t, h, vpcp, nil, "302", quangNinh, ngheAn), vpcp, document.BusinessRecall, "Ban hành nhầm", orig)
			res, err := recall.submit(ctx, gov)
			if err != nil {
				t.Fatalf("submit recall: %v", err)
			}
			want := []wire.RecallOutcome{{MessageID: orig.id, Withdrawn: []string{ngheAn}, AlreadyAcked: []string{quangNinh}}}
			if len(res.Recalls) != 1 || res.Recalls[0].MessageID != want[0].MessageID ||
				!slices.Equal(res.Recalls[0].Withdrawn, want[0].Withdrawn) || !slices.Equal(res.Recalls[0].AlreadyAcked, want[0].AlreadyAcked) {
				t.Fatalf("recalls = %+v, want %+v", res.Recalls, want)
			}
			t.Run("retry answers the same outcome", func(t *testing.T) {
				again, err := gov.Submit(ctx, recall.packet)
				if err != nil || !again.Existed {
					t.Fatalf("retried recall: %v", err)
				}
				if len(again.Recalls) != 1 || !slices.Equal(again.Recalls[0].Withdrawn, []string{ngheAn}) || !slices.Equal(again.Recalls[0].AlreadyAcked, []string{quangNinh}) {
					t.Fatalf("retried recall: %+v", again.Recalls)
				}
			})

			// Nghệ An never sees the original again: only the recall.
			if ids := inboxIDs(t, ctx, na); !slices.Equal(ids, []string{recall.id}) {
				t.Fatalf("Nghệ An's inbox = %v, want only the recall %s", ids, recall.id)
			}
			if _, err := na.Ack(ctx, orig.id); wire.CodeOf(err) != wire.CodeWithdrawn {
				t.Fatalf("ack of the withdrawn document: %v, want %s", err, wire.CodeWithdrawn)
			}
			t.Run("the withdrawn copy cannot be fetched", func(t *testing.T) {
				_, err := na.Message(ctx, orig.id)
				var buf bytes.Buffer
				_, derr := na.Download(ctx, orig.id, orig.digest, 0, &buf)
				if wire.CodeOf(err) != wire.CodeWithdrawn || wire.CodeOf(derr) != wire.CodeWithdrawn {
					t.Fatalf("fetch after withdrawal: %v, %v", err, derr)
				}
			})
			// Quảng Ninh, which has the document, gets the recall packet
			// naming it, and answers.
			got := takeOne(t, ctx, qn, h, recall.id)
			if got.Metadata.Business.Type != document.BusinessRecall || !slices.Equal(got.Targets, []string{orig.id}) {
				t.Fatalf("recall packet: business %+v targets %v", got.Metadata.Business, got.Targets)
			}
			if _, err := qn.PostStatus(ctx, statusPacket(t, h, quangNinh, recall, tt.answer, tt.reason)); err != nil {
				t.Fatalf("answer %s: %v", tt.answer, err)
			}
			// A recall answered is closed: no second answer.
			if _, err := qn.PostStatus(ctx, statusPacket(t, h, quangNinh, recall, document.StatusAccepted, "")); tt.answer == document.StatusRejected && wire.CodeOf(err) != wire.CodeInvalidStatus {
				t.Fatalf("second answer: %v, want %s", err, wire.CodeInvalidStatus)
			}
			takeOne(t, ctx, na, h, recall.id)

			statuses := drainStatuses(t, ctx, gov)
			if !hasAll(statuses,
				statusKey{orig.id, quangNinh, "01"},
				statusKey{recall.id, quangNinh, "01"},
				statusKey{recall.id, ngheAn, "01"},
				statusKey{recall.id, quangNinh, string(tt.answer)},
			) || slices.Contains(statuses, statusKey{orig.id, ngheAn, "01"}) {
				t.Fatalf("sender's statuses = %v", statuses)
			}
			st := sentState(t, ctx, gov, orig.id)
			if st[ngheAn].Delivery != "withdrawn" || st[quangNinh].Delivery != "acked" {
				t.Fatalf("original at the recipients: %+v", st)
			}
			st = sentState(t, ctx, gov, recall.id)
			if st[quangNinh].LastCode != string(tt.answer) || st[ngheAn].LastCode != "01" {
				t.Fatalf("recall at the recipients: %+v", st)
			}
		})
	}
}

// TestUpdate sends an update of a document that one recipient has and the
// other has not yet fetched: an update withdraws nothing, both receive it,
// and each answers it.
func TestUpdate(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gov := h.Client(t, vpcp, false)
	qn := h.Client(t, quangNinh, false)
	na := h.Client(t, ngheAn, false)

	orig := compose(t, h, vpcp, readPDF(t, "cong-van.pdf"), "401", quangNinh, ngheAn)
	orig.send(t, ctx, gov)
	takeOne(t, ctx, qn, h, orig.id)

	update := business(t, h, compose(t, h, vpcp, readPDF(t, "quyet-dinh.pdf"), "402", quangNinh, ngheAn), vpcp, document.BusinessUpdate, "Bổ sung phụ lục", orig)
	res, err := update.submit(ctx, gov)
	if err != nil {
		t.Fatalf("submit update: %v", err)
	}
	if len(res.Recalls) != 0 {
		t.Fatalf("an update reported recalls: %+v", res.Recalls)
	}
	if ids := inboxIDs(t, ctx, na); !slices.Equal(ids, []string{orig.id, update.id}) {
		t.Fatalf("Nghệ An's inbox = %v, want the original then the update", ids)
	}
	got := takeOne(t, ctx, qn, h, update.id)
	if got.Metadata.Business.Type != document.BusinessUpdate || !slices.Equal(got.Targets, []string{orig.id}) ||
		len(got.Metadata.Business.Documents) != 1 || got.Metadata.Business.Documents[0].Number != "401" {
		t.Fatalf("update packet: business %+v targets %v", got.Metadata.Business, got.Targets)
	}
	docs, _ := receive(t, ctx, na, h, 0, 5*time.Second)
	if len(docs) != 2 {
		t.Fatalf("Nghệ An received %d documents", len(docs))
	}
	tests := []struct {
		name   string
		c      *hubclient.Client
		from   string
		code   document.Status
		reason string
	}{
		{"Quảng Ninh accepts", qn, quangNinh, document.StatusAccepted, ""},
		{"Nghệ An refuses", na, ngheAn, document.StatusRejected, "Không thống nhất nội dung cập nhật"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.c.PostStatus(ctx, statusPacket(t, h, tt.from, update, tt.code, tt.reason)); err != nil {
				t.Fatalf("status %s: %v", tt.code, err)
			}
		})
	}
	t.Run("an update does not take processing statuses", func(t *testing.T) {
		_, err := qn.PostStatus(ctx, statusPacket(t, h, quangNinh, update, document.StatusReceived, ""))
		if wire.CodeOf(err) != wire.CodeInvalidStatus {
			t.Fatalf("03 on an update: %v, want %s", err, wire.CodeInvalidStatus)
		}
	})
	statuses := drainStatuses(t, ctx, gov)
	if !hasAll(statuses,
		statusKey{update.id, quangNinh, "15"},
		statusKey{update.id, ngheAn, "16"},
		statusKey{orig.id, ngheAn, "01"},
	) {
		t.Fatalf("sender's statuses = %v", statuses)
	}
	st := sentState(t, ctx, gov, orig.id)
	if st[ngheAn].Delivery != "acked" || st[quangNinh].Delivery != "acked" {
		t.Fatalf("original after the update: %+v", st)
	}
}

// TestReplace replaces two documents with a third: the replacement names
// both, is delivered as a document of its own and goes through the
// processing statuses; the replaced ones are not withdrawn by the hub.
func TestReplace(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qn := h.Client(t, quangNinh, true) // over the TCP fallback, for variety
	na := h.Client(t, ngheAn, true)

	a := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "501", ngheAn)
	b := compose(t, h, quangNinh, readPDF(t, "quyet-dinh.pdf"), "502", ngheAn)
	a.send(t, ctx, qn)
	b.send(t, ctx, qn)
	takeOne(t, ctx, na, h, a.id) // b is still waiting when the replacement comes

	pdf := append(readPDF(t, "cong-van.pdf"), "\n% thay thế\n"...)
	repl := business(t, h, compose(t, h, quangNinh, pdf, "503", ngheAn), quangNinh, document.BusinessReplace, "Thay thế văn bản số 501 và 502", a, b)
	if _, err := repl.submit(ctx, qn); err != nil {
		t.Fatalf("submit replacement: %v", err)
	}
	if ids := inboxIDs(t, ctx, na); !slices.Equal(ids, []string{b.id, repl.id}) {
		t.Fatalf("Nghệ An's inbox = %v, want %s then the replacement %s", ids, b.id, repl.id)
	}
	docs, _ := receive(t, ctx, na, h, 0, 5*time.Second)
	if len(docs) != 2 || docs[1].MessageID != repl.id {
		t.Fatalf("received %d documents", len(docs))
	}
	got := docs[1]
	var numbers []string
	for _, ref := range got.Metadata.Business.Documents {
		numbers = append(numbers, ref.Number)
	}
	if got.Metadata.Business.Type != document.BusinessReplace || !slices.Equal(numbers, []string{"501", "502"}) || !slices.Equal(got.Targets, []string{a.id, b.id}) {
		t.Fatalf("replacement names %v (targets %v)", numbers, got.Targets)
	}
	// A replacement is a document: it is registered and processed.
	for _, code := range []document.Status{document.StatusReceived, document.StatusAssigned, document.StatusProcessing} {
		if _, err := na.PostStatus(ctx, statusPacket(t, h, ngheAn, repl, code, "")); err != nil {
			t.Fatalf("status %s on the replacement: %v", code, err)
		}
	}
	statuses := drainStatuses(t, ctx, qn)
	if !hasAll(statuses, statusKey{repl.id, ngheAn, "01"}, statusKey{repl.id, ngheAn, "03"}, statusKey{repl.id, ngheAn, "05"}) {
		t.Fatalf("sender's statuses = %v", statuses)
	}
	for _, tg := range []*sentDoc{a, b} {
		if st := sentState(t, ctx, qn, tg.id); st[ngheAn].Delivery != "acked" {
			t.Fatalf("replaced %s at Nghệ An: %+v", tg.id, st[ngheAn])
		}
	}
	if st := sentState(t, ctx, qn, repl.id); st[ngheAn].LastCode != "05" {
		t.Fatalf("replacement at Nghệ An: %+v", st[ngheAn])
	}
}

// TestBusinessRefusals: a recall, update or replacement that names what it
// may not.
func TestBusinessRefusals(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gov := h.Client(t, vpcp, false)
	qn := h.Client(t, quangNinh, false)
	na := h.Client(t, ngheAn, false)
	pdf := readPDF(t, "cong-van.pdf")

	theirs := compose(t, h, quangNinh, pdf, "601", ngheAn)
	theirs.send(t, ctx, qn)
	mine := compose(t, h, vpcp, pdf, "602", ngheAn)
	mine.send(t, ctx, gov)
	takeOne(t, ctx, na, h, theirs.id)
	takeOne(t, ctx, na, h, mine.id)

	// Naming its own document by DocumentId but another agency's message
	// by id.
	foreign := business(t, h, compose(t, h, vpcp, nil, "603", ngheAn), vpcp, document.BusinessRecall, "", mine)
	foreign.packet = resign(t, h, vpcp, foreign.packet, func(d *envelope.Document) { d.Targets = []string{theirs.id} })
	unknown := business(t, h, compose(t, h, vpcp, nil, "604", ngheAn), vpcp, document.BusinessRecall, "", mine)
	unknown.packet = resign(t, h, vpcp, unknown.packet, func(d *envelope.Document) { d.Targets = []string{envelope.NewMessageID()} })
	otherAgency := business(t, h, compose(t, h, vpcp, nil, "605", ngheAn), vpcp, document.BusinessRecall, "", mine)
	otherAgency.packet = resign(t, h, vpcp, otherAgency.packet, func(d *envelope.Document) {
		d.Metadata.Business.Documents[0].Organ = quangNinh
	})
	noTargets := business(t, h, compose(t, h, vpcp, nil, "606", ngheAn), vpcp, document.BusinessRecall, "", mine)
	noTargets.packet = resign(t, h, vpcp, noTargets.packet, func(d *envelope.Document) { d.Targets = nil })

	tests := []struct {
		name string
		doc  *sentDoc
		want wire.Code
	}{
		{"recall of another agency's message", foreign, wire.CodeForbidden},
		{"recall of an unknown message", unknown, wire.CodeNotFound},
		{"recall of another agency's document", otherAgency, wire.CodeInvalidDocument},
		{"recall without target messages", noTargets, wire.CodeInvalidDocument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.doc.submit(ctx, gov)
			if wire.CodeOf(err) != tt.want {
				t.Fatalf("err = %v, want %s", err, tt.want)
			}
			if ids := inboxIDs(t, ctx, na); len(ids) != 0 {
				t.Fatalf("a refused packet reached the inbox: %v", ids)
			}
		})
	}
	t.Run("answer to a recall that never came", func(t *testing.T) {
		_, err := na.PostStatus(ctx, statusPacket(t, h, ngheAn, mine, document.StatusAccepted, ""))
		if wire.CodeOf(err) != wire.CodeInvalidStatus {
			t.Fatalf("err = %v, want %s", err, wire.CodeInvalidStatus)
		}
	})
	// The recalled document stays with a recipient that has it.
	if st := sentState(t, ctx, qn, theirs.id); st[ngheAn].Delivery != "acked" {
		t.Fatalf("Quảng Ninh's document after a foreign recall: %+v", st[ngheAn])
	}
}
