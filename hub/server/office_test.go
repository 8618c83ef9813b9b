package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/envelope"
	"lienthong/shared/envelope/officetest"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// TestOfficeAppendices sends documents with Word, Excel and OpenDocument
// appendices through real hubs: one with the default policy (PDF only),
// which refuses them naming the attachment, and one whose configuration
// allows them, which accepts them when their bytes match their type, says
// so in hello, and keeps a report saying that no signature was checked.
func TestOfficeAppendices(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pdf := readPDF(t, "cong-van.pdf")
	docx, xlsx, odt, docm := officetest.DOCX("Phụ lục"), officetest.XLSX(), officetest.ODT("Phụ lục"), officetest.DOCM()

	type file struct {
		name, contentType string
		bytes             []byte
	}
	// send uploads the files and submits a document whose main document
	// is pdf (or the first file, when main is false) and whose appendices
	// are the files.
	send := func(h *hubtest.Hub, c *hubclient.Client, number string, main bool, files ...file) error {
		t.Helper()
		d := compose(t, h, quangNinh, pdf, number, ngheAn)
		if err := c.Upload(ctx, d.digest, bytes.NewReader(pdf), int64(len(pdf)), 0, nil); err != nil {
			t.Fatal(err)
		}
		var atts []envelope.Attachment
		for _, f := range files {
			sum := sha256.Sum256(f.bytes)
			a := envelope.Attachment{Name: f.name, ContentType: f.contentType, Size: int64(len(f.bytes)), SHA256: hex.EncodeToString(sum[:])}
			if err := c.Upload(ctx, a.SHA256, bytes.NewReader(f.bytes), a.Size, 0, nil); err != nil {
				t.Fatal(err)
			}
			atts = append(atts, a)
		}
		packet := resign(t, h, quangNinh, d.packet, func(d *envelope.Document) {
			if main {
				d.Attachments = append(d.Attachments, atts...)
			} else {
				d.Attachments = atts
			}
		})
		_, err := c.Submit(ctx, packet)
		return err
	}
	wordFile := file{"Phu-luc.docx", envelope.ContentTypeDOCX, docx}

	t.Run("a default hub takes PDF only", func(t *testing.T) {
		h := hubtest.Start(t, hubtest.Options{})
		qn := h.Client(t, quangNinh, false)
		hello, err := qn.Hello(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(hello.AttachmentTypes, []string{envelope.ContentTypePDF}) {
			t.Errorf("hello says %v", hello.AttachmentTypes)
		}
		err = send(h, qn, "70", true, wordFile)
		if wire.CodeOf(err) != wire.CodeInvalidDocument {
			t.Fatalf("err = %v, want invalid_document", err)
		}
		if f := problemFields(t, err); !slices.Equal(f, []string{"attachments[1].content_type"}) {
			t.Errorf("details name %v, want attachments[1].content_type", f)
		}
		if err := send(h, qn, "71", true); err != nil {
			t.Errorf("a PDF alone: %v", err)
		}
	})

	h := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) {
		c.AttachmentTypes = []string{"pdf", "docx", "xlsx", "odt"}
	}})
	qn, na := h.Client(t, quangNinh, false), h.Client(t, ngheAn, false)
	hello, err := qn.Hello(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{envelope.ContentTypePDF, envelope.ContentTypeDOCX, envelope.ContentTypeXLSX, envelope.ContentTypeODT}; !slices.Equal(hello.AttachmentTypes, want) {
		t.Errorf("hello says %v, want %v", hello.AttachmentTypes, want)
	}
	if err := send(h, qn, "80", true, wordFile, file{"Bang-so-lieu.xlsx", envelope.ContentTypeXLSX, xlsx}, file{"Phu-luc-2.odt", envelope.ContentTypeODT, odt}); err != nil {
		t.Fatalf("office appendices refused: %v", err)
	}
	in, err := na.Inbox(ctx, 0, 0)
	if err != nil || len(in.Items) != 1 {
		t.Fatalf("inbox: %v, %v", in, err)
	}
	var reports map[string]json.RawMessage
	if err := json.Unmarshal(in.Items[0].Report, &reports); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(docx)
	var office struct {
		ContentType      string `json:"content_type"`
		SignatureChecked *bool  `json:"signature_checked"`
	}
	if err := json.Unmarshal(reports[hex.EncodeToString(sum[:])], &office); err != nil || office.ContentType != envelope.ContentTypeDOCX ||
		office.SignatureChecked == nil || *office.SignatureChecked {
		t.Errorf("the docx's report %s does not say that no signature was checked (%v)", reports[hex.EncodeToString(sum[:])], err)
	}
	sum = sha256.Sum256(pdf)
	if _, ok := reports[hex.EncodeToString(sum[:])]; !ok {
		t.Error("the PDF's report is missing")
	}

	// Each file is served under the hub's name with the extension of the
	// type the sender signed and the hub checked, never as a PDF.
	raw := rawClient(t, h, string(ngheAn), true)
	for _, f := range []struct {
		bytes       []byte
		contentType string
		ext         string
	}{{docx, envelope.ContentTypeDOCX, ".docx"}, {xlsx, envelope.ContentTypeXLSX, ".xlsx"}, {odt, envelope.ContentTypeODT, ".odt"}, {pdf, envelope.ContentTypePDF, ".pdf"}} {
		sum := sha256.Sum256(f.bytes)
		digest := hex.EncodeToString(sum[:])
		path := strings.NewReplacer("{id}", in.Items[0].MessageID, "{sha256}", digest).Replace(wire.PathAttachment)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+h.Addr+path, nil)
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, f.bytes) {
			t.Fatalf("GET %s: %d, %d bytes", path, resp.StatusCode, len(body))
		}
		if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != f.contentType || cd != `attachment; filename="`+digest+f.ext+`"` {
			t.Errorf("the %s is served as %q, %q", f.ext, ct, cd)
		}
	}

	for i, tt := range []struct {
		name string
		main bool
		f    file
		code wire.Code
	}{
		{"a docm named and typed docx", true, file{"Phu-luc.docx", envelope.ContentTypeDOCX, docm}, wire.CodeNotPDF},
		{"a PDF renamed docx", true, file{"Phu-luc.docx", envelope.ContentTypeDOCX, append(bytes.Clone(pdf), 'x')}, wire.CodeNotPDF},
		{"a docx typed as a PDF", true, file{"Phu-luc.pdf", envelope.ContentTypePDF, docx}, wire.CodeNotPDF},
		{"an xlsx typed as docx", true, file{"Phu-luc.docx", envelope.ContentTypeDOCX, xlsx}, wire.CodeNotPDF},
		{"a docx named .pdf", true, file{"Phu-luc.pdf", envelope.ContentTypeDOCX, docx}, wire.CodeInvalidDocument},
		{"a legacy .doc", true, file{"Phu-luc.doc", "application/msword", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")}, wire.CodeInvalidDocument},
		{"a docx as the main document", false, wordFile, wire.CodeInvalidDocument},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := send(h, qn, "9"+string(rune('0'+i)), tt.main, tt.f)
			if wire.CodeOf(err) != tt.code {
				t.Fatalf("err = %v, want %s", err, tt.code)
			}
		})
	}
}
