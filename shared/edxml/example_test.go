package edxml_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"time"

	"lienthong/shared/document"
	"lienthong/shared/edxml"
)

// Read a packet from another system, send its attachments to files (here:
// hashes), and see what it maps to and which deviations were accepted.
func ExampleRead() {
	f, err := os.Open("testdata/legacy-soap-shape.edxml")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	p, err := edxml.Read(f, edxml.Options{
		Attachment: func(i int) (io.Writer, error) { return sha256.New(), nil },
	})
	if err != nil {
		fmt.Println("refused:", err)
		return
	}
	m := p.Document.Metadata
	fmt.Println(m.ID(), m.Type.Name(), len(m.To), "recipients")
	for _, w := range p.Warnings[:4] {
		fmt.Printf("%s %q\n", w.Kind, w.Path)
	}
	// Output:
	// 000.00.00.H14,2026/11/05,45/QĐ-UBND Quyết định 2 recipients
	// bom ""
	// legacy-form "edXMLEnvelope"
	// legacy-namespace "edXMLEnvelope/edXMLHeader/MessageHeader"
	// organ-id "edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId"
}

// Answer a document with status 03 as an edXML status packet.
func ExampleWriteStatus() {
	st := &edxml.Status{Update: document.StatusUpdate{
		Document: document.DocumentRef{Organ: "000.00.00.H14", Date: document.NewDate(2026, 11, 5), Number: "45", Notation: "QĐ-UBND"},
		From:     "000.00.00.H41",
		Code:     document.StatusReceived,
		Staff:    "Phan Thị G",
		Time:     time.Date(2026, 11, 6, 8, 30, 0, 0, document.VietnamTime),
	}}
	var out bytes.Buffer
	if err := edxml.WriteStatus(&out, st); err != nil {
		panic(err)
	}
	p, err := edxml.Read(&out, edxml.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Status.Update.Code, p.Status.Update.Document, len(p.Warnings), "warnings")
	// Output:
	// 03 000.00.00.H14,2026/11/05,45/QĐ-UBND 0 warnings
}
