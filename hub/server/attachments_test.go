package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// polyglotPath is an HTML application with a valid PDF after its first 10
// bytes: PDF viewers open it, and so did the hub's PDF check.
const polyglotPath = "../../shared/pades/testdata/polyglot.hta"

// problemFields are the fields an invalid_document answer's details name.
func problemFields(t *testing.T, err error) []string {
	t.Helper()
	var we *wire.Error
	if !errors.As(err, &we) {
		t.Fatalf("err = %v, want a hub answer", err)
	}
	raw, _ := json.Marshal(we.Details)
	var problems []document.Problem
	if err := json.Unmarshal(raw, &problems); err != nil {
		t.Fatalf("details %s: %v", raw, err)
	}
	var fields []string
	for _, p := range problems {
		fields = append(fields, p.Field)
	}
	return fields
}

// TestHostileAttachments submits to a real hub the polyglot of issue #14
// (HTML with %PDF- at offset 10, named Cong-van.pdf.hta) and names of each
// hostile kind: the hub refuses each with a precise code.
func TestHostileAttachments(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	qn := h.Client(t, quangNinh, false)
	polyglot, err := os.ReadFile(polyglotPath)
	if err != nil {
		t.Fatal(err)
	}
	pdf := readPDF(t, "cong-van.pdf")
	for _, b := range [][]byte{polyglot, pdf} {
		d := compose(t, h, quangNinh, b, "1", ngheAn)
		if err := qn.Upload(ctx, d.digest, bytes.NewReader(b), int64(len(b)), 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	named := func(b []byte, number, name string) []byte {
		d := compose(t, h, quangNinh, b, number, ngheAn)
		return resign(t, h, quangNinh, d.packet, func(d *envelope.Document) { d.Attachments[0].Name = name })
	}

	t.Run("the polyglot as Cong-van.pdf.hta", func(t *testing.T) {
		_, err := qn.Submit(ctx, named(polyglot, "10", "Cong-van.pdf.hta"))
		if wire.CodeOf(err) != wire.CodeInvalidDocument {
			t.Fatalf("err = %v, want invalid_document", err)
		}
		if f := problemFields(t, err); len(f) != 1 || f[0] != "attachments[0].name" {
			t.Errorf("details name %v, want attachments[0].name", f)
		}
	})
	t.Run("the polyglot as Cong-van.pdf", func(t *testing.T) {
		_, err := qn.Submit(ctx, named(polyglot, "11", "Cong-van.pdf"))
		if wire.CodeOf(err) != wire.CodeNotPDF {
			t.Fatalf("err = %v, want not_pdf", err)
		}
	})
	for i, name := range []string{
		"Cong-van\u202Efdp.hta",    // right-to-left override: shows as Cong-vanath.pdf
		"Cong-van\u2066.pdf\u2069", // isolate
		"Cong-van\x1b[2J.pdf",      // terminal escape
		"Cong\x00van.pdf",          // NUL
		"..\\..\\Startup\\a.pdf",   // path separators
		"CON.pdf",                  // a device on Windows
		"Cong-van.pdf.",            // Windows drops the trailing dot
		strings.Repeat("a", 300) + ".pdf",
	} {
		t.Run("name "+strings.ToValidUTF8(name[:min(len(name), 12)], "?"), func(t *testing.T) {
			_, err := qn.Submit(ctx, named(pdf, "2"+string(rune('0'+i)), name))
			if wire.CodeOf(err) != wire.CodeInvalidDocument {
				t.Fatalf("err = %v, want invalid_document", err)
			}
			if f := problemFields(t, err); len(f) != 1 || f[0] != "attachments[0].name" {
				t.Errorf("details name %v, want attachments[0].name", f)
			}
		})
	}
	t.Run("a plain name is accepted", func(t *testing.T) {
		if _, err := qn.Submit(ctx, named(pdf, "30", "Công văn số 30.pdf")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSecretDocuments: a hub refuses documents marked Mật or above by
// default, and takes them when its configuration allows them.
func TestSecretDocuments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pdf := readPDF(t, "cong-van.pdf")
	send := func(h *hubtest.Hub, c *hubclient.Client, number string, s document.Secrecy) error {
		d := compose(t, h, quangNinh, pdf, number, ngheAn)
		d.packet = resign(t, h, quangNinh, d.packet, func(d *envelope.Document) { d.Metadata.Secrecy = s })
		if err := c.Upload(ctx, d.digest, bytes.NewReader(pdf), int64(len(pdf)), 0, nil); err != nil {
			t.Fatal(err)
		}
		_, err := c.Submit(ctx, d.packet)
		return err
	}

	h := hubtest.Start(t, hubtest.Options{})
	qn := h.Client(t, quangNinh, false)
	for i, s := range []document.Secrecy{document.SecrecyConfidential, document.SecrecySecret, document.SecrecyTopSecret} {
		err := send(h, qn, "4"+string(rune('0'+i)), s)
		if wire.CodeOf(err) != wire.CodeSecretNotAllowed {
			t.Errorf("%s by default: err = %v, want secret_not_allowed", s, err)
		}
	}
	if err := send(h, qn, "50", document.SecrecyNone); err != nil {
		t.Errorf("an ordinary document: %v", err)
	}

	allowing := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) { c.AllowSecretDocuments = true }})
	qn = allowing.Client(t, quangNinh, false)
	secret := compose(t, allowing, quangNinh, pdf, "60", ngheAn)
	secret.packet = resign(t, allowing, quangNinh, secret.packet, func(d *envelope.Document) { d.Metadata.Secrecy = document.SecrecyTopSecret })
	secret.send(t, ctx, qn)

	// The operator turns the setting off: a document accepted while it
	// was on can still be recalled.
	allowing.Stop()
	h = hubtest.Start(t, hubtest.Options{Dir: allowing.Dir, PKI: allowing.PKI, LogSignerKey: allowing.LogSignerKey})
	recall := resign(t, h, quangNinh, secret.packet, func(d *envelope.Document) {
		d.MessageID, d.Targets, d.Attachments = envelope.NewMessageID(), []string{d.MessageID}, nil
		d.Metadata.Business = document.Business{Type: document.BusinessRecall, Documents: []document.DocumentRef{d.Metadata.ID()}, Reason: "Gửi nhầm"}
	})
	if _, err := h.Client(t, quangNinh, false).Submit(ctx, recall); err != nil {
		t.Errorf("recalling a Tuyệt mật document once the setting is off: %v", err)
	}
}
