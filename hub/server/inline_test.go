package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/bench"
	"lienthong/hub/hubtest"
	"lienthong/shared/hubclient"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// TestInlineSubmission: a document whose PDF comes with its packet in one
// multipart request is accepted without an upload, its recipient gets the
// same bytes, a retry answers the first receipt, and the hub says how
// much it takes so.
func TestInlineSubmission(t *testing.T) {
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
			hello, err := qn.Hello(ctx)
			if err != nil || hello.MaxInline != wire.MaxInline {
				t.Fatalf("hello: %v, max_inline %d", err, hello.MaxInline)
			}
			doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "201", ngheAn)
			res, err := qn.SubmitInline(ctx, doc.packet, []hubclient.InlineFile{{SHA256: doc.digest, Data: doc.pdf}})
			if err != nil {
				t.Fatalf("submit with the PDF inline: %v", err)
			}
			r, _, err := receipt.Verify(res.Receipt, h.Verifier(), certs.DefaultReceiptSigner)
			if err != nil || r.Event != receipt.EventAccepted || r.MessageID != doc.id {
				t.Fatalf("accepted receipt: %v %+v", err, r)
			}
			again, err := qn.SubmitInline(ctx, doc.packet, []hubclient.InlineFile{{SHA256: doc.digest, Data: doc.pdf}})
			if err != nil || !again.Existed || !bytes.Equal(again.Receipt, res.Receipt) {
				t.Fatalf("retry: %v, %+v", err, again)
			}
			if plain, err := qn.Submit(ctx, doc.packet); err != nil || !plain.Existed {
				t.Fatalf("retry without the bytes: %v, %+v", err, plain)
			}
			in, err := na.Inbox(ctx, 0, 5*time.Second)
			if err != nil || len(in.Items) != 1 || in.Items[0].MessageID != doc.id {
				t.Fatalf("inbox: %v, %+v", err, in)
			}
			if len(in.Items[0].Report) == 0 {
				t.Fatal("no verification report for the inline PDF")
			}
			var got bytes.Buffer
			if _, err := na.Download(ctx, doc.id, doc.digest, 0, &got); err != nil || !bytes.Equal(got.Bytes(), doc.pdf) {
				t.Fatalf("download: %v, %d bytes of %d", err, got.Len(), len(doc.pdf))
			}
		})
	}
}

// TestInlineSubmissionRefusals: what a multipart submission may not be.
// Each refusal leaves no message, and the packet goes through afterwards.
func TestInlineSubmissionRefusals(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qn := h.Client(t, quangNinh, false)
	pdf := readPDF(t, "cong-van.pdf")
	doc := compose(t, h, quangNinh, pdf, "202", ngheAn)
	other := bytes.Repeat([]byte("x"), 100)
	otherSum := sha256.Sum256(other)
	otherDigest := hex.EncodeToString(otherSum[:])
	tampered := bytes.Clone(pdf)
	tampered[len(tampered)/2] ^= 1
	for _, tc := range []struct {
		name  string
		files []hubclient.InlineFile
		want  wire.Code
	}{
		{"NotAnAttachmentOfThePacket", []hubclient.InlineFile{{SHA256: doc.digest, Data: pdf}, {SHA256: otherDigest, Data: other}}, wire.CodeInvalidDocument},
		{"BytesOfAnotherDigest", []hubclient.InlineFile{{SHA256: doc.digest, Data: tampered}}, wire.CodeHashMismatch},
		{"Truncated", []hubclient.InlineFile{{SHA256: doc.digest, Data: pdf[:len(pdf)-1]}}, wire.CodeInvalidDocument},
		{"Twice", []hubclient.InlineFile{{SHA256: doc.digest, Data: pdf}, {SHA256: doc.digest, Data: pdf}}, wire.CodeBadRequest},
		{"NotADigest", []hubclient.InlineFile{{SHA256: "../" + doc.digest, Data: pdf}}, wire.CodeBadRequest},
		{"OverTheLimit", []hubclient.InlineFile{{SHA256: doc.digest, Data: pdf}, {SHA256: otherDigest, Data: bytes.Repeat([]byte("y"), wire.MaxInline)}}, wire.CodeTooLarge},
		{"Missing", nil, wire.CodeMissingBlob},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := qn.SubmitInline(ctx, doc.packet, tc.files)
			if wire.CodeOf(err) != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}
	// Malformed forms, as another system might send them.
	for _, tc := range []struct {
		name string
		body func(mw *multipart.Writer)
	}{
		{"AttachmentFirst", func(mw *multipart.Writer) {
			w, _ := mw.CreateFormFile(wire.PartAttachment, doc.digest)
			w.Write(pdf)
		}},
		{"OtherPart", func(mw *multipart.Writer) {
			w, _ := mw.CreateFormField(wire.PartPacket)
			w.Write(doc.packet)
			w, _ = mw.CreateFormField("note")
			w.Write([]byte("x"))
		}},
		{"Empty", func(mw *multipart.Writer) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			tc.body(mw)
			mw.Close()
			if code, e := post(t, h, quangNinh, buf.Bytes(), mw.FormDataContentType()); code != http.StatusBadRequest || e.Code != wire.CodeBadRequest {
				t.Fatalf("answered %d %+v", code, e)
			}
		})
	}
	if code, e := post(t, h, quangNinh, []byte("--x--"), "multipart/form-data"); code != http.StatusBadRequest || !strings.Contains(e.Message, "boundary") {
		t.Fatalf("no boundary: %d %+v", code, e)
	}
	if _, err := h.Store.Message(ctx, doc.id); err == nil {
		t.Fatal("a refused submission was stored")
	}
	if _, err := qn.SubmitInline(ctx, doc.packet, []hubclient.InlineFile{{SHA256: doc.digest, Data: pdf}}); err != nil {
		t.Fatalf("the packet after the refusals: %v", err)
	}
}

// post sends body to POST /v1/messages as agency through the hub's
// handler and returns the status and the error answered, if any.
func post(t *testing.T, h *hubtest.Hub, agency string, body []byte, contentType string) (int, wire.Error) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, wire.PathMessages, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.TLS = &tls.ConnectionState{PeerCertificates: h.Agencies[agency].Key.Certificates()}
	w := httptest.NewRecorder()
	h.Server.ServeHTTP(w, req)
	var e wire.Error
	if w.Code >= 300 {
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatal(fmt.Errorf("error body %q: %w", w.Body.String(), err))
		}
	}
	return w.Code, e
}

// TestInboxInline: with inline=1 an inbox item carries its attachments'
// bytes when they are small, up to the answer's bound, and only then;
// GET /v1/updates does the same; without it no item carries any.
func TestInboxInline(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	qn := h.Client(t, quangNinh, false)
	na := h.Client(t, ngheAn, false)
	small := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "301", ngheAn)
	small.send(t, ctx, qn)
	bigPDF, err := bench.SignedPDF(ctx, h.Agencies[quangNinh].Key, "over max_inline", wire.MaxInline+(16<<10))
	if err != nil {
		t.Fatal(err)
	}
	big := compose(t, h, quangNinh, bigPDF, "302", ngheAn)
	big.send(t, ctx, qn)
	// Documents of 190 KiB each: five fit in the answer's bound beside the
	// small one, the sixth not.
	var budget []*sentDoc
	for i := range 6 {
		pdf, err := bench.SignedPDF(ctx, h.Agencies[quangNinh].Key, fmt.Sprintf("budget %d", i), 190<<10)
		if err != nil {
			t.Fatal(err)
		}
		d := compose(t, h, quangNinh, pdf, fmt.Sprintf("3%02d", 10+i), ngheAn)
		d.send(t, ctx, qn)
		budget = append(budget, d)
	}
	// Past the answer's bound no item carries its bytes, even one small
	// enough for what is left.
	tinyPDF, err := bench.SignedPDF(ctx, h.Agencies[quangNinh].Key, "after the bound", 10<<10)
	if err != nil {
		t.Fatal(err)
	}
	tiny := compose(t, h, quangNinh, tinyPDF, "320", ngheAn)
	tiny.send(t, ctx, qn)
	sent := append(append([]*sentDoc{small, big}, budget...), tiny)
	inlined := func(items []wire.InboxItem) []int {
		t.Helper()
		if len(items) != len(sent) {
			t.Fatalf("%d items, want %d", len(items), len(sent))
		}
		var with []int
		total := 0
		for i, it := range items {
			if it.MessageID != sent[i].id {
				t.Fatalf("item %d is %s, want %s", i, it.MessageID, sent[i].id)
			}
			if len(it.Inline) == 0 {
				continue
			}
			if b, ok := it.Inlined(sent[i].digest); !ok || len(it.Inline) != 1 || !bytes.Equal(b, sent[i].pdf) {
				t.Fatalf("item %d carries %d attachments, not its PDF's bytes", i, len(it.Inline))
			}
			total += len(it.Inline[0].Data)
			with = append(with, i)
		}
		if total > wire.MaxInlineAnswer {
			t.Fatalf("the answer carries %d bytes inline, over %d", total, wire.MaxInlineAnswer)
		}
		return with
	}
	// The big one never; of the 190 KiB ones, those that fit beside the
	// small one in the answer's bound; none after them.
	want := []int{0, 2, 3, 4, 5, 6}
	in, err := na.Inbox(ctx, 0, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := inlined(in.Items); !slices.Equal(got, want) {
		t.Fatalf("GET /v1/inbox?inline=1: items %v carry their bytes, want %v", got, want)
	}
	u, err := na.Updates(ctx, 0, 0, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := inlined(u.Inbox.Items); !slices.Equal(got, want) {
		t.Fatalf("GET /v1/updates?inline=1: items %v carry their bytes, want %v", got, want)
	}
	// What an item does not carry is downloaded as before.
	var got bytes.Buffer
	if _, err := na.Download(ctx, big.id, big.digest, 0, &got); err != nil || !bytes.Equal(got.Bytes(), bigPDF) {
		t.Fatalf("download of the big one: %v", err)
	}

	raw := rawClient(t, h, ngheAn, false)
	for _, q := range []string{"after=0", "after=0&inline=0", "after=0&inline=false"} {
		var plain wire.Inbox
		getJSON(t, ctx, raw, h, wire.PathInbox+"?"+q, &plain)
		if got := inlined(plain.Items); len(got) != 0 {
			t.Fatalf("%s: items %v carry bytes nobody asked for", q, got)
		}
	}
	wantBadRequest(t, ctx, raw, h, wire.PathInbox+"?after=0&inline=yes")
}
