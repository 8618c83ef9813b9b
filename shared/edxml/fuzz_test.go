package edxml

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzRead feeds Read arbitrary bytes: it must never panic, and whatever
// it accepts must export and read back with the same fields.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.edxml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	var out bytes.Buffer
	if err := WriteDocument(&out, sampleDocument(), openContents); err != nil {
		f.Fatal(err)
	}
	f.Add(out.Bytes())
	out.Reset()
	if err := WriteStatus(&out, sampleStatus("02")); err != nil {
		f.Fatal(err)
	}
	f.Add(out.Bytes())
	f.Add([]byte(billionLaughs))
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxPacketSize: 1 << 20, MaxElements: 2000}
		sink, bufs := collect()
		p, err := Read(bytes.NewReader(data), Options{Limits: lim, Attachment: sink})
		if err != nil {
			if p != nil {
				t.Fatal("a packet with an error")
			}
			known := false
			for _, s := range []error{ErrMalformed, ErrTooLarge, ErrNotEdXML, ErrMissing, ErrInvalid, ErrAttachment} {
				known = known || errors.Is(err, s)
			}
			if !known {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		var buf bytes.Buffer
		if p.Document != nil {
			open := func(i int) (io.Reader, error) {
				return bytes.NewReader((*bufs)[p.Document.Attachments[i].Index].Bytes()), nil
			}
			if err := WriteDocument(&buf, p.Document, open); err != nil {
				t.Fatalf("a document read cannot be written: %v", err)
			}
		} else if err := WriteStatus(&buf, p.Status); err != nil {
			t.Fatalf("a status read cannot be written: %v", err)
		}
		q, err := Read(bytes.NewReader(buf.Bytes()), Options{})
		if err != nil {
			t.Fatalf("our export of an accepted packet is refused: %v\n%s", err, buf.Bytes())
		}
		if p.Document != nil && !reflect.DeepEqual(p.Document.Metadata, q.Document.Metadata) {
			t.Fatalf("metadata changed through export:\n%+v\n%+v", p.Document.Metadata, q.Document.Metadata)
		}
		if p.Status != nil {
			a, b := p.Status.Update, q.Status.Update
			if !a.Time.Equal(b.Time) {
				t.Fatalf("time changed through export: %v %v", a.Time, b.Time)
			}
			a.Time = b.Time
			if a != b {
				t.Fatalf("status changed through export:\n%+v\n%+v", a, b)
			}
		}
	})
}

// FuzzRoundTrip writes documents whose text fields come from the fuzzer
// and that pass the model's validation, and reads them back equal.
func FuzzRoundTrip(f *testing.F) {
	f.Add("UBND tỉnh Quảng Ninh", "V/v <a> & \"b\"", "Hà Nội", "Phụ lục\tI", "KT. CHỦ TỊCH")
	f.Add("a]]>b", "x\r\ny", "&amp;", "null", " ")
	f.Add("Sở Nội vụ", "Về việc ]]> &lt;", "Huế", "NULL", "Q. GIÁM ĐỐC")
	if err := sampleDocument().Metadata.Validate(); err != nil {
		f.Fatalf("the sample does not validate, nothing would be tried: %v", err)
	}
	f.Fuzz(func(t *testing.T, organ, subject, place, appendix, competence string) {
		d := sampleDocument()
		m := &d.Metadata
		m.From.Name, m.Subject, m.Promulgation.Place, m.Signer.Competence = organ, subject, place, competence
		m.Appendixes = []string{appendix}
		m.Normalize()
		if m.Validate() != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteDocument(&out, d, openContents); errors.Is(err, ErrNotExpressible) && strings.Contains(err.Error(), "null") {
			return
		} else if err != nil {
			t.Fatal(err)
		}
		p, err := Read(bytes.NewReader(out.Bytes()), Options{})
		if err != nil {
			t.Fatalf("%v\n%s", err, out.Bytes())
		}
		if !reflect.DeepEqual(p.Document.Metadata, *m) {
			t.Fatalf("got %+v\nwant %+v", p.Document.Metadata, *m)
		}
	})
}
