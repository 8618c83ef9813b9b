package relay_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/receipt"
)

const (
	vpcp      certs.AgencyCode = "000.00.00.G22"
	quangNinh certs.AgencyCode = "000.00.00.H49"
	ngheAn    certs.AgencyCode = "000.00.00.H41"
	caoBang   certs.AgencyCode = "000.00.00.H14" // in the directory, inactive
	outsider  certs.AgencyCode = "000.00.00.H26" // not in the directory
)

var ctx = context.Background()

// env is a relay over a real bbolt store in a temporary folder, with a
// test PKI and a directory.
type env struct {
	t     *testing.T
	pki   *certstest.PKI
	st    *boltstore.Store
	relay *relay.Relay
	keys  map[certs.AgencyCode]*certs.KeyPair
}

// notPDF stands in for the hub's PDF check: a file that does not start as
// a PDF is refused, any other gets a small report.
func notPDF(_ context.Context, r io.ReaderAt, size int64) ([]byte, error) {
	head := make([]byte, 5)
	if _, err := r.ReadAt(head, 0); err != nil || string(head) != "%PDF-" {
		return nil, fmt.Errorf("%w: no PDF header", relay.ErrNotPDF)
	}
	return []byte(`{"checked":true}`), nil
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := boltstore.Open(t.TempDir(), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, pki: certstest.New(t), st: st, keys: map[certs.AgencyCode]*certs.KeyPair{}}
	for code, active := range map[certs.AgencyCode]bool{vpcp: true, quangNinh: true, ngheAn: true, caoBang: false} {
		if _, err := st.UpsertAgency(ctx, &store.Agency{Code: code, Name: "Cơ quan " + string(code), Level: 1, Active: active}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	for _, code := range []certs.AgencyCode{vpcp, quangNinh, ngheAn, caoBang, outsider} {
		e.keys[code] = e.pki.Agency(t, string(code), "Cơ quan "+string(code))
	}
	e.relay, err = relay.New(relay.Options{Store: st, Verifier: e.pki.Verifier(t), Identity: e.pki.Receipts(t), CheckAttachment: notPDF})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// doc is a signed document packet and its attachment.
type doc struct {
	id     string
	meta   *document.Metadata
	packet []byte
	file   []byte
}

var pdf = []byte("%PDF-1.7\n% a test document\n%%EOF\n")

// compose signs a packet from from to recipients with one attachment; edit
// may change the payload before it is signed.
func (e *env) compose(from certs.AgencyCode, number string, file []byte, edit func(*envelope.Document), to ...certs.AgencyCode) *doc {
	e.t.Helper()
	sum := sha256.Sum256(file)
	var recipients []document.Recipient
	for _, code := range to {
		recipients = append(recipients, document.Recipient{Code: code, Name: "Cơ quan " + string(code)})
	}
	d := &envelope.Document{
		Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: time.Now(),
		Metadata: &document.Metadata{
			Version:    document.SchemaVersion,
			From:       document.Organ{Code: from, Name: "Cơ quan " + string(from)},
			CodeNumber: number, CodeNotation: "UBND-VP", Type: document.TypeCongVan,
			Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.DateOf(time.Now())},
			Subject:      "Về việc thử nghiệm",
			Signer:       document.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
			To:           recipients,
		},
		Attachments: []envelope.Attachment{{Name: "cong-van.pdf", ContentType: "application/pdf", Size: int64(len(file)), SHA256: hex.EncodeToString(sum[:])}},
	}
	if edit != nil {
		edit(d)
	}
	return &doc{id: d.MessageID, meta: d.Metadata, packet: e.seal(from, d), file: file}
}

func (e *env) seal(by certs.AgencyCode, payload any) []byte {
	e.t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	kp := e.keys[by]
	packet, err := envelope.Seal(b, kp)
	if err != nil {
		e.t.Fatal(err)
	}
	return packet
}

// upload stores the document's attachment as its sender would.
func (e *env) upload(from certs.AgencyCode, d *doc) {
	e.t.Helper()
	sum := sha256.Sum256(d.file)
	if _, err := e.relay.PutWhole(ctx, from, hex.EncodeToString(sum[:]), int64(len(d.file)), bytes.NewReader(d.file)); err != nil {
		e.t.Fatal(err)
	}
}

// send composes, uploads and submits a document.
func (e *env) send(from certs.AgencyCode, number string, to ...certs.AgencyCode) *doc {
	e.t.Helper()
	d := e.compose(from, number, pdf, nil, to...)
	e.upload(from, d)
	if _, err := e.relay.Submit(ctx, from, d.packet, nil, 0); err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	return d
}

// status signs a status packet by from about d.
func (e *env) status(from certs.AgencyCode, d *doc, code document.Status, edit func(*envelope.Status)) []byte {
	e.t.Helper()
	s := &envelope.Status{Kind: envelope.KindStatus, MessageID: envelope.NewMessageID(), Regarding: d.id,
		Update: document.StatusUpdate{Document: d.meta.ID(), From: from, Code: code, Staff: "Văn thư", Time: time.Now()}}
	if code == document.StatusRefused {
		s.Update.Reason = "Gửi nhầm cơ quan"
	}
	if edit != nil {
		edit(s)
	}
	return e.seal(from, s)
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func TestSubmitRules(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		as      certs.AgencyCode // the connected agency
		file    []byte
		edit    func(*envelope.Document)
		to      []certs.AgencyCode
		upload  bool
		want    error
		wantVal bool // a *document.ValidationError
	}{
		{"SignedByAnotherAgency", ngheAn, pdf, nil, []certs.AgencyCode{vpcp}, true, relay.ErrSenderMismatch, false},
		{"RecipientNotInDirectory", quangNinh, pdf, nil, []certs.AgencyCode{outsider}, true, relay.ErrUnknownRecipient, false},
		{"RecipientInactive", quangNinh, pdf, nil, []certs.AgencyCode{caoBang}, true, relay.ErrUnknownRecipient, false},
		{"AttachmentNotUploaded", quangNinh, append(bytes.Clone(pdf), "% never uploaded\n"...), nil, []certs.AgencyCode{vpcp}, false, store.ErrMissingBlob, false},
		{"AttachmentSizeDiffers", quangNinh, pdf, func(d *envelope.Document) { d.Attachments[0].Size++ }, []certs.AgencyCode{vpcp}, true, relay.ErrAttachmentSize, false},
		{"AttachmentNotPDF", quangNinh, []byte("GIF89a, not a document"), nil, []certs.AgencyCode{vpcp}, true, relay.ErrNotPDF, false},
		{"InvalidMetadata", quangNinh, pdf, func(d *envelope.Document) { d.Metadata.Subject = "" }, []certs.AgencyCode{vpcp}, true, document.ErrInvalid, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := e.compose(quangNinh, "12", tc.file, tc.edit, tc.to...)
			if tc.upload {
				e.upload(quangNinh, d)
			}
			_, err := e.relay.Submit(ctx, tc.as, d.packet, nil, 0)
			wantErr(t, err, tc.want)
			var ve *document.ValidationError
			if tc.wantVal != errors.As(err, &ve) {
				t.Fatalf("validation error %v: %v", tc.wantVal, err)
			}
			if _, err := e.st.Message(ctx, d.id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a refused submission was stored: %v", err)
			}
		})
	}

	t.Run("RetryAnswersTheOriginal", func(t *testing.T) {
		d := e.compose(quangNinh, "13", pdf, nil, vpcp, ngheAn)
		e.upload(quangNinh, d)
		first, err := e.relay.Submit(ctx, quangNinh, d.packet, nil, 0)
		if err != nil || first.Existed || len(first.Receipt) == 0 {
			t.Fatalf("submit: %+v %v", first, err)
		}
		again, err := e.relay.Submit(ctx, quangNinh, d.packet, nil, 0)
		if err != nil || !again.Existed || !bytes.Equal(again.Receipt, first.Receipt) {
			t.Fatalf("retry: existed=%v same receipt=%v %v", again.Existed, bytes.Equal(again.Receipt, first.Receipt), err)
		}
		r, _, err := receipt.Verify(first.Receipt, e.pki.Verifier(t), certs.DefaultReceiptSigner)
		if err != nil || r.Event != receipt.EventAccepted || r.MessageID != d.id || len(r.Recipients) != 2 {
			t.Fatalf("receipt: %+v %v", r, err)
		}
		// A retry is answered as the first even where the packet's checks
		// would refuse it now (the hub's limit lowered, or the signer's
		// certificate revoked since): the hub holds the document.
		again, err = e.relay.Submit(ctx, quangNinh, d.packet, nil, 1)
		if err != nil || !again.Existed || !bytes.Equal(again.Receipt, first.Receipt) {
			t.Fatalf("retry under a lower limit: existed=%v same receipt=%v %v", again.Existed, bytes.Equal(again.Receipt, first.Receipt), err)
		}
		// Another agency replaying the sender's packet is refused as before.
		_, err = e.relay.Submit(ctx, vpcp, d.packet, nil, 0)
		wantErr(t, err, relay.ErrSenderMismatch)
		// The same id on another packet is a conflict.
		other := e.compose(quangNinh, "14", pdf, func(x *envelope.Document) { x.MessageID = d.id }, vpcp)
		_, err = e.relay.Submit(ctx, quangNinh, other.packet, nil, 0)
		wantErr(t, err, store.ErrConflict)
	})
}

// TestAckCarriesArrival checks that acknowledging stores the delivery, its
// receipt and status 01 carried by that receipt, once, and who may
// acknowledge.
func TestAckCarriesArrival(t *testing.T) {
	e := newEnv(t)
	d := e.send(quangNinh, "20", vpcp, ngheAn)

	_, err := e.relay.Ack(ctx, quangNinh, d.id)
	wantErr(t, err, relay.ErrNotRecipient)
	_, err = e.relay.Ack(ctx, outsider, d.id)
	wantErr(t, err, store.ErrNotFound)

	acked, err := e.relay.Ack(ctx, vpcp, d.id)
	if err != nil || acked.Existed {
		t.Fatalf("ack: %+v %v", acked, err)
	}
	if r, _, err := receipt.Verify(acked.Receipt, e.pki.Verifier(t), certs.DefaultReceiptSigner); err != nil || r.Event != receipt.EventDelivered {
		t.Fatalf("delivered receipt: %+v %v", r, err)
	}
	statuses, _, err := e.relay.Statuses(ctx, quangNinh, 0, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 1 || statuses[0].Code != document.StatusArrived || statuses[0].From != vpcp || !bytes.Equal(statuses[0].Signed, acked.Receipt) {
		t.Fatalf("sender's statuses = %+v, want 01 from %s carried by the receipt", statuses, vpcp)
	}
	again, err := e.relay.Ack(ctx, vpcp, d.id)
	if err != nil || !again.Existed || !bytes.Equal(again.Receipt, acked.Receipt) {
		t.Fatalf("second ack: %+v %v", again, err)
	}
	if statuses, _, _ := e.relay.Statuses(ctx, quangNinh, 0, 10, 0); len(statuses) != 1 {
		t.Fatalf("a retried ack added statuses: %+v", statuses)
	}
	if items, _, _ := e.relay.Inbox(ctx, vpcp, 0, 10, 0); len(items) != 0 {
		t.Fatalf("an acknowledged document is listed again: %+v", items)
	}
}

// TestRefuse: a recipient refuses what it cannot take; the sender sees 02
// carried by the refusal receipt; a retry answers the first; only a
// recipient may refuse, and a refused document is neither listed nor
// acknowledged again.
func TestRefuse(t *testing.T) {
	e := newEnv(t)
	d := e.send(quangNinh, "40", vpcp, ngheAn)
	const reason = "Tệp đính kèm vượt quá giới hạn của hệ thống nhận"
	_, err := e.relay.Refuse(ctx, quangNinh, d.id, reason)
	wantErr(t, err, relay.ErrNotRecipient)
	_, err = e.relay.Refuse(ctx, outsider, d.id, reason)
	wantErr(t, err, store.ErrNotFound)
	_, err = e.relay.Refuse(ctx, vpcp, d.id, " ")
	wantErr(t, err, store.ErrInvalid)

	res, err := e.relay.Refuse(ctx, vpcp, d.id, reason)
	if err != nil || res.Existed || res.Reason != reason {
		t.Fatalf("refuse: %+v %v", res, err)
	}
	r, _, err := receipt.Verify(res.Receipt, e.pki.Verifier(t), certs.DefaultReceiptSigner)
	if err != nil || r.Event != receipt.EventRefused || r.Reason != reason || len(r.Recipients) != 1 || r.Recipients[0] != string(vpcp) {
		t.Fatalf("refusal receipt: %+v %v", r, err)
	}
	statuses, _, _ := e.relay.Statuses(ctx, quangNinh, 0, 10, 0)
	if len(statuses) != 1 || statuses[0].Code != document.StatusRefused || statuses[0].Reason != reason || !bytes.Equal(statuses[0].Signed, res.Receipt) {
		t.Fatalf("sender's statuses = %+v, want 02 carried by the refusal receipt", statuses)
	}
	again, err := e.relay.Refuse(ctx, vpcp, d.id, "another")
	if err != nil || !again.Existed || again.Reason != reason || !bytes.Equal(again.Receipt, res.Receipt) {
		t.Fatalf("retry: %+v %v", again, err)
	}
	if items, _, _ := e.relay.Inbox(ctx, vpcp, 0, 10, 0); len(items) != 0 {
		t.Fatalf("a refused document is listed again: %+v", items)
	}
	_, err = e.relay.Ack(ctx, vpcp, d.id)
	wantErr(t, err, store.ErrConflict)
	if rcs, err := e.relay.Receipts(ctx, vpcp, d.id); err != nil || !slices.ContainsFunc(rcs, func(b []byte) bool { return bytes.Equal(b, res.Receipt) }) {
		t.Fatalf("the recipient's receipts lack its refusal: %v", err)
	}
	if items, _, _ := e.relay.Inbox(ctx, ngheAn, 0, 10, 0); len(items) != 1 {
		t.Fatalf("the other recipient's inbox: %+v", items)
	}
}

// TestPostStatusRules checks who may post a status and that the recipient's
// whole history decides which status may come next.
func TestPostStatusRules(t *testing.T) {
	e := newEnv(t)
	d := e.send(quangNinh, "30", vpcp, ngheAn)

	_, err := e.relay.PostStatus(ctx, vpcp, e.status(vpcp, d, document.StatusReceived, nil))
	wantErr(t, err, document.ErrTransition) // not arrived yet
	_, err = e.relay.PostStatus(ctx, vpcp, e.status(vpcp, d, document.StatusRefused, nil))
	wantErr(t, err, document.ErrTransition) // refused without acknowledging: that is Refuse
	if _, err := e.relay.Ack(ctx, vpcp, d.id); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		as   certs.AgencyCode
		code document.Status
		edit func(*envelope.Status)
		want error
	}{
		{"Received", vpcp, document.StatusReceived, nil, nil},
		{"Processing", vpcp, document.StatusProcessing, nil, nil},
		{"ReceivedAgainAfterProcessing", vpcp, document.StatusReceived, nil, document.ErrTransition},
		{"ArrivedAgain", vpcp, document.StatusArrived, nil, document.ErrTransition},
		{"Completed", vpcp, document.StatusCompleted, nil, nil},
		{"ReceivedAfterCompleted", vpcp, document.StatusReceived, nil, document.ErrTransition},
		{"SignedByAnotherAgency", ngheAn, document.StatusArrived, func(s *envelope.Status) {
			s.Update.From = vpcp
		}, relay.ErrSenderMismatch},
		{"NotARecipient", outsider, document.StatusArrived, nil, store.ErrNotFound},
		{"FromTheSender", quangNinh, document.StatusRecalled, nil, store.ErrNotFound},
		{"NamesAnotherDocument", ngheAn, document.StatusArrived, func(s *envelope.Status) {
			s.Update.Document.Number = "31"
		}, store.ErrWrongDocument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signer := tc.as
			if tc.want == relay.ErrSenderMismatch {
				signer = vpcp
			}
			packet := e.status(signer, d, tc.code, tc.edit)
			_, err := e.relay.PostStatus(ctx, tc.as, packet)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.want)
		})
	}
	// A resent packet is recognised, whatever the history says now.
	packet := e.status(ngheAn, d, document.StatusArrived, nil)
	if existed, err := e.relay.PostStatus(ctx, ngheAn, packet); err != nil || existed {
		t.Fatalf("01 from %s: existed=%v %v", ngheAn, existed, err)
	}
	if existed, err := e.relay.PostStatus(ctx, ngheAn, packet); err != nil || !existed {
		t.Fatalf("resent 01: existed=%v %v", existed, err)
	}
}

// TestPartyAccess checks who may read a message, its attachments and its
// receipts, and that a recall withdraws the recipients' copies.
func TestPartyAccess(t *testing.T) {
	e := newEnv(t)
	d := e.send(quangNinh, "40", vpcp, ngheAn)
	digest := sha256.Sum256(d.file)
	attachment := hex.EncodeToString(digest[:])
	for _, who := range []certs.AgencyCode{quangNinh, vpcp, ngheAn} {
		if packet, err := e.relay.Message(ctx, who, d.id); err != nil || !bytes.Equal(packet, d.packet) {
			t.Fatalf("%s reading the message: %v", who, err)
		}
		f, ctype, err := e.relay.Attachment(ctx, who, d.id, attachment)
		if err != nil || ctype != envelope.ContentTypePDF {
			t.Fatalf("%s opening the attachment: content type %q, %v", who, ctype, err)
		}
		f.Close()
	}
	_, err := e.relay.Message(ctx, outsider, d.id)
	wantErr(t, err, store.ErrNotFound)
	_, _, err = e.relay.Attachment(ctx, vpcp, d.id, hex.EncodeToString(make([]byte, 32)))
	wantErr(t, err, store.ErrNotFound)

	if _, err := e.relay.Ack(ctx, vpcp, d.id); err != nil {
		t.Fatal(err)
	}
	countReceipts := func(who certs.AgencyCode) int {
		t.Helper()
		list, err := e.relay.Receipts(ctx, who, d.id)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	if a, b, c := countReceipts(quangNinh), countReceipts(vpcp), countReceipts(ngheAn); a != 2 || b != 2 || c != 1 {
		t.Fatalf("receipts seen by sender, acknowledging and other recipient = %d, %d, %d; want 2, 2, 1", a, b, c)
	}

	recall := e.compose(quangNinh, "41", pdf, func(x *envelope.Document) {
		x.Metadata.Business = document.Business{Type: document.BusinessRecall, Reason: "Ban hành nhầm", Documents: []document.DocumentRef{d.meta.ID()}}
		x.Attachments, x.Targets = nil, []string{d.id}
	}, vpcp, ngheAn)
	res, err := e.relay.Submit(ctx, quangNinh, recall.packet, nil, 0)
	if err != nil {
		t.Fatalf("recall: %v", err)
	}
	if len(res.Recalls) != 1 || len(res.Recalls[0].Withdrawn) != 1 || res.Recalls[0].Withdrawn[0] != ngheAn ||
		len(res.Recalls[0].AlreadyAcked) != 1 || res.Recalls[0].AlreadyAcked[0] != vpcp {
		t.Fatalf("recall outcome = %+v", res.Recalls)
	}
	_, err = e.relay.Message(ctx, ngheAn, d.id)
	wantErr(t, err, store.ErrWithdrawn)
	_, err = e.relay.Ack(ctx, ngheAn, d.id)
	wantErr(t, err, store.ErrWithdrawn)
	if _, err := e.relay.Message(ctx, vpcp, d.id); err != nil {
		t.Fatalf("a recipient that had the document before the recall: %v", err)
	}
}

// TestLongPollWakes checks that a long poll returns as soon as a document
// arrives for the agency, not at the end of its wait.
func TestLongPollWakes(t *testing.T) {
	e := newEnv(t)
	type result struct {
		items []relay.InboxItem
		err   error
	}
	got := make(chan result, 1)
	go func() {
		items, _, err := e.relay.Inbox(ctx, vpcp, 0, 10, time.Minute)
		got <- result{items, err}
	}()
	d := e.send(quangNinh, "50", vpcp)
	select {
	case r := <-got:
		if r.err != nil || len(r.items) != 1 || r.items[0].MessageID != d.id || r.items[0].Sender != quangNinh {
			t.Fatalf("inbox: %+v %v", r.items, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the long poll was not woken by the submission")
	}
}

// TestClosedRecipient: a document addressed to a closed code is refused,
// naming the end of its chain of successions, and nothing is stored; a
// closure whose day has not come still delivers.
func TestClosedRecipient(t *testing.T) {
	e := newEnv(t)
	const (
		merged  certs.AgencyCode = "000.00.00.H20" // closed, succeeded by H21
		merger  certs.AgencyCode = "000.00.00.H21" // closed later, succeeded by Nghệ An
		closing certs.AgencyCode = "000.00.00.H22" // closes next month
	)
	for _, code := range []certs.AgencyCode{merged, merger, closing} {
		if _, err := e.st.UpsertAgency(ctx, &store.Agency{Code: code, Name: "Cơ quan " + string(code), Level: 1, Active: true}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	today := store.DayOf(time.Now())
	if _, err := e.st.CloseAgencies(ctx, []store.Succession{
		{Code: merged, On: today.AddDate(0, -6, 0), Successor: merger},
		{Code: merger, On: today, Successor: ngheAn},
		{Code: closing, On: today.AddDate(0, 1, 0), Successor: ngheAn},
	}, time.Now()); err != nil {
		t.Fatal(err)
	}
	d := e.compose(quangNinh, "30", pdf, nil, vpcp, merged)
	e.upload(quangNinh, d)
	_, err := e.relay.Submit(ctx, quangNinh, d.packet, nil, 0)
	var ce *relay.RecipientClosedError
	if !errors.Is(err, relay.ErrRecipientClosed) || !errors.As(err, &ce) || len(ce.Closed) != 1 ||
		ce.Closed[0].Agency.Code != merged || ce.Closed[0].Successor.Code != ngheAn || !ce.Closed[0].Agency.ClosedOn.Equal(today.AddDate(0, -6, 0)) {
		t.Fatalf("error = %v (%+v), want the closed H20 succeeded by Nghệ An", err, ce)
	}
	if _, err := e.st.Message(ctx, d.id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused submission was stored: %v", err)
	}
	// Re-addressed to the successor, it goes.
	e.send(quangNinh, "31", vpcp, ngheAn)
	// Not closed yet: delivered to the code.
	later := e.send(quangNinh, "32", closing)
	if ds, err := e.st.Deliveries(ctx, later.id); err != nil || len(ds) != 1 || ds[0].Recipient != closing {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
	// The directory agencies read agrees: closed codes with their
	// successor, a closure whose day has not come not yet.
	dir, err := e.relay.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range dir {
		switch a.Code {
		case merged:
			if a.Active || a.SupersededBy != merger {
				t.Errorf("closed entry %+v", a)
			}
		case closing:
			if !a.Active || a.SupersededBy != "" || a.Closed() {
				t.Errorf("entry closing next month %+v", a)
			}
		}
	}
}
