// Package officetest makes small office files for tests: a Word, an Excel
// and an OpenDocument text file with the parts envelope.CheckFile looks
// for, and the hostile variants it must refuse. The files are built with
// archive/zip from a few lines of XML each; no office program is needed.
package officetest

import (
	"archive/zip"
	"bytes"
	"fmt"
)

// Entry is one file inside a ZIP.
type Entry struct {
	Name   string
	Body   string
	Stored bool // written uncompressed (zip.Store) rather than deflated
}

// Zip writes the entries, in order, as a ZIP archive.
func Zip(entries ...Entry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate}
		if e.Stored {
			h.Method = zip.Store
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			panic(err) // only a test's own mistake
		}
		if _, err := w.Write([]byte(e.Body)); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

const rels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%s"/></Relationships>`

// contentTypes is a [Content_Types].xml declaring part of type main.
func contentTypes(part, main string, extra string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
		extra + `<Override PartName="/` + part + `" ContentType="` + main + `"/></Types>`
}

// Main content types of the OOXML main parts.
const (
	DocxMain = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
	DocmMain = "application/vnd.ms-word.document.macroEnabled.main+xml"
	XlsxMain = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
)

// DocxEntries are the parts of a one-paragraph Word document saying text,
// whose main part is declared of type main (DocxMain, or DocmMain for a
// macro-enabled one).
func DocxEntries(text, main string) []Entry {
	return []Entry{
		{Name: "[Content_Types].xml", Body: contentTypes("word/document.xml", main, "")},
		{Name: "_rels/.rels", Body: fmt.Sprintf(rels, "word/document.xml")},
		{Name: "word/document.xml", Body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>` + text + `</w:t></w:r></w:p></w:body></w:document>`},
	}
}

// DOCX is a one-paragraph Word document saying text.
func DOCX(text string) []byte { return Zip(DocxEntries(text, DocxMain)...) }

// DOCM is a macro-enabled Word document: its main part is declared
// macro-enabled and it carries a VBA project.
func DOCM() []byte {
	e := DocxEntries("macro", DocmMain)
	return Zip(append(e, Entry{Name: "word/vbaProject.bin", Body: "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 Attribute VB_Name"})...)
}

// XLSX is a one-sheet Excel workbook.
func XLSX() []byte {
	return Zip(
		Entry{Name: "[Content_Types].xml", Body: contentTypes("xl/workbook.xml", XlsxMain,
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)},
		Entry{Name: "_rels/.rels", Body: fmt.Sprintf(rels, "xl/workbook.xml")},
		Entry{Name: "xl/workbook.xml", Body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		Entry{Name: "xl/_rels/workbook.xml.rels", Body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		Entry{Name: "xl/worksheets/sheet1.xml", Body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Phụ lục</t></is></c></row></sheetData></worksheet>`},
	)
}

// ODTEntries are the parts of a one-paragraph OpenDocument text; the first
// is its "mimetype", stored uncompressed as ODF requires.
func ODTEntries(text string) []Entry {
	return []Entry{
		{Name: "mimetype", Body: "application/vnd.oasis.opendocument.text", Stored: true},
		{Name: "META-INF/manifest.xml", Body: `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
		{Name: "content.xml", Body: `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:text><text:p>` + text + `</text:p></office:text></office:body></office:document-content>`},
	}
}

// ODT is a one-paragraph OpenDocument text saying text.
func ODT(text string) []byte { return Zip(ODTEntries(text)...) }
