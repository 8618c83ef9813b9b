package relay

import (
	"bytes"
	"errors"
	"testing"

	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/envelope/officetest"
)

// TestCheckFile: the one check of an attachment's type and bytes, which
// native submissions and edXML packets share: the hub's policy, the main
// document a PDF, the bytes matching the type; and checkHead, without a
// policy, checks an office file whole when it can read it at random.
func TestCheckFile(t *testing.T) {
	office, err := envelope.NewPolicy([]string{"pdf", "docx"})
	if err != nil {
		t.Fatal(err)
	}
	docx, pdf := officetest.DOCX("x"), []byte("%PDF-1.7\n%%EOF\n")
	att := func(ct string, b []byte) envelope.Attachment {
		return envelope.Attachment{Name: "a" + envelope.Extension(ct), ContentType: ct, Size: int64(len(b))}
	}
	for _, tt := range []struct {
		name   string
		policy envelope.Policy
		i      int
		a      envelope.Attachment
		file   []byte
		want   error // nil, envelope.ErrTypeNotAllowed or ErrNotPDF
	}{
		{"a PDF", envelope.DefaultPolicy(), 0, att(envelope.ContentTypePDF, pdf), pdf, nil},
		{"a docx appendix where allowed", office, 1, att(envelope.ContentTypeDOCX, docx), docx, nil},
		{"a docx appendix by default", envelope.DefaultPolicy(), 1, att(envelope.ContentTypeDOCX, docx), docx, envelope.ErrTypeNotAllowed},
		{"a docx main document", office, 0, att(envelope.ContentTypeDOCX, docx), docx, envelope.ErrTypeNotAllowed},
		{"an xlsx not listed", office, 1, att(envelope.ContentTypeXLSX, officetest.XLSX()), officetest.XLSX(), envelope.ErrTypeNotAllowed},
		{"a docm", office, 1, att(envelope.ContentTypeDOCX, officetest.DOCM()), officetest.DOCM(), ErrNotPDF},
		{"a PDF as docx", office, 1, att(envelope.ContentTypeDOCX, pdf), pdf, ErrNotPDF},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &Relay{types: tt.policy}
			err := r.checkFile(tt.i, tt.a, bytes.NewReader(tt.file))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var ve *document.ValidationError
			if errors.Is(tt.want, envelope.ErrTypeNotAllowed) && (!errors.Is(err, envelope.ErrInvalid) || !errors.As(err, &ve) || len(ve.Problems) != 1) {
				t.Errorf("a type refused is not invalid_document with its problem: %v", err)
			}
		})
	}
}
