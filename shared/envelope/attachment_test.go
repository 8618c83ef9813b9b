package envelope

import (
	"errors"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"lienthong/shared/document"
)

func TestCheckAttachmentName(t *testing.T) {
	accepted := []string{
		"567-QD-UBND.pdf",
		"Công văn số 12 về việc triển khai.pdf",
		"Phụ lục I.PDF",
		"bao-cao.2026.pdf",
		"a.hta.pdf", // shown, never opened under its own name
		"con-ke-hoach.pdf",
		"COM10.pdf",
		strings.Repeat("ư", MaxAttachmentName-4) + ".pdf",
	}
	for _, name := range accepted {
		if p := CheckAttachmentName("name", name, ContentTypePDF); p != nil {
			t.Errorf("%q refused: %s", name, p.Message)
		}
	}
	refused := []struct {
		name string
		code document.ProblemCode
	}{
		{"", document.ProblemRequired},
		{"bad\xffutf8.pdf", document.ProblemInvalidUTF8},
		{strings.Repeat("a", MaxAttachmentName-3) + ".pdf", document.ProblemTooLong},
		// The finding: an HTML application named like a PDF.
		{"Cong-van.pdf.hta", document.ProblemMismatch},
		{"Cong-van", document.ProblemMismatch},
		{"Cong-van.pdf.exe", document.ProblemMismatch},
		// Control characters: C0, DEL, C1.
		{"a\x00b.pdf", document.ProblemControlChar},
		{"a\nb.pdf", document.ProblemControlChar},
		{"a\tb.pdf", document.ProblemControlChar},
		{"a\x1b[31mb.pdf", document.ProblemControlChar},
		{"a\x7fb.pdf", document.ProblemControlChar},
		{"a\u0085b.pdf", document.ProblemControlChar},
		// Bidirectional embeddings, overrides, isolates and marks: each
		// can make "…ath.pdf" display for "…fdp.hta".
		{"Cong-van\u202Efdp.hta", document.ProblemControlChar},
		{"a\u202Ab.pdf", document.ProblemControlChar},
		{"a\u202Bb.pdf", document.ProblemControlChar},
		{"a\u202Cb.pdf", document.ProblemControlChar},
		{"a\u202Db.pdf", document.ProblemControlChar},
		{"a\u2066b.pdf", document.ProblemControlChar},
		{"a\u2067b.pdf", document.ProblemControlChar},
		{"a\u2068b.pdf", document.ProblemControlChar},
		{"a\u2069b.pdf", document.ProblemControlChar},
		{"a\u200Eb.pdf", document.ProblemControlChar},
		{"a\u200Fb.pdf", document.ProblemControlChar},
		{"a\u061Cb.pdf", document.ProblemControlChar},
		// Invisible characters, separators, private use.
		{"a\u200Bb.pdf", document.ProblemControlChar},
		{"\uFEFFa.pdf", document.ProblemControlChar},
		{"a\u00ADb.pdf", document.ProblemControlChar},
		{"a\u2028b.pdf", document.ProblemControlChar},
		{"a\u2029b.pdf", document.ProblemControlChar},
		{"a\uE000b.pdf", document.ProblemControlChar},
		// Path separators and their look-alikes.
		{"../../.bashrc.pdf", document.ProblemBadFormat},
		{"dir/a.pdf", document.ProblemBadFormat},
		{`..\..\a.pdf`, document.ProblemBadFormat},
		{"C:a.pdf", document.ProblemBadFormat},
		{"a.pdf:Zone.Identifier", document.ProblemBadFormat},
		{"a\u2215b.pdf", document.ProblemBadFormat},
		{"a\u2044b.pdf", document.ProblemBadFormat},
		{"a\uFF0Fb.pdf", document.ProblemBadFormat},
		{"a\uFF3Cb.pdf", document.ProblemBadFormat},
		{"a<b>.pdf", document.ProblemBadFormat},
		{`a"b".pdf`, document.ProblemBadFormat},
		{"a|b.pdf", document.ProblemBadFormat},
		{"a?.pdf", document.ProblemBadFormat},
		{"a*.pdf", document.ProblemBadFormat},
		// Leading and trailing dots and spaces.
		{".pdf", document.ProblemBadFormat},
		{".hidden.pdf", document.ProblemBadFormat},
		{"a.pdf.", document.ProblemBadFormat},
		{"a.pdf ", document.ProblemBadFormat},
		{" a.pdf", document.ProblemBadFormat},
		{"a.pdf\u3000", document.ProblemBadFormat},
		// Reserved device names of Windows.
		{"CON.pdf", document.ProblemBadFormat},
		{"nul.pdf", document.ProblemBadFormat},
		{"Aux.tar.pdf", document.ProblemBadFormat},
		{"PRN .pdf", document.ProblemBadFormat},
		{"com1.pdf", document.ProblemBadFormat},
		{"LPT9.pdf", document.ProblemBadFormat},
		{"COM¹.pdf", document.ProblemBadFormat},
		{"CONOUT$.pdf", document.ProblemBadFormat},
	}
	for _, tt := range refused {
		p := CheckAttachmentName("attachments[0].name", tt.name, ContentTypePDF)
		if p == nil {
			t.Errorf("%q accepted", tt.name)
			continue
		}
		if p.Code != tt.code || p.Field != "attachments[0].name" || p.MessageVI == "" {
			t.Errorf("%q: problem %+v, want code %s", tt.name, p, tt.code)
		}
	}
	for _, ct := range []string{"application/msword", "text/html", "application/zip", ""} {
		if p := CheckAttachmentName("name", "a.doc", ct); p == nil || p.Code != document.ProblemUnknownType {
			t.Errorf("content type %q, not an attachment type, gave its name %+v", ct, p)
		}
	}
}

func TestValidateAttachmentNames(t *testing.T) {
	d := sampleDocument()
	d.Attachments[0].Name = "Cong-van.pdf.hta"
	d.Attachments = append(d.Attachments, Attachment{Name: "Phu-luc\u202Efdp.exe", ContentType: ContentTypePDF, Size: 1, SHA256: strings.Repeat("cd", 32),
		Description: "mô tả\x1b[2J"})
	err := d.Validate(0)
	var ve *document.ValidationError
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) {
		t.Fatalf("err = %v, want ErrInvalid with a *document.ValidationError", err)
	}
	if !ve.Has("attachments[0].name", document.ProblemMismatch) || !ve.Has("attachments[1].name", document.ProblemControlChar) ||
		!ve.Has("attachments[1].description", document.ProblemControlChar) {
		t.Errorf("problems %+v", ve.Problems)
	}
	if strings.Contains(err.Error(), "hta") || strings.Contains(err.Error(), "\u202E") {
		t.Errorf("the error repeats the hostile name: %v", err)
	}
}

func TestCheckContent(t *testing.T) {
	tests := []struct {
		name, contentType string
		head              []byte
		ok                bool
	}{
		{"PDF", ContentTypePDF, []byte("%PDF-1.7\n"), true},
		{"exactly the header", ContentTypePDF, []byte("%PDF-"), true},
		{"header at offset 10 inside HTML", ContentTypePDF, []byte("<html><!--%PDF-1.7-->"), false},
		{"a byte before the header", ContentTypePDF, []byte(" %PDF-1.7"), false},
		{"short", ContentTypePDF, []byte("%PD"), false},
		{"empty", ContentTypePDF, nil, false},
		{"ZIP under another type", "application/zip", []byte("PK\x03\x04"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckContent(tt.contentType, tt.head)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrContent)) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if Extension(ContentTypePDF) != ".pdf" || Extension("text/html") != "" || Extension("application/msword") != "" {
		t.Error("Extension")
	}
}

// FuzzCheckAttachmentName checks what an accepted name guarantees to a
// program that would use it as a file name after all.
func FuzzCheckAttachmentName(f *testing.F) {
	for _, s := range []string{"567-QD-UBND.pdf", "Công văn số 12.pdf", "Cong-van.pdf.hta", "a\u202Efdp.hta", "CON.pdf", "..\\a.pdf", "a.pdf.", " a.PDF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if CheckAttachmentName("name", name, ContentTypePDF) != nil {
			return
		}
		switch {
		case !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxAttachmentName:
			t.Fatalf("%q: invalid or too long", name)
		case !strings.EqualFold(filepath.Ext(name), ".pdf") || !strings.EqualFold(path.Ext(name), ".pdf"):
			t.Fatalf("%q: not a .pdf name", name)
		case path.Base(name) != name || strings.ContainsAny(name, `/\:`) || filepath.IsAbs(name):
			t.Fatalf("%q: a path, not a name", name)
		case strings.TrimSpace(name) != name || strings.HasSuffix(name, ".") || strings.HasPrefix(name, "."):
			t.Fatalf("%q: dots or spaces at an end", name)
		case reservedName(name):
			t.Fatalf("%q: a Windows device", name)
		}
		for _, r := range name {
			if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
				t.Fatalf("%q: hidden character U+%04X", name, r)
			}
		}
	})
}

func TestValidateOfficeAppendix(t *testing.T) {
	d := sampleDocument()
	d.Attachments = append(d.Attachments, Attachment{Name: "Phu-luc.docx", ContentType: ContentTypeDOCX, Size: 1, SHA256: strings.Repeat("cd", 32)})
	if err := d.Validate(0); err != nil {
		t.Errorf("a docx appendix refused by the format: %v", err)
	}
	d.Attachments[0], d.Attachments[1] = d.Attachments[1], d.Attachments[0]
	var ve *document.ValidationError
	if err := d.Validate(0); !errors.As(err, &ve) || !ve.Has("attachments[0].content_type", document.ProblemNotAllowed) {
		t.Errorf("a docx main document: %v", err)
	}
	d.Attachments[0] = Attachment{Name: "a.doc", ContentType: "application/msword", Size: 1, SHA256: strings.Repeat("ef", 32)}
	if err := d.Validate(0); !errors.As(err, &ve) || !ve.Has("attachments[0].content_type", document.ProblemUnknownType) {
		t.Errorf("a legacy .doc: %v", err)
	}
}
