package envelope_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/envelope/officetest"
)

func checkFile(contentType string, b []byte) error {
	return envelope.CheckFile(contentType, bytes.NewReader(b), int64(len(b)))
}

// patchEnd rewrites the end of central directory record of a ZIP.
func patchEnd(b []byte, f func(rec []byte)) []byte {
	b = bytes.Clone(b)
	i := bytes.LastIndex(b, []byte("PK\x05\x06"))
	f(b[i:])
	return b
}

// rawZip writes entries with headers as given, data as given: sizes and
// flags can lie.
func rawZip(t *testing.T, entries []*zip.FileHeader, data [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, h := range entries {
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data[i])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckFile(t *testing.T) {
	pdf := []byte("%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	docx, xlsx, odt := officetest.DOCX("Phụ lục"), officetest.XLSX(), officetest.ODT("Phụ lục")

	odtCompressed := officetest.ODTEntries("x")
	odtCompressed[0].Stored = false
	odtSecond := officetest.ODTEntries("x")
	odtSecond[0], odtSecond[1] = odtSecond[1], odtSecond[0]
	odtWrongType := officetest.ODTEntries("x")
	odtWrongType[0].Body = "application/vnd.oasis.opendocument.texx"
	odtEncrypted := officetest.ODTEntries("x")
	odtEncrypted[1].Body = strings.Replace(odtEncrypted[1].Body, "</manifest:manifest>", `<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>`, 1)
	odtBasic := append(officetest.ODTEntries("x"), officetest.Entry{Name: "Basic/Standard/Module1.xml", Body: "<x/>"})

	docmTypeOnly := officetest.Zip(officetest.DocxEntries("x", officetest.DocmMain)...)
	vbaOnly := officetest.Zip(append(officetest.DocxEntries("x", officetest.DocxMain), officetest.Entry{Name: "word/vbaProject.bin", Body: "vba"})...)
	oleObject := officetest.Zip(append(officetest.DocxEntries("x", officetest.DocxMain), officetest.Entry{Name: "word/embeddings/oleObject1.bin", Body: "ole"})...)
	activeX := officetest.Zip(append(officetest.DocxEntries("x", officetest.DocxMain), officetest.Entry{Name: "word/activeX/activeX1.xml", Body: "<x/>"})...)
	printer := officetest.Zip(append(officetest.DocxEntries("x", officetest.DocxMain), officetest.Entry{Name: "word/printerSettings/printerSettings1.bin", Body: "dev"})...)
	dup := officetest.Zip(append(officetest.DocxEntries("x", officetest.DocxMain), officetest.Entry{Name: "word/document.xml", Body: "<x/>"})...)
	traversal := officetest.Zip(append(officetest.DocxEntries("x", officetest.DocxMain), officetest.Entry{Name: "../../evil.xml", Body: "<x/>"})...)
	noManifest := officetest.Zip(officetest.DocxEntries("x", officetest.DocxMain)[1:]...)
	hugeManifest := officetest.DocxEntries("x", officetest.DocxMain)
	hugeManifest[0].Body = strings.Replace(hugeManifest[0].Body, "<Types", "<Types a=\""+strings.Repeat("a", 2<<20)+"\"", 1)

	// The central directory claims 60000 entries, or 2 GB: refused from
	// the end record, before anything reads the directory.
	bombEntries := patchEnd(docx, func(rec []byte) {
		binary.LittleEndian.PutUint16(rec[8:], 60000)
		binary.LittleEndian.PutUint16(rec[10:], 60000)
	})
	bombDir := patchEnd(docx, func(rec []byte) { binary.LittleEndian.PutUint32(rec[12:], 2<<30) })
	zip64 := patchEnd(docx, func(rec []byte) { binary.LittleEndian.PutUint32(rec[16:], 0xFFFFFFFF) })
	var many []officetest.Entry
	many = append(many, officetest.DocxEntries("x", officetest.DocxMain)...)
	for i := range envelope.MaxZipEntries {
		many = append(many, officetest.Entry{Name: fmt.Sprintf("word/media/p%d.xml", i), Stored: true})
	}
	tooMany := officetest.Zip(many...)
	// An entry that claims to inflate 2 GB from 100 bytes, and 1100
	// entries each at an honest ratio whose sum passes the bound.
	liar := rawZip(t, []*zip.FileHeader{{Name: "[Content_Types].xml", Method: zip.Deflate, CompressedSize64: 100, UncompressedSize64: 2 << 30}},
		[][]byte{bytes.Repeat([]byte{1}, 100)})
	var hs []*zip.FileHeader
	var ds [][]byte
	for i := range 1100 {
		hs = append(hs, &zip.FileHeader{Name: fmt.Sprintf("word/p%d.xml", i), Method: zip.Deflate, CompressedSize64: 1000, UncompressedSize64: 1_000_000})
		ds = append(ds, make([]byte, 1000))
	}
	inflates := rawZip(t, hs, ds)
	encrypted := rawZip(t, []*zip.FileHeader{{Name: "word/document.xml", Method: zip.Store, Flags: 1, CompressedSize64: 3, UncompressedSize64: 3}}, [][]byte{[]byte("abc")})
	bzip := rawZip(t, []*zip.FileHeader{{Name: "word/document.xml", Method: 12, CompressedSize64: 3, UncompressedSize64: 3}}, [][]byte{[]byte("abc")})
	prefixed := append([]byte("<html>"), docx...)

	tests := []struct {
		name, contentType string
		file              []byte
		active            bool // refused as macros or programs
		ok                bool
	}{
		{"PDF", envelope.ContentTypePDF, pdf, false, true},
		{"docx", envelope.ContentTypeDOCX, docx, false, true},
		{"xlsx", envelope.ContentTypeXLSX, xlsx, false, true},
		{"odt", envelope.ContentTypeODT, odt, false, true},
		{"docx with printer settings", envelope.ContentTypeDOCX, printer, false, true},
		{"PDF renamed docx", envelope.ContentTypeDOCX, pdf, false, false},
		{"docx renamed pdf", envelope.ContentTypePDF, docx, false, false},
		{"xlsx as docx", envelope.ContentTypeDOCX, xlsx, false, false},
		{"docx as xlsx", envelope.ContentTypeXLSX, docx, false, false},
		{"odt as docx", envelope.ContentTypeDOCX, odt, false, false},
		{"docx as odt", envelope.ContentTypeODT, docx, false, false},
		{"docm", envelope.ContentTypeDOCX, officetest.DOCM(), true, false},
		{"docm content type only", envelope.ContentTypeDOCX, docmTypeOnly, true, false},
		{"docx with a VBA project", envelope.ContentTypeDOCX, vbaOnly, true, false},
		{"docx with an OLE object", envelope.ContentTypeDOCX, oleObject, true, false},
		{"docx with ActiveX", envelope.ContentTypeDOCX, activeX, true, false},
		{"odt with Basic macros", envelope.ContentTypeODT, officetest.Zip(odtBasic...), true, false},
		{"odt with compressed mimetype", envelope.ContentTypeODT, officetest.Zip(odtCompressed...), false, false},
		{"odt with mimetype second", envelope.ContentTypeODT, officetest.Zip(odtSecond...), false, false},
		{"odt with another mimetype", envelope.ContentTypeODT, officetest.Zip(odtWrongType...), false, false},
		{"encrypted odt", envelope.ContentTypeODT, officetest.Zip(odtEncrypted...), false, false},
		{"ZIP bomb: 60000 entries claimed", envelope.ContentTypeDOCX, bombEntries, false, false},
		{"ZIP bomb: 2 GB directory claimed", envelope.ContentTypeDOCX, bombDir, false, false},
		{"ZIP64", envelope.ContentTypeDOCX, zip64, false, false},
		{"too many entries", envelope.ContentTypeDOCX, tooMany, false, false},
		{"an entry lying about its size", envelope.ContentTypeDOCX, liar, false, false},
		{"inflates over the bound", envelope.ContentTypeDOCX, inflates, false, false},
		{"encrypted entry", envelope.ContentTypeDOCX, encrypted, false, false},
		{"bzip2 entry", envelope.ContentTypeDOCX, bzip, false, false},
		{"duplicate names", envelope.ContentTypeDOCX, dup, false, false},
		{"path traversal", envelope.ContentTypeDOCX, traversal, false, false},
		{"no [Content_Types].xml", envelope.ContentTypeDOCX, noManifest, false, false},
		{"manifest over its bound", envelope.ContentTypeDOCX, officetest.Zip(hugeManifest...), false, false},
		{"bytes before the ZIP", envelope.ContentTypeDOCX, prefixed, false, false},
		{"truncated", envelope.ContentTypeDOCX, docx[:len(docx)-30], false, false},
		{"empty", envelope.ContentTypeDOCX, nil, false, false},
		{"legacy doc", "application/msword", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkFile(tt.contentType, tt.file)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, envelope.ErrContent)) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if errors.Is(err, envelope.ErrActiveContent) != tt.active {
				t.Errorf("err = %v, want ErrActiveContent %v", err, tt.active)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	var zero envelope.Policy
	if !zero.Allows(envelope.ContentTypePDF) || zero.Allows(envelope.ContentTypeDOCX) || strings.Join(zero.Names(), ",") != "pdf" {
		t.Errorf("the zero policy: %v", zero.Names())
	}
	p, err := envelope.NewPolicy([]string{"pdf", "docx", ".ODT"})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Allows(envelope.ContentTypeDOCX) || !p.Allows(envelope.ContentTypeODT) || p.Allows(envelope.ContentTypeXLSX) || p.Allows("application/msword") {
		t.Errorf("policy %v", p.Names())
	}
	if got := strings.Join(p.Names(), ","); got != "pdf,docx,odt" {
		t.Errorf("names %q", got)
	}
	for _, bad := range [][]string{{"docx"}, {"pdf", "doc"}, {"pdf", "xls"}, {"pdf", "docm"}, {"pdf", "html"}, {"pdf", "pdf"}, nil} {
		if _, err := envelope.NewPolicy(bad); err == nil {
			t.Errorf("NewPolicy(%q) accepted", bad)
		}
	}
	if _, err := envelope.NewPolicy([]string{"pdf", "doc"}); err == nil || !strings.Contains(err.Error(), "macros") {
		t.Errorf("a legacy type's refusal does not say why: %v", err)
	}

	atts := func(types ...string) []envelope.Attachment {
		var out []envelope.Attachment
		for _, ct := range types {
			out = append(out, envelope.Attachment{ContentType: ct})
		}
		return out
	}
	if err := p.Check(atts(envelope.ContentTypePDF, envelope.ContentTypeDOCX, envelope.ContentTypeODT)); err != nil {
		t.Errorf("allowed types refused: %v", err)
	}
	err = p.Check(atts(envelope.ContentTypeDOCX, envelope.ContentTypePDF, envelope.ContentTypeXLSX, "text/html"))
	var ve *document.ValidationError
	if !errors.Is(err, envelope.ErrTypeNotAllowed) || !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	if !ve.Has("attachments[0].content_type", document.ProblemNotAllowed) || !ve.Has("attachments[2].content_type", document.ProblemNotAllowed) ||
		!ve.Has("attachments[3].content_type", document.ProblemUnknownType) || ve.Has("attachments[1].content_type", document.ProblemNotAllowed) {
		t.Errorf("problems %+v", ve.Problems)
	}
	if err := zero.Check(atts(envelope.ContentTypePDF, envelope.ContentTypeDOCX)); !errors.Is(err, envelope.ErrTypeNotAllowed) {
		t.Errorf("the default policy took a docx: %v", err)
	}
}

func TestExtensions(t *testing.T) {
	for _, tt := range []struct{ ct, ext, name string }{
		{envelope.ContentTypePDF, ".pdf", "a.pdf"},
		{envelope.ContentTypeDOCX, ".docx", "Phụ lục.DOCX"},
		{envelope.ContentTypeXLSX, ".xlsx", "bang-so-lieu.xlsx"},
		{envelope.ContentTypeODT, ".odt", "a.odt"},
	} {
		if envelope.Extension(tt.ct) != tt.ext {
			t.Errorf("Extension(%s) = %q", tt.ct, envelope.Extension(tt.ct))
		}
		if p := envelope.CheckAttachmentName("name", tt.name, tt.ct); p != nil {
			t.Errorf("%q as %s refused: %s", tt.name, tt.ct, p.Message)
		}
	}
	for _, tt := range []struct{ ct, name string }{
		{envelope.ContentTypeDOCX, "a.pdf"},     // a docx named as a PDF
		{envelope.ContentTypePDF, "a.docx"},     // a PDF named as a docx
		{envelope.ContentTypeDOCX, "a.docm"},    // a macro-enabled name
		{envelope.ContentTypeDOCX, "a.docx.js"}, // the finding's trick
		{envelope.ContentTypeXLSX, "a.xls"},
	} {
		if p := envelope.CheckAttachmentName("name", tt.name, tt.ct); p == nil || p.Code != document.ProblemMismatch {
			t.Errorf("%q as %s: %+v", tt.name, tt.ct, p)
		}
	}
}

// FuzzCheckFile feeds arbitrary bytes to the content checks of every type:
// never a panic, and what is accepted as an office file is a ZIP whose
// directory the standard reader agrees on, within the bounds.
func FuzzCheckFile(f *testing.F) {
	for _, b := range [][]byte{officetest.DOCX("x"), officetest.XLSX(), officetest.ODT("x"), officetest.DOCM(), []byte("%PDF-1.7"), []byte("PK\x05\x06")} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, ty := range envelope.Types() {
			if checkFile(ty.ContentType, b) != nil || ty.ContentType == envelope.ContentTypePDF {
				continue
			}
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("accepted as %s, but not a ZIP: %v", ty.Name, err)
			}
			if len(zr.File) > envelope.MaxZipEntries {
				t.Fatalf("accepted as %s with %d entries", ty.Name, len(zr.File))
			}
			for _, f := range zr.File {
				if f.Flags&1 != 0 || strings.Contains(strings.ToLower(f.Name), "vbaproject") {
					t.Fatalf("accepted as %s with the entry %q (flags %x)", ty.Name, f.Name, f.Flags)
				}
			}
		}
	})
}

// TestCheckFileMemory: what CheckFile allocates is bounded by its own
// bounds, not by what a file claims: a central directory claiming 60000
// entries or 2 GB costs the end record's search (at most 64 KiB), and
// the largest directory accepted costs a few MiB.
func TestCheckFileMemory(t *testing.T) {
	docx := officetest.DOCX("x")
	bomb := patchEnd(docx, func(rec []byte) { binary.LittleEndian.PutUint32(rec[12:], 2<<30) })
	var many []officetest.Entry
	many = append(many, officetest.DocxEntries("x", officetest.DocxMain)...)
	for i := range envelope.MaxZipEntries - len(many) {
		many = append(many, officetest.Entry{Name: fmt.Sprintf("word/media/p%d.xml", i), Stored: true})
	}
	full := officetest.Zip(many...)
	for _, tt := range []struct {
		name string
		file []byte
		ok   bool
		max  uint64
	}{
		{"a 2 GB directory claimed", bomb, false, 128 << 10},
		{"10000 entries", full, true, 16 << 20},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := checkFile(envelope.ContentTypeDOCX, tt.file)
		runtime.ReadMemStats(&after)
		if (err == nil) != tt.ok {
			t.Fatalf("%s: err = %v", tt.name, err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > tt.max {
			t.Errorf("%s: CheckFile allocated %d bytes, want at most %d", tt.name, got, tt.max)
		} else {
			t.Logf("%s (%d bytes): CheckFile allocated %d bytes", tt.name, len(tt.file), got)
		}
	}
}
