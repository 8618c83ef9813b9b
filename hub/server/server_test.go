package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

const (
	vpcp      = "000.00.00.G22"
	quangNinh = "000.00.00.H49"
	ngheAn    = "000.00.00.H41"
)

type sentDoc struct {
	id     string
	packet []byte
	pdf    []byte
	digest string
	res    *wire.Submitted
}

// compose builds and signs a document packet from agency from to the
// recipients, attaching pdf.
func compose(t *testing.T, h *hubtest.Hub, from string, pdf []byte, number string, to ...string) *sentDoc {
	t.Helper()
	sum := sha256.Sum256(pdf)
	digest := hex.EncodeToString(sum[:])
	var recipients []document.Recipient
	for _, code := range to {
		recipients = append(recipients, document.Recipient{Code: certs.AgencyCode(code), Name: h.Agencies[code].Name})
	}
	d := &envelope.Document{
		Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: time.Now(),
		Metadata: &document.Metadata{
			Version:    document.SchemaVersion,
			From:       document.Organ{Code: certs.AgencyCode(from), Name: h.Agencies[from].Name},
			CodeNumber: number, CodeNotation: "UBND-VP", Type: document.TypeCongVan,
			Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.DateOf(time.Now())},
			Subject:      "Về việc triển khai Trục liên thông văn bản",
			Signer:       document.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
			To:           recipients,
		},
		Attachments: []envelope.Attachment{{Name: "cong-van.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: digest}},
	}
	payload, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	kp := h.Agencies[from].Key
	packet, err := envelope.Seal(payload, kp)
	if err != nil {
		t.Fatal(err)
	}
	return &sentDoc{id: d.MessageID, packet: packet, pdf: pdf, digest: digest}
}

func (d *sentDoc) send(t *testing.T, ctx context.Context, c *hubclient.Client) {
	t.Helper()
	if err := c.Upload(ctx, d.digest, bytes.NewReader(d.pdf), int64(len(d.pdf)), 16<<10, nil); err != nil {
		t.Fatalf("upload: %v", err)
	}
	res, err := c.Submit(ctx, d.packet)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	d.res = res
}

func readPDF(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// receive long-polls the inbox, downloads every attachment, checks it
// against the envelope, and acknowledges.
func receive(t *testing.T, ctx context.Context, c *hubclient.Client, h *hubtest.Hub, after uint64, wait time.Duration) ([]*envelope.Document, uint64) {
	t.Helper()
	in, err := c.Inbox(ctx, after, wait)
	if err != nil {
		t.Fatalf("inbox: %v", err)
	}
	var docs []*envelope.Document
	for _, item := range in.Items {
		d, _, err := envelope.OpenDocument(item.Packet, h.Verifier(), 0)
		if err != nil {
			t.Fatalf("received packet does not verify: %v", err)
		}
		for _, a := range d.Attachments {
			var buf bytes.Buffer
			if _, err := c.Download(ctx, item.MessageID, a.SHA256, 0, &buf); err != nil {
				t.Fatalf("download: %v", err)
			}
			sum := sha256.Sum256(buf.Bytes())
			if hex.EncodeToString(sum[:]) != a.SHA256 {
				t.Fatal("downloaded attachment does not match its digest")
			}
		}
		acked, err := c.Ack(ctx, item.MessageID)
		if err != nil {
			t.Fatalf("ack: %v", err)
		}
		r, _, err := receipt.Verify(acked.Receipt, h.Verifier(), certs.DefaultReceiptSigner)
		if err != nil || r.Event != receipt.EventDelivered || r.MessageID != item.MessageID {
			t.Fatalf("delivered receipt: %v %+v", err, r)
		}
		docs = append(docs, d)
	}
	return docs, in.Next
}

func TestExchange(t *testing.T) {
	for _, transport := range []struct {
		name string
		tcp  bool
	}{{"QUIC", false}, {"TCP fallback", true}} {
		t.Run(transport.name, func(t *testing.T) {
			h := hubtest.Start(t, hubtest.Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			qn := h.Client(t, quangNinh, transport.tcp)
			na := h.Client(t, ngheAn, transport.tcp)
			gov := h.Client(t, vpcp, transport.tcp)

			hello, err := qn.Hello(ctx)
			if err != nil || hello.Agency != quangNinh || hello.AgencyName != "Ủy ban nhân dân tỉnh Quảng Ninh" {
				t.Fatalf("hello: %v %+v", err, hello)
			}
			want := "h3"
			if transport.tcp {
				want = "h2"
			}
			if qn.Transport() != want {
				t.Fatalf("transport %q, want %q", qn.Transport(), want)
			}

			doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "101", ngheAn, vpcp)
			doc.send(t, ctx, qn)
			r, cert, err := receipt.Verify(doc.res.Receipt, h.Verifier(), certs.DefaultReceiptSigner)
			if err != nil || r.Event != receipt.EventAccepted || r.EnvelopeSHA256 != receipt.EnvelopeHash(doc.packet) || len(r.Recipients) != 2 || !cert.Equal(h.Receipts.Leaf) {
				t.Fatalf("accepted receipt: %v %+v", err, r)
			}

			// A retry is recognised and answers the same receipt.
			again, err := qn.Submit(ctx, doc.packet)
			if err != nil || !again.Existed || !bytes.Equal(again.Receipt, doc.res.Receipt) {
				t.Fatalf("retry: %v existed=%v", err, again.Existed)
			}

			var deliveredReceipts [][]byte
			for _, c := range []*hubclient.Client{na, gov} {
				docs, _ := receive(t, ctx, c, h, 0, 5*time.Second)
				if len(docs) != 1 || docs[0].MessageID != doc.id {
					t.Fatalf("received %d documents", len(docs))
				}
				// Once acknowledged, never listed again.
				if again, _ := receive(t, ctx, c, h, 0, 0); len(again) != 0 {
					t.Fatalf("document delivered twice")
				}
				second, err := c.Ack(ctx, doc.id)
				if err != nil || !second.Existed {
					t.Fatalf("second ack: %v", err)
				}
				deliveredReceipts = append(deliveredReceipts, second.Receipt)
			}

			// The sender sees 01 from each recipient, carried by receipts.
			st, err := qn.Statuses(ctx, 0, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var from []string
			for _, it := range st.Items {
				if it.Code == "01" && it.MessageID == doc.id {
					from = append(from, it.From)
				}
			}
			slices.Sort(from)
			if !slices.Equal(from, []string{vpcp, ngheAn}) { // sorted
				t.Fatalf("01 from %v", from)
			}

			// Nghệ An registers it (03): a signed status back to the sender.
			status := statusPacket(t, h, ngheAn, doc, document.StatusReceived, "")
			if _, err := na.PostStatus(ctx, status); err != nil {
				t.Fatalf("status 03: %v", err)
			}
			if res, err := na.PostStatus(ctx, status); err != nil || !res.Existed {
				t.Fatalf("status retry: %v", err)
			}
			st, err = qn.Statuses(ctx, st.Next, 5*time.Second)
			if err != nil || len(st.Items) != 1 || st.Items[0].Code != "03" || st.Items[0].From != ngheAn {
				t.Fatalf("status 03 at the sender: %v %+v", err, st)
			}
			if _, _, err := envelope.OpenStatus(st.Items[0].Packet, h.Verifier()); err != nil {
				t.Fatalf("relayed status does not verify: %v", err)
			}

			sent, err := qn.Sent(ctx, 0)
			if err != nil || len(sent.Items) != 1 {
				t.Fatalf("sent: %v", err)
			}
			for _, rs := range sent.Items[0].Recipients {
				wantCode := "01"
				if rs.Agency == ngheAn {
					wantCode = "03"
				}
				if rs.Delivery != "acked" || rs.LastCode != wantCode {
					t.Errorf("sent state at %s: %+v", rs.Agency, rs)
				}
			}
			// The receipts kept are the ones the submission and the
			// acknowledgements answered, byte for byte.
			receipts, err := qn.Receipts(ctx, doc.id)
			if err != nil || len(receipts) != 3 {
				t.Fatalf("receipts: %v %d", err, len(receipts))
			}
			for _, want := range append(deliveredReceipts, doc.res.Receipt) {
				if !slices.ContainsFunc(receipts, func(r []byte) bool { return bytes.Equal(r, want) }) {
					t.Fatal("a receipt the hub answered is not among those it keeps")
				}
			}
		})
	}
}

func statusPacket(t *testing.T, h *hubtest.Hub, from string, doc *sentDoc, code document.Status, reason string) []byte {
	t.Helper()
	return editedStatusPacket(t, h, from, doc, code, reason, nil)
}

// editedStatusPacket is statusPacket with edit applied before signing.
func editedStatusPacket(t *testing.T, h *hubtest.Hub, from string, doc *sentDoc, code document.Status, reason string, edit func(*envelope.Status)) []byte {
	t.Helper()
	d, _, err := envelope.OpenDocument(doc.packet, h.Verifier(), 0)
	if err != nil {
		t.Fatal(err)
	}
	s := envelope.Status{Kind: envelope.KindStatus, MessageID: envelope.NewMessageID(), Regarding: doc.id, Update: document.StatusUpdate{
		Document: d.Metadata.ID(), From: d.Metadata.To[0].Code, Code: code, Reason: reason, Staff: "Lê Văn Thư", Time: time.Now(),
	}}
	for _, to := range d.Metadata.To {
		if string(to.Code) == from {
			s.Update.From = to.Code
		}
	}
	if edit != nil {
		edit(&s)
	}
	payload, _ := json.Marshal(s)
	kp := h.Agencies[from].Key
	p, err := envelope.Seal(payload, kp)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLongPollWakesUp(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	na := h.Client(t, ngheAn, false)
	got := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		in, err := na.Inbox(ctx, 0, 25*time.Second)
		if err != nil || len(in.Items) != 1 {
			t.Errorf("inbox: %v", err)
		}
		got <- time.Since(start)
	}()
	time.Sleep(300 * time.Millisecond) // let the poll start waiting
	doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "102", ngheAn)
	doc.send(t, ctx, h.Client(t, quangNinh, false))
	if d := <-got; d > 10*time.Second {
		t.Fatalf("the long poll returned after %v, not when the document arrived", d)
	}
}

func TestRefusals(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qn := h.Client(t, quangNinh, false)
	na := h.Client(t, ngheAn, false)
	pdf := readPDF(t, "cong-van.pdf")

	uploaded := compose(t, h, quangNinh, pdf, "201", ngheAn)
	if err := qn.Upload(ctx, uploaded.digest, bytes.NewReader(pdf), int64(len(pdf)), 0, nil); err != nil {
		t.Fatal(err)
	}
	unknownTo := compose(t, h, quangNinh, pdf, "202", ngheAn)
	unknownTo.packet = resign(t, h, quangNinh, unknownTo.packet, func(d *envelope.Document) {
		d.Metadata.To[0].Code = "000.00.00.H14"
	})
	notUploaded := compose(t, h, quangNinh, append(bytes.Clone(pdf), '\n'), "203", ngheAn)
	mismatch := compose(t, h, quangNinh, pdf, "204", ngheAn) // submitted over Nghệ An's connection
	conflict := compose(t, h, quangNinh, pdf, "205", ngheAn)
	conflict.packet = resign(t, h, quangNinh, conflict.packet, func(d *envelope.Document) { d.MessageID = uploaded.id; d.Metadata.Subject += " (sửa)" })
	var p envelope.Packet
	_ = json.Unmarshal(uploaded.packet, &p)
	p.Payload = bytes.Replace(p.Payload, []byte("201"), []byte("209"), 1)
	tampered, _ := json.Marshal(p)

	if _, err := qn.Submit(ctx, uploaded.packet); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		c      *hubclient.Client
		packet []byte
		want   wire.Code
	}{
		{"unknown recipient", qn, unknownTo.packet, wire.CodeUnknownRecipient},
		{"attachment not uploaded", qn, notUploaded.packet, wire.CodeMissingBlob},
		{"sender mismatch", na, mismatch.packet, wire.CodeSenderMismatch},
		{"message id reused", qn, conflict.packet, wire.CodeConflict},
		{"bad signature", qn, tampered, wire.CodeBadSignature},
		{"malformed packet", qn, []byte(`{"payload":1}`), wire.CodeMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Submit(ctx, tt.packet)
			var we *wire.Error
			if !errors.As(err, &we) || we.Code != tt.want {
				t.Fatalf("err = %v, want code %s", err, tt.want)
			}
		})
	}
	t.Run("upload that does not match its digest", func(t *testing.T) {
		wrong := sha256.Sum256([]byte("something else"))
		err := qn.Upload(ctx, hex.EncodeToString(wrong[:]), bytes.NewReader(pdf), int64(len(pdf)), 0, nil)
		if wire.CodeOf(err) != wire.CodeHashMismatch {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("whole upload that disagrees with the stored size", func(t *testing.T) {
		err := qn.Upload(ctx, uploaded.digest, bytes.NewReader(pdf), int64(len(pdf))-1, 0, nil)
		if wire.CodeOf(err) != wire.CodeConflict {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("refused uploads leave no file behind", func(t *testing.T) {
		for _, sub := range []string{"tmp", "uploads"} {
			left, err := os.ReadDir(filepath.Join(h.Dir, "blobs", sub))
			if err != nil || len(left) != 0 {
				t.Errorf("blobs/%s holds %d files (%v)", sub, len(left), err)
			}
		}
	})
	t.Run("upload over the limit", func(t *testing.T) {
		err := qn.Upload(ctx, uploaded.digest, bytes.NewReader(pdf), 101<<20, 0, nil)
		if wire.CodeOf(err) != wire.CodeTooLarge {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("refusal needs a reason", func(t *testing.T) {
		_, err := na.PostStatus(ctx, statusPacket(t, h, ngheAn, uploaded, document.StatusRefused, ""))
		if wire.CodeOf(err) != wire.CodeInvalidDocument {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("status out of order", func(t *testing.T) {
		_, err := na.PostStatus(ctx, statusPacket(t, h, ngheAn, uploaded, document.StatusCompleted, ""))
		if wire.CodeOf(err) != wire.CodeInvalidStatus {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("others' messages stay hidden", func(t *testing.T) {
		gov := h.Client(t, vpcp, false)
		if _, err := gov.Message(ctx, uploaded.id); wire.CodeOf(err) != wire.CodeNotFound {
			t.Fatalf("err = %v", err)
		}
		if _, err := gov.Ack(ctx, uploaded.id); wire.CodeOf(err) != wire.CodeNotFound {
			t.Fatalf("ack: %v", err)
		}
	})
}

// resign changes a packet's document and signs it again as agency.
func resign(t *testing.T, h *hubtest.Hub, agency string, packet []byte, change func(*envelope.Document)) []byte {
	t.Helper()
	var p envelope.Packet
	if err := json.Unmarshal(packet, &p); err != nil {
		t.Fatal(err)
	}
	var d envelope.Document
	if err := json.Unmarshal(p.Payload, &d); err != nil {
		t.Fatal(err)
	}
	change(&d)
	payload, _ := json.Marshal(&d)
	kp := h.Agencies[agency].Key
	out, err := envelope.Seal(payload, kp)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
