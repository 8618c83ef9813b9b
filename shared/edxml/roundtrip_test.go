package edxml

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"lienthong/shared/document"
)

func date(y int, m time.Month, d int) document.Date { return document.NewDate(y, m, d) }

// sampleDocument is a document with every field the model and edXML share
// set to something other than its zero value.
func sampleDocument() *Document {
	m := document.Metadata{
		Version:      document.SchemaVersion,
		From:         document.Organ{Code: "000.00.00.H49", Name: "UBND tỉnh Quảng Ninh"},
		CodeNumber:   "1234",
		CodeNotation: "UBND-VX",
		Promulgation: document.Promulgation{Place: "Quảng Ninh", Date: date(2026, 11, 30)},
		Type:         document.TypeCongVan,
		Subject:      "V/v triển khai <thí điểm> & \"liên thông\"",
		Signer:       document.Signer{Competence: "KT. CHỦ TỊCH", Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn A"},
		To: []document.Recipient{
			{Code: "000.00.00.G22", Name: "Văn phòng Chính phủ"},
			{Code: "000.00.00.H41", Name: "UBND tỉnh Nghệ An"},
		},
		ToPlaces:           []string{"Như trên;", "Lưu: VT."},
		Priority:           document.UrgencyVeryUrgent,
		DueDate:            date(2026, 12, 15),
		SteeringType:       document.SteeringDirective,
		PageAmount:         3,
		PromulgationAmount: 5,
		Appendixes:         []string{"Phụ lục I", "Phụ lục II"},
		ResponseFor:        document.DocumentRef{Organ: "000.00.00.G22", Date: date(2026, 10, 1), Number: "77", Notation: "VPCP-KGVX"},
	}
	return &Document{
		Metadata: m,
		Trace:    []Hop{{Organ: "000.00.00.H49", Time: time.Date(2026, 11, 30, 9, 15, 0, 123456789, document.VietnamTime)}},
		Attachments: []Attachment{
			{ContentID: "a1", Name: "1234-UBND-VX.pdf", ContentType: "application/pdf", Description: "Văn bản", Included: true},
			{ContentID: "a2", Name: "phu-luc.pdf", ContentType: "application/pdf", Included: true},
		},
	}
}

var contents = [][]byte{[]byte("%PDF-1.7 main document"), bytes.Repeat([]byte("%PDF-1.4 appendix\n"), 1000)}

func openContents(i int) (io.Reader, error) { return bytes.NewReader(contents[i]), nil }

// collect gives Read a sink per attachment and returns what went in.
func collect() (func(int) (io.Writer, error), *[]*bytes.Buffer) {
	var bufs []*bytes.Buffer
	return func(i int) (io.Writer, error) {
		b := new(bytes.Buffer)
		bufs = append(bufs, b)
		return b, nil
	}, &bufs
}

func writeDoc(t *testing.T, d *Document) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := WriteDocument(&out, d, openContents); err != nil {
		t.Fatalf("WriteDocument: %v", err)
	}
	return out.Bytes()
}

func readOK(t *testing.T, data []byte, opts Options) *Packet {
	t.Helper()
	p, err := Read(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Read: %v\n%s", err, clip(data))
	}
	return p
}

func clip(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "..."
	}
	return string(b)
}

// withHashes fills the attachments' sizes and hashes from contents.
func withHashes(d *Document) {
	for i := range d.Attachments {
		d.Attachments[i].Index = i
		d.Attachments[i].Size = int64(len(contents[i]))
		d.Attachments[i].SHA256 = sha256.Sum256(contents[i])
	}
}

func TestDocumentRoundTrip(t *testing.T) {
	businesses := []document.Business{
		{Type: document.BusinessNew},
		{Type: document.BusinessRecall, Reason: "Sai thể thức", Documents: []document.DocumentRef{
			{Organ: "000.00.00.H49", Date: date(2026, 11, 1), Number: "1200", Notation: "UBND-VX"}}},
		{Type: document.BusinessUpdate, Reason: "Bổ sung phụ lục", Documents: []document.DocumentRef{
			{Organ: "000.00.00.H49", Date: date(2026, 11, 2), Number: "1201", Notation: "UBND-VX"}}},
		{Type: document.BusinessReplace, Reason: "Thay thế", Documents: []document.DocumentRef{
			{Organ: "000.00.00.H49", Date: date(2026, 11, 3), Number: "1202", Notation: "UBND-VX"},
			{Organ: "000.00.00.H49", Date: date(2026, 11, 4), Number: "1203", Notation: "UBND-VX"}}},
	}
	for _, ti := range document.Types() {
		for _, b := range businesses {
			t.Run(string(ti.Type)+"/"+b.Type.String(), func(t *testing.T) {
				want := sampleDocument()
				want.Metadata.Type = ti.Type
				want.Metadata.Business = b
				data := writeDoc(t, want)
				sink, bufs := collect()
				p := readOK(t, data, Options{Attachment: sink})
				if p.Document == nil || p.Status != nil {
					t.Fatalf("read a status, want a document")
				}
				if len(p.Warnings) != 0 {
					t.Errorf("warnings on our own packet: %v", p.Warnings)
				}
				withHashes(want)
				got := p.Document
				if !reflect.DeepEqual(got.Metadata, want.Metadata) {
					t.Errorf("metadata:\n got %+v\nwant %+v", got.Metadata, want.Metadata)
				}
				if len(got.Trace) != 1 || !got.Trace[0].Time.Equal(want.Trace[0].Time) || got.Trace[0].Organ != want.Trace[0].Organ {
					t.Errorf("trace: got %+v want %+v", got.Trace, want.Trace)
				}
				if !reflect.DeepEqual(got.Attachments, want.Attachments) {
					t.Errorf("attachments:\n got %+v\nwant %+v", got.Attachments, want.Attachments)
				}
				for i, c := range contents {
					if !bytes.Equal((*bufs)[i].Bytes(), c) {
						t.Errorf("attachment %d content differs", i)
					}
				}
				if len(got.Extras) != 0 {
					t.Errorf("extras on our own packet: %+v", got.Extras)
				}
				if again := writeDoc(t, got); !bytes.Equal(again, data) {
					t.Errorf("export of the import differs from the first export")
				}
			})
		}
	}
}

func TestTypeNameAsPrinted(t *testing.T) {
	want := sampleDocument()
	want.Metadata.Type = document.TypeCongDien
	want.Metadata.TypeName = "Công điện khẩn"
	p := readOK(t, writeDoc(t, want), Options{})
	if got := p.Document.Metadata; got.Type != document.TypeCongDien || got.TypeName != "Công điện khẩn" {
		t.Errorf("got type %q name %q", got.Type, got.TypeName)
	}
}

func sampleStatus(code document.Status) *Status {
	u := document.StatusUpdate{
		Document: document.DocumentRef{Organ: "000.00.00.H49", Date: date(2026, 11, 30), Number: "1234", Notation: "UBND-VX"},
		From:     "000.00.00.G22",
		Code:     code,
		Staff:    "Trần Thị B",
		Time:     time.Date(2026, 12, 1, 8, 0, 0, 5000, time.UTC),
	}
	switch code {
	case document.StatusRefused:
		u.Reason = "Gửi nhầm cơ quan"
	case document.StatusRecalled:
		u.From = u.Document.Organ
		u.Description = "Thu hồi"
	default:
		u.Description = "Đã xử lý: " + code.NameVI()
	}
	return &Status{Update: u, Element: "Status"}
}

func TestStatusRoundTrip(t *testing.T) {
	for _, code := range document.Statuses() {
		t.Run(string(code), func(t *testing.T) {
			want := sampleStatus(code)
			var out bytes.Buffer
			if err := WriteStatus(&out, want); err != nil {
				t.Fatal(err)
			}
			p := readOK(t, out.Bytes(), Options{})
			if p.Status == nil || p.Document != nil {
				t.Fatal("not read as a status")
			}
			if len(p.Warnings) != 0 || len(p.Status.Extras) != 0 {
				t.Errorf("warnings %v extras %v", p.Warnings, p.Status.Extras)
			}
			got := p.Status.Update
			if !got.Time.Equal(want.Update.Time) {
				t.Errorf("time %v, want %v", got.Time, want.Update.Time)
			}
			got.Time = want.Update.Time
			if !reflect.DeepEqual(got, want.Update) {
				t.Errorf("got %+v\nwant %+v", got, want.Update)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("the status read back does not validate: %v", err)
			}
		})
	}
}

func TestWriteRefusesWhatEdXMLCannotCarry(t *testing.T) {
	d := sampleDocument()
	d.Metadata.Secrecy = document.SecrecyConfidential
	if err := WriteDocument(io.Discard, d, openContents); !errors.Is(err, ErrNotExpressible) {
		t.Errorf("secret document: %v", err)
	}
	s := sampleStatus(document.StatusRefused)
	s.Update.Description = "và mô tả"
	if err := WriteStatus(io.Discard, s); !errors.Is(err, ErrNotExpressible) {
		t.Errorf("02 with a description: %v", err)
	}
	s = sampleStatus(document.StatusReceived)
	s.Update.Reason = "lý do"
	if err := WriteStatus(io.Discard, s); !errors.Is(err, ErrNotExpressible) {
		t.Errorf("03 with a reason: %v", err)
	}
	for name, change := range map[string]func(m *document.Metadata){
		"no sender":         func(m *document.Metadata) { m.From.Code = "" },
		"no recipient":      func(m *document.Metadata) { m.To = nil },
		"recipient no code": func(m *document.Metadata) { m.To[1].Code = "" },
		"not a type":        func(m *document.Metadata) { m.Type = "thu_tay" },
	} {
		d = sampleDocument()
		change(&d.Metadata)
		if err := WriteDocument(io.Discard, d, openContents); !errors.Is(err, ErrNotExpressible) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, change := range map[string]func(u *document.StatusUpdate){
		"no document": func(u *document.StatusUpdate) { u.Document = document.DocumentRef{} },
		"no sender":   func(u *document.StatusUpdate) { u.From = "" },
		"bad code":    func(u *document.StatusUpdate) { u.Code = "103" },
		"no time":     func(u *document.StatusUpdate) { u.Time = time.Time{} },
	} {
		s := sampleStatus(document.StatusReceived)
		change(&s.Update)
		if err := WriteStatus(io.Discard, s); !errors.Is(err, ErrNotExpressible) {
			t.Errorf("status %s: %v", name, err)
		}
	}
	d = sampleDocument()
	d.Metadata.Appendixes = []string{"Null"}
	if err := WriteDocument(io.Discard, d, openContents); !errors.Is(err, ErrNotExpressible) {
		t.Errorf("the text null: %v", err)
	}
	d = sampleDocument()
	d.Extras = []Extra{{Path: "edXMLEnvelope/edXMLHeader/MessageHeader/To[9]", Name: "X", XML: "<edXML:X/>"}}
	var out bytes.Buffer
	if err := WriteDocument(&out, d, openContents); !errors.Is(err, ErrNotExpressible) || out.Len() != 0 {
		t.Errorf("extra without a place: %v, %d bytes written", err, out.Len())
	}
}

func TestWriteIsDeterministic(t *testing.T) {
	a, b := writeDoc(t, sampleDocument()), writeDoc(t, sampleDocument())
	if !bytes.Equal(a, b) {
		t.Error("two exports of one document differ")
	}
	if !strings.Contains(string(a), `<edXML:edXML xmlns:edXML="`+Namespace+`">`) {
		t.Errorf("not the standard namespace and prefix:\n%s", clip(a))
	}
}

func TestWriteChecksAttachments(t *testing.T) {
	d := sampleDocument()
	d.Attachments[1].ContentID = "a1"
	if err := WriteDocument(io.Discard, d, openContents); !errors.Is(err, ErrNotExpressible) {
		t.Errorf("duplicate ContentId: %v", err)
	}
	d = sampleDocument()
	withHashes(d)
	d.Attachments[0].SHA256[0] ^= 1
	if err := WriteDocument(io.Discard, d, openContents); !errors.Is(err, ErrAttachment) {
		t.Errorf("content not matching its hash: %v", err)
	}
	d = sampleDocument()
	d.Attachments[1].Size = 3
	if err := WriteDocument(io.Discard, d, openContents); !errors.Is(err, ErrAttachment) {
		t.Errorf("content not matching its size: %v", err)
	}
	d = sampleDocument()
	withHashes(d)
	if err := WriteDocument(io.Discard, d, openContents); err != nil {
		t.Errorf("matching content refused: %v", err)
	}
}
