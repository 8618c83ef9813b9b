package edxml

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"lienthong/shared/document"
)

func readFixture(t *testing.T, name string) ([]byte, *Packet, error) {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	sink, bufs := collect()
	p, err := Read(bytes.NewReader(data), Options{Attachment: sink})
	if err == nil {
		fixtureContents[p] = *bufs
	}
	return data, p, err
}

// fixtureContents holds the attachments each fixture's packet carried.
var fixtureContents = map[*Packet][]*bytes.Buffer{}

func kinds(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		if !slices.Contains(out, string(w.Kind)) {
			out = append(out, string(w.Kind))
		}
	}
	sort.Strings(out)
	return out
}

func hasExtra(es []Extra, path, name string) bool {
	for _, e := range es {
		if e.Path == path && e.Name == name {
			return true
		}
	}
	return false
}

const mh = "edXMLEnvelope/edXMLHeader/MessageHeader"

// TestProducers reads packets shaped like those of other producers (see
// each fixture's comment for whose shape and where it was learnt) and
// checks the fields, the warnings and what is kept.
func TestProducers(t *testing.T) {
	tests := []struct {
		file     string
		warnings []WarningKind
		check    func(t *testing.T, p *Packet)
	}{
		{"sdk-example-shape.edxml", []WarningKind{WarnEmpty, WarnTimeFormat}, func(t *testing.T, p *Packet) {
			m := p.Document.Metadata
			if m.From.Code != "000.00.00.H23" || len(m.To) != 1 || m.To[0].Code != "000.00.00.G22" ||
				m.CodeNumber != "215" || m.CodeNotation != "UBND-KT" || m.Type != document.TypeCongVan ||
				m.Promulgation.Date != date(2026, 11, 20) || m.DueDate != date(2026, 11, 22) || m.PageAmount != 2 ||
				m.Business.Reason != "Van ban dien tu moi" || len(m.Appendixes) != 0 {
				t.Errorf("metadata %+v", m)
			}
			a := p.Document.Attachments
			if len(a) != 1 || !a[0].Included || a[0].Name != "215-UBND-KT.pdf" || a[0].Description != "File dinh kem 1" || a[0].Size != 57 {
				t.Errorf("attachments %+v", a)
			}
			for _, e := range [][2]string{{mh, "Content"}, {mh + "/From", "OrganizationInCharge"}, {mh + "/DocumentType", "TypeDetail"},
				{"edXMLEnvelope/edXMLHeader/TraceHeaderList/Bussiness", "StaffInfo"}, {"edXMLEnvelope/edXMLHeader", "DigitalSignature"}} {
				if !hasExtra(p.Document.Extras, e[0], e[1]) {
					t.Errorf("%s/%s not kept", e[0], e[1])
				}
			}
			if err := m.Validate(); err != nil {
				t.Errorf("does not validate: %v", err)
			}
		}},
		{"vxp-gateway-shape.edxml", []WarningKind{WarnDocumentID, WarnDocumentType, WarnOrganID, WarnTimeFormat, WarnWhitespace, WarnZipped}, func(t *testing.T, p *Packet) {
			m := p.Document.Metadata
			if m.From.Code != "000.00.00.G11" || m.To[0].Code != "vpcp.edoc" || m.CodeNumber != "88" || m.Type != document.TypeCongVan ||
				m.Signer.FullName != "Lê Văn D" {
				t.Errorf("metadata %+v", m)
			}
			if !hasExtra(p.Document.Extras, mh, "DocumentId") {
				t.Error("the UUID DocumentId is not kept")
			}
			if a := p.Document.Attachments; len(a) != 1 || a[0].ContentID != "5b6c7d8e-0f1a-4b2c-9d3e-4f5a6b7c8d9e" || a[0].ContentType != "application/pdf" {
				t.Errorf("attachments %+v", a)
			}
		}},
		{"legacy-soap-shape.edxml", []WarningKind{WarnAttachmentRef, WarnBOM, WarnDateFormat, WarnLegacyForm, WarnLegacyNamespace,
			WarnNull, WarnOrganID, WarnTimeFormat, WarnWhitespace}, func(t *testing.T, p *Packet) {
			m := p.Document.Metadata
			if !p.Legacy || m.From.Code != "000.00.00.H14" || len(m.To) != 2 || m.Type != document.TypeQuyetDinh ||
				m.Promulgation.Date != date(2026, 11, 5) || m.Priority != document.UrgencyUrgent || m.Signer.Competence != "" ||
				m.Subject != "Về việc ban hành quy chế phối hợp <liên tỉnh>" || m.CodeNumber != "45" {
				t.Errorf("metadata %+v", m)
			}
			if a := p.Document.Attachments; len(a) != 1 || a[0].Included || a[0].ContentID != "attach-1" || a[0].Index != -1 {
				t.Errorf("attachments %+v", a)
			}
		}},
		{"status-legacy-shape.edxml", []WarningKind{WarnDateFormat, WarnLegacyForm, WarnLegacyNamespace, WarnStatusCode, WarnTimeFormat}, func(t *testing.T, p *Packet) {
			u := p.Status.Update
			want := document.DocumentRef{Organ: "000.00.00.H14", Date: date(2026, 11, 5), Number: "45", Notation: "QĐ-UBND"}
			if u.Document != want || u.From != "000.00.00.H41" || u.Code != document.StatusReceived || u.Staff != "Phan Thị G" ||
				!u.Time.Equal(time.Date(2026, 11, 6, 1, 30, 0, 0, time.UTC)) || u.Description != "Đã vào sổ văn bản đến" {
				t.Errorf("status %+v", u)
			}
			if !hasExtra(p.Status.Extras, "edXMLEnvelope/edXMLHeader/Status/StaffInfo", "Department") {
				t.Error("department not kept")
			}
			if err := u.Validate(); err != nil {
				t.Errorf("does not validate: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, p, err := readFixture(t, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, k := range tt.warnings {
				want = append(want, string(k))
			}
			sort.Strings(want)
			if got := kinds(p.Warnings); !reflect.DeepEqual(got, want) {
				t.Errorf("warnings %v\nwant kinds %v", p.Warnings, want)
			}
			for _, w := range p.Warnings {
				if w.Kind != WarnBOM && w.Path == "" {
					t.Errorf("warning without a path: %v", w)
				}
			}
			tt.check(t, p)
			reexport(t, p)
		})
	}
}

// reexport writes a packet read from elsewhere and reads it back: the
// fields and the extras (as canonical fragments, wherever they sit) are
// the same, and our form brings no warnings but those the content itself
// causes (a kept DocumentId or OrganId, a reference without content, a
// zipped attachment).
func reexport(t *testing.T, p *Packet) {
	t.Helper()
	var out bytes.Buffer
	var extras []Extra
	if p.Document != nil {
		open := func(i int) (io.Reader, error) {
			if bufs := fixtureContents[p]; p.Document.Attachments[i].Index < len(bufs) {
				return bytes.NewReader(bufs[p.Document.Attachments[i].Index].Bytes()), nil
			}
			return strings.NewReader(""), nil
		}
		if err := WriteDocument(&out, p.Document, open); err != nil {
			t.Fatalf("export: %v", err)
		}
		extras = p.Document.Extras
	} else {
		if err := WriteStatus(&out, p.Status); err != nil {
			t.Fatalf("export: %v", err)
		}
		extras = p.Status.Extras
	}
	q, err := Read(bytes.NewReader(out.Bytes()), Options{})
	if err != nil {
		t.Fatalf("re-import: %v\n%s", err, clip(out.Bytes()))
	}
	for _, w := range q.Warnings {
		if w.Kind != WarnDocumentID && w.Kind != WarnOrganID && w.Kind != WarnAttachmentRef && w.Kind != WarnZipped {
			t.Errorf("our export of it warns: %v", w)
		}
	}
	var got []Extra
	if q.Document != nil {
		if !reflect.DeepEqual(q.Document.Metadata, p.Document.Metadata) {
			t.Errorf("metadata after export:\n got %+v\nwant %+v", q.Document.Metadata, p.Document.Metadata)
		}
		got = q.Document.Extras
	} else {
		a, b := q.Status.Update, p.Status.Update
		if !a.Time.Equal(b.Time) {
			t.Errorf("time after export %v, want %v", a.Time, b.Time)
		}
		a.Time = b.Time
		if a != b {
			t.Errorf("status after export %+v, want %+v", a, b)
		}
		got = q.Status.Extras
	}
	if !reflect.DeepEqual(sortedExtras(got), sortedExtras(extras)) {
		t.Errorf("extras after export:\n got %+v\nwant %+v", got, extras)
	}
}

func sortedExtras(es []Extra) []Extra {
	out := slices.Clone(es)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Path+"\x00"+a.Attr+"\x00"+a.XML < b.Path+"\x00"+b.Attr+"\x00"+b.XML
	})
	return out
}

func TestMisboundNamespaceRefused(t *testing.T) {
	_, _, err := readFixture(t, "status-misbound-namespace.edxml")
	var e *Error
	if !errors.Is(err, ErrNotEdXML) || !errors.As(err, &e) || !strings.HasSuffix(e.Path, "/Status") {
		t.Errorf("got %v, want ErrNotEdXML at .../Status", err)
	}
}
