package edxml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// packet builds a document packet from pieces of MessageHeader and what
// follows the envelope.
func packet(header, after string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXML xmlns:edXML="` + Namespace + `"><edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader>` + header +
		`</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope>` + after + `</edXML:edXML>`
}

const (
	from    = `<edXML:From><edXML:OrganId>000.00.00.H49</edXML:OrganId></edXML:From>`
	to      = `<edXML:To><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:To>`
	docType = `<edXML:DocumentType><edXML:Type>18</edXML:Type></edXML:DocumentType>`
	valid   = from + to + docType
)

func attachment(content string) string {
	return `<edXML:AttachmentEncoded><edXML:Attachment><edXML:ContentId>x</edXML:ContentId><edXML:ContentTransferEncoded>` +
		content + `</edXML:ContentTransferEncoded></edXML:Attachment></edXML:AttachmentEncoded>`
}

func status(inner string) string {
	return `<edXML:edXML xmlns:edXML="` + Namespace + `"><edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:Status>` + inner +
		`</edXML:Status></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML:edXML>`
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<edXML:edXML xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol3;</edXML:edXML>`

func TestReadRefuses(t *testing.T) {
	statusFrom := `<edXML:From><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:From>`
	statusRef := `<edXML:ResponseFor><edXML:DocumentId>000.00.00.H49,2026/11/30,12/UBND-VX</edXML:DocumentId></edXML:ResponseFor>`
	tests := []struct {
		name   string
		input  string
		limits Limits
		want   error
		path   string // a suffix of the error's path
	}{
		{"no sender", packet(to+docType, ""), Limits{}, ErrMissing, "From/OrganId"},
		{"empty sender", packet(`<edXML:From><edXML:OrganId> null </edXML:OrganId></edXML:From>`+to+docType, ""), Limits{}, ErrMissing, "From/OrganId"},
		{"no recipient", packet(from+docType, ""), Limits{}, ErrMissing, "MessageHeader/To"},
		{"recipient without code", packet(from+`<edXML:To><edXML:OrganName>X</edXML:OrganName></edXML:To>`+docType, ""), Limits{}, ErrMissing, "To[1]/OrganId"},
		{"no type", packet(from+to, ""), Limits{}, ErrMissing, "DocumentType"},
		{"base64 garbage", packet(valid, attachment("JVBER!*0xLjc=")), Limits{}, ErrAttachment, "ContentTransferEncoded"},
		{"base64 after padding", packet(valid, attachment("QQ==QUFB")), Limits{}, ErrAttachment, "ContentTransferEncoded"},
		{"base64 truncated", packet(valid, attachment("QUFBQ")), Limits{}, ErrAttachment, "ContentTransferEncoded"},
		{"element inside content", packet(valid, attachment("QUFB<edXML:X/>")), Limits{}, ErrAttachment, "ContentTransferEncoded"},
		{"attachment without content", packet(valid, `<edXML:AttachmentEncoded><edXML:Attachment/></edXML:AttachmentEncoded>`), Limits{}, ErrMissing, "Attachment[1]/ContentTransferEncoded"},
		{"over the size limit", packet(valid, attachment(strings.Repeat("QUFB", 1000))), Limits{MaxPacketSize: 2000}, ErrTooLarge, ""},
		{"too many attachments", packet(valid, strings.Repeat(attachment("QUFB"), 3)), Limits{MaxAttachments: 2}, ErrTooLarge, "Attachment"},
		{"attachments inside the header", strings.Replace(packet(valid, ""), "</edXML:MessageHeader>", "</edXML:MessageHeader>"+attachment("QUFB"), 1), Limits{}, ErrInvalid, "AttachmentEncoded"},
		{"big content outside AttachmentEncoded", packet(valid+`<edXML:Attachment><edXML:ContentTransferEncoded>`+strings.Repeat("QUFB", 20000)+`</edXML:ContentTransferEncoded></edXML:Attachment>`, ""), Limits{}, ErrTooLarge, "ContentTransferEncoded"},
		{"status with attachments", strings.Replace(status(statusFrom+statusRef+`<edXML:StatusCode>03</edXML:StatusCode><edXML:Timestamp>2026-12-01T08:00:00+07:00</edXML:Timestamp>`), "</edXML:edXMLEnvelope>", "</edXML:edXMLEnvelope>"+attachment("QUFB"), 1), Limits{}, ErrInvalid, "AttachmentEncoded"},
		{"wrong root", `<html><body/></html>`, Limits{}, ErrNotEdXML, "html"},
		{"wrong namespace", strings.ReplaceAll(packet(valid, ""), Namespace, "urn:example:other"), Limits{}, ErrNotEdXML, "edXML"},
		{"no envelope", `<edXML xmlns="` + Namespace + `"/>`, Limits{}, ErrMissing, "edXMLEnvelope"},
		{"not well-formed", packet(valid, "")[:200], Limits{}, ErrMalformed, ""},
		{"entity expansion", billionLaughs, Limits{}, ErrMalformed, ""},
		{"undeclared entity", packet(`<edXML:Subject>&xxe;</edXML:Subject>`+valid, ""), Limits{}, ErrMalformed, ""},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + packet(valid, "")[38:], Limits{}, ErrMalformed, ""},
		{"deep nesting", packet(valid+strings.Repeat("<edXML:X>", 100)+strings.Repeat("</edXML:X>", 100), ""), Limits{}, ErrTooLarge, "X"},
		{"many elements", packet(valid+strings.Repeat("<edXML:X/>", 30000), ""), Limits{}, ErrTooLarge, "MessageHeader"},
		{"many attributes", packet(valid+"<edXML:X"+manyAttrs(100)+"/>", ""), Limits{}, ErrTooLarge, ""},
		{"huge attribute", packet(valid+`<edXML:X a="`+strings.Repeat("a", 70<<10)+`"/>`, ""), Limits{}, ErrTooLarge, ""},
		{"huge text", packet(valid+`<edXML:Subject>`+strings.Repeat("a", 70<<10)+`</edXML:Subject>`, ""), Limits{}, ErrTooLarge, "Subject"},
		{"UTF-16", "\xff\xfe<\x00e\x00", Limits{}, ErrMalformed, ""},
		{"other encoding", strings.Replace(packet(valid, ""), "UTF-8", "windows-1258", 1), Limits{}, ErrMalformed, ""},
		{"two subjects", packet(valid+`<edXML:Subject>a</edXML:Subject><edXML:Subject>b</edXML:Subject>`, ""), Limits{}, ErrInvalid, "Subject"},
		{"not a date", packet(valid+`<edXML:DueDate>31/02/2026</edXML:DueDate>`, ""), Limits{}, ErrInvalid, "DueDate"},
		{"priority out of range", packet(valid+`<edXML:OtherInfo><edXML:Priority>7</edXML:Priority></edXML:OtherInfo>`, ""), Limits{}, ErrInvalid, "Priority"},
		{"page count not a number", packet(valid+`<edXML:OtherInfo><edXML:PageAmount>ba</edXML:PageAmount></edXML:OtherInfo>`, ""), Limits{}, ErrInvalid, "PageAmount"},
		{"business type out of range", strings.Replace(packet(valid, ""), "</edXML:MessageHeader>", `</edXML:MessageHeader><edXML:TraceHeaderList><edXML:Bussiness><edXML:BussinessDocType>4</edXML:BussinessDocType></edXML:Bussiness></edXML:TraceHeaderList>`, 1), Limits{}, ErrInvalid, "BussinessDocType"},
		{"recalled document unreadable", strings.Replace(packet(valid, ""), "</edXML:MessageHeader>", `</edXML:MessageHeader><edXML:TraceHeaderList><edXML:Bussiness><edXML:BussinessDocType>1</edXML:BussinessDocType><edXML:DocumentId>abc</edXML:DocumentId></edXML:Bussiness></edXML:TraceHeaderList>`, 1), Limits{}, ErrInvalid, "Bussiness/DocumentId"},
		{"private status code", status(statusFrom + statusRef + `<edXML:StatusCode>103</edXML:StatusCode><edXML:Timestamp>2026-12-01T08:00:00+07:00</edXML:Timestamp>`), Limits{}, ErrInvalid, "StatusCode"},
		{"status without document", status(statusFrom + `<edXML:StatusCode>03</edXML:StatusCode><edXML:Timestamp>2026-12-01T08:00:00+07:00</edXML:Timestamp>`), Limits{}, ErrMissing, "ResponseFor"},
		{"status without sender", status(statusRef + `<edXML:StatusCode>03</edXML:StatusCode><edXML:Timestamp>2026-12-01T08:00:00+07:00</edXML:Timestamp>`), Limits{}, ErrMissing, "From/OrganId"},
		{"status without time", status(statusFrom + statusRef + `<edXML:StatusCode>03</edXML:StatusCode>`), Limits{}, ErrMissing, "Timestamp"},
		{"status time unreadable", status(statusFrom + statusRef + `<edXML:StatusCode>03</edXML:StatusCode><edXML:Timestamp>hôm qua</edXML:Timestamp>`), Limits{}, ErrInvalid, "Timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stored int
			sink := func(int) (io.Writer, error) { return writerFunc(func(p []byte) { stored += len(p) }), nil }
			p, err := Read(strings.NewReader(tt.input), Options{Limits: tt.limits, Attachment: sink})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v (packet %v), want %v", err, p != nil, tt.want)
			}
			if p != nil {
				t.Error("a packet returned with the error")
			}
			var e *Error
			if tt.path != "" && (!errors.As(err, &e) || !strings.HasSuffix(e.Path, tt.path)) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
		})
	}
}

type writerFunc func(p []byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` a%d="v"`, i)
	}
	return b.String()
}

func TestSinkErrorStopsTheRead(t *testing.T) {
	in := packet(valid, attachment(strings.Repeat("QUFB", 3000)))
	refuse := func(i int) (io.Writer, error) { return nil, errors.New("disk full") }
	if _, err := Read(strings.NewReader(in), Options{Attachment: refuse}); !errors.Is(err, ErrAttachment) {
		t.Errorf("refusing sink: %v", err)
	}
	failing := func(i int) (io.Writer, error) { return failWriter{}, nil }
	if _, err := Read(strings.NewReader(in), Options{Attachment: failing}); !errors.Is(err, ErrAttachment) {
		t.Errorf("failing sink: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestLimitsValidate(t *testing.T) {
	for _, l := range []Limits{{MaxPacketSize: -1}, {MaxDepth: 4}, {MaxAttributes: -2}} {
		if l.Validate() == nil {
			t.Errorf("%+v accepted", l)
		}
		if _, err := Read(strings.NewReader(packet(valid, "")), Options{Limits: l}); err == nil {
			t.Errorf("Read accepted limits %+v", l)
		}
	}
	if err := (Limits{}).Validate(); err != nil {
		t.Errorf("zero limits: %v", err)
	}
}

func TestLenientForms(t *testing.T) {
	in := "\ufeff" + strings.Replace(packet(
		`<From xmlns="`+Namespace+`"><OrganId>000.00.00.h49</OrganId></From>`+
			`<edXML:To><edXML:OrganId>`+"\n 000.00.00.G22 \n"+`</edXML:OrganId></edXML:To>`+
			`<edXML:Code><edXML:CodeNumber>7</edXML:CodeNumber><edXML:CodeNotation>QĐ-UBND</edXML:CodeNotation></edXML:Code>`+
			`<edXML:PromulgationInfo><edXML:PromulgationDate>2026-11-03</edXML:PromulgationDate></edXML:PromulgationInfo>`+
			`<edXML:DocumentType><edXML:TypeName>null</edXML:TypeName></edXML:DocumentType>`+
			`<edXML:Subject><![CDATA[a & b]]> `+"Vie\u0302\u0323t"+`</edXML:Subject><edXML:DueDate>3/1/2027 00:00:00</edXML:DueDate>`+
			`<edXML:DocumentId>000.00.00.H49,03/11/2026,7/QĐ-UBND</edXML:DocumentId>`,
		attachment("QUFBQQ")), "edXML:", "e:", -1)
	in = strings.Replace(in, "xmlns:edXML=", "xmlns:e=", 1)
	p, err := Read(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := p.Document.Metadata
	if m.From.Code != "000.00.00.H49" || m.To[0].Code != "000.00.00.G22" || m.Type != "quyet_dinh" ||
		m.Promulgation.Date != date(2026, 11, 3) || m.DueDate != date(2027, 1, 3) || m.Subject != "a & b Việt" {
		t.Errorf("metadata %+v", m)
	}
	if a := p.Document.Attachments; len(a) != 1 || a[0].Size != 4 {
		t.Errorf("attachments %+v", a)
	}
	want := []string{"base64-form", "bom", "date-format", "document-type", "null", "organ-id", "unicode-form", "whitespace"}
	if got := kinds(p.Warnings); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("warning kinds %v, want %v\n%v", got, want, p.Warnings)
	}
	if len(p.Document.Extras) != 0 {
		t.Errorf("extras %+v", p.Document.Extras)
	}
}

func TestSignaturePlace(t *testing.T) {
	sig := `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>`
	in := strings.Replace(packet(valid, ""), "</edXML:MessageHeader>", "</edXML:MessageHeader>"+sig, 1)
	p, err := Read(strings.NewReader("\ufeff"+in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Signature == nil {
		t.Fatal("no signature found")
	}
	full := "\ufeff" + in
	if got := full[p.Signature.Start:p.Signature.End]; got != sig {
		t.Errorf("signature span gives %q", got)
	}
	if len(p.Document.Extras) != 0 {
		t.Errorf("the signature is kept as an extra: %+v", p.Document.Extras)
	}
}

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestMemoryBounded checks that big attachments and bombs cost memory in
// proportion to the packet, not more.
func TestMemoryBounded(t *testing.T) {
	big := bytes.Repeat([]byte("QUJD"), 2<<20) // 8 MiB of base64
	tests := []struct {
		name  string
		input string
		ok    bool
		bound float64 // allowed bytes per input byte
	}{
		{"8 MiB attachment", packet(valid, attachment(string(big))), true, 4},
		{"deep nesting", packet(valid+strings.Repeat("<edXML:X>", 1<<20), ""), false, 0.1},
		{"a million siblings", packet(valid+strings.Repeat("<edXML:X/>", 1<<20), ""), false, 1},
		{"many attributes", packet(valid+"<edXML:X"+manyAttrs(1<<17)+"/>", ""), false, 0.1},
		{"huge attribute", packet(valid+`<edXML:X a="`+strings.Repeat("a", 8<<20)+`"/>`, ""), false, 0.1},
		{"entity expansion", billionLaughs, false, 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = Read(strings.NewReader(tt.input), Options{}) })
			if (err == nil) != tt.ok {
				t.Fatalf("error %v", err)
			}
			limit := uint64(tt.bound*float64(len(tt.input))) + 1<<20
			t.Logf("%d bytes in, %d allocated (bound %d)", len(tt.input), n, limit)
			if n > limit {
				t.Errorf("allocated %d bytes for %d bytes of input, more than %d", n, len(tt.input), limit)
			}
		})
	}
}

// TestStatusInMessageHeader reads a status carried in a MessageHeader, with
// a DocumentId that is not of the standard form, and writes it back in the
// same element.
func TestStatusInMessageHeader(t *testing.T) {
	in := `<edXML xmlns="` + Namespace + `"><edXMLEnvelope><edXMLHeader><MessageHeader>` +
		`<From><OrganId>000.00.00.G22</OrganId></From><ResponseFor><OrganId>000.00.00.H49</OrganId><Code>12/UBND-VX</Code>` +
		`<PromulgationDate>30/11/2026</PromulgationDate><DocumentId>e6a1c0de</DocumentId></ResponseFor>` +
		`<StatusCode>06</StatusCode><Timestamp>2026/12/01 08:00:00</Timestamp></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>`
	p, err := Read(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := p.Status.Update
	if u.Code != "06" || u.Document.String() != "000.00.00.H49,2026/11/30,12/UBND-VX" || p.Status.Element != "MessageHeader" {
		t.Errorf("status %+v in %s", u, p.Status.Element)
	}
	if !hasExtra(p.Status.Extras, "edXMLEnvelope/edXMLHeader/MessageHeader/ResponseFor[1]", "DocumentId") {
		t.Errorf("the DocumentId as written is not kept: %+v", p.Status.Extras)
	}
	want := []string{"date-format", "document-id", "time-format"}
	if got := kinds(p.Warnings); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("warning kinds %v, want %v", got, want)
	}
	reexport(t, p)
}

// TestTextWhereAContainerWasExpected keeps text no field reads (a signer
// written as plain text) and reads a code written as one text.
func TestTextWhereAContainerWasExpected(t *testing.T) {
	in := packet(valid+`<edXML:Code>15/QĐ-UBND</edXML:Code><edXML:SignerInfo>Nguyễn Văn A</edXML:SignerInfo>`, "")
	p, err := Read(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := p.Document.Metadata
	if m.CodeNumber != "15" || m.CodeNotation != "QĐ-UBND" {
		t.Errorf("code %q %q", m.CodeNumber, m.CodeNotation)
	}
	if got := kinds(p.Warnings); fmt.Sprint(got) != "[code-form]" {
		t.Errorf("warnings %v", p.Warnings)
	}
	want := []Extra{{Path: mh + "/SignerInfo", XML: "Nguyễn Văn A"}}
	if fmt.Sprint(p.Document.Extras) != fmt.Sprint(want) {
		t.Errorf("extras %+v, want %+v", p.Document.Extras, want)
	}
	reexport(t, p)
}

// TestAttachmentWithoutContentID gives an attachment that came without an
// id one, so that it can be written again.
func TestAttachmentWithoutContentID(t *testing.T) {
	in := packet(valid, `<edXML:AttachmentEncoded><edXML:Attachment><edXML:ContentTransferEncoded>QUFB</edXML:ContentTransferEncoded></edXML:Attachment>`+
		`<edXML:Attachment><edXML:ContentId>attachment-1</edXML:ContentId><edXML:ContentTransferEncoded>QkJC</edXML:ContentTransferEncoded></edXML:Attachment></edXML:AttachmentEncoded>`)
	p, err := Read(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := p.Document.Attachments
	if len(a) != 2 || a[0].ContentID != "attachment-1x" || a[1].ContentID != "attachment-1" {
		t.Errorf("attachments %+v", a)
	}
	if got := kinds(p.Warnings); fmt.Sprint(got) != "[attachment-ref]" {
		t.Errorf("warnings %v", p.Warnings)
	}
	content := []string{"AAA", "BBB"}
	open := func(i int) (io.Reader, error) { return strings.NewReader(content[i]), nil }
	if err := WriteDocument(io.Discard, p.Document, open); err != nil {
		t.Errorf("cannot be written again: %v", err)
	}
}

// TestSeveralResponseFor maps the first and keeps the others as written.
func TestSeveralResponseFor(t *testing.T) {
	rf := func(id string) string {
		return `<edXML:ResponseFor><edXML:OrganId>000.00.00.G22</edXML:OrganId><edXML:DocumentId>` + id + `</edXML:DocumentId></edXML:ResponseFor>`
	}
	in := packet(valid+rf("000.00.00.G22,2026/10/01,77/VPCP-KGVX")+rf("not-an-id")+rf("000.00.00.G22,2026/10/02,78/VPCP-KGVX"), "")
	p, err := Read(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Document.Metadata.ResponseFor.String(); got != "000.00.00.G22,2026/10/01,77/VPCP-KGVX" {
		t.Errorf("ResponseFor %s", got)
	}
	n := 0
	for _, e := range p.Document.Extras {
		if e.Path == mh && e.Name == "ResponseFor" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d ResponseFor kept, want 2: %+v", n, p.Document.Extras)
	}
	reexport(t, p)
}
