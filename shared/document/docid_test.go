package document

import (
	"encoding/json"
	"errors"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestParseDocumentID(t *testing.T) {
	vpcp := DocumentID{Organ: "000.00.00.G22", Date: NewDate(2015, 9, 30), Number: "7816", Notation: "VPCP-TTĐT"}
	tests := []struct {
		name    string
		in      string
		want    DocumentID
		wantErr bool
	}{
		{"the example", "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT", vpcp, false},
		{"day first", "000.00.00.G22,30/09/2015,7816/VPCP-TTĐT", vpcp, false},
		{"spaces around parts", "000.00.00.G22, 2015/09/30 , 7816/VPCP-TTĐT", vpcp, false},
		{"decomposed notation", norm.NFD.String("000.00.00.H49,2025/01/02,5/TB-SỞ"),
			DocumentID{Organ: "000.00.00.H49", Date: NewDate(2025, 1, 2), Number: "5", Notation: "TB-SỞ"}, false},
		{"legal document", "000.00.00.G01,2020/03/05,30/2020/NĐ-CP",
			DocumentID{Organ: "000.00.00.G01", Date: NewDate(2020, 3, 5), Number: "30", Notation: "2020/NĐ-CP"}, false},
		{"empty", "", DocumentID{}, true},
		{"two parts", "000.00.00.G22,2015/09/30", DocumentID{}, true},
		{"four parts", "000.00.00.G22,2015/09/30,7816/VPCP,TTĐT", DocumentID{}, true},
		{"bad agency", "000.00.G22,2015/09/30,7816/VPCP-TTĐT", DocumentID{}, true},
		{"lower-case agency", "000.00.00.g22,2015/09/30,7816/VPCP-TTĐT", DocumentID{}, true},
		{"dashed date", "000.00.00.G22,2015-09-30,7816/VPCP-TTĐT", DocumentID{}, true},
		{"no such day", "000.00.00.G22,2015/02/30,7816/VPCP-TTĐT", DocumentID{}, true},
		{"month first is not read", "000.00.00.G22,09/30/2015,7816/VPCP-TTĐT", DocumentID{}, true},
		{"no number", "000.00.00.G22,2015/09/30,VPCP-TTĐT", DocumentID{}, true},
		{"bad number", "000.00.00.G22,2015/09/30,x/VPCP-TTĐT", DocumentID{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDocumentID(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseDocumentID(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrBadDocumentID) {
					t.Errorf("error %v does not wrap ErrBadDocumentID", err)
				}
				return
			}
			if err := got.Check(); err != nil {
				t.Errorf("parsed id fails Check: %v", err)
			}
			back, err := ParseDocumentID(got.String())
			if err != nil || back != got {
				t.Errorf("round trip of %q: %+v, %v", got.String(), back, err)
			}
		})
	}
}

func TestDocumentIDString(t *testing.T) {
	id := DocumentID{Organ: "000.00.00.H49", Date: NewDate(2025, 1, 2), Number: "567", Notation: "QĐ-UBND"}
	if got, want := id.String(), "000.00.00.H49,2025/01/02,567/QĐ-UBND"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestDocumentIDCheck(t *testing.T) {
	good := DocumentID{Organ: "000.00.00.H49", Date: NewDate(2025, 1, 2), Number: "567", Notation: "QĐ-UBND"}
	tests := []struct {
		name   string
		modify func(*DocumentID)
		ok     bool
	}{
		{"good", func(*DocumentID) {}, true},
		{"bad organ", func(id *DocumentID) { id.Organ = "H49" }, false},
		{"no date", func(id *DocumentID) { id.Date = Date{} }, false},
		{"bad number", func(id *DocumentID) { id.Number = "5a" }, false},
		{"comma in notation", func(id *DocumentID) { id.Notation = "QĐ,UBND" }, false},
		{"decomposed notation", func(id *DocumentID) { id.Notation = norm.NFD.String("TB-SỞ") }, false},
		{"composed notation", func(id *DocumentID) { id.Notation = "TB-SỞ" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := good
			tt.modify(&id)
			err := id.Check()
			if (err == nil) != tt.ok {
				t.Errorf("Check() = %v, want ok %v", err, tt.ok)
			}
			if _, merr := id.MarshalText(); (merr == nil) != tt.ok {
				t.Errorf("MarshalText() = %v, want ok %v", merr, tt.ok)
			}
		})
	}
}

func TestDocumentIDJSON(t *testing.T) {
	type wrap struct {
		ID  DocumentID   `json:"id"`
		Opt DocumentID   `json:"opt,omitzero"`
		IDs []DocumentID `json:"ids"`
	}
	in := wrap{
		ID:  DocumentID{Organ: "000.00.00.G22", Date: NewDate(2015, 9, 30), Number: "7816", Notation: "VPCP-TTĐT"},
		IDs: []DocumentID{{Organ: "000.00.00.H49", Date: NewDate(2025, 1, 2), Number: "1", Notation: "TB-UBND"}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"000.00.00.G22,2015/09/30,7816/VPCP-TTĐT","ids":["000.00.00.H49,2025/01/02,1/TB-UBND"]}`
	if string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var back wrap
	if err := json.Unmarshal(b, &back); err != nil || back.ID != in.ID || back.IDs[0] != in.IDs[0] || !back.Opt.IsZero() {
		t.Errorf("Unmarshal = %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"id":"nonsense"}`), &back); !errors.Is(err, ErrBadDocumentID) {
		t.Errorf("Unmarshal of a bad id: %v, want ErrBadDocumentID", err)
	}
}

func TestSameNumber(t *testing.T) {
	base := DocumentID{Organ: "000.00.00.H49", Date: NewDate(2025, 3, 1), Number: "5", Notation: "QĐ-UBND"}
	tests := []struct {
		name   string
		modify func(*DocumentID)
		want   bool
	}{
		{"identical", func(*DocumentID) {}, true},
		{"another day of the same year", func(id *DocumentID) { id.Date = NewDate(2025, 11, 20) }, true},
		{"leading zero", func(id *DocumentID) { id.Number = "05" }, true},
		{"next year restarts numbering", func(id *DocumentID) { id.Date = NewDate(2026, 3, 1) }, false},
		{"another agency", func(id *DocumentID) { id.Organ = "000.00.00.H41" }, false},
		{"another notation", func(id *DocumentID) { id.Notation = "TB-UBND" }, false},
		{"another number", func(id *DocumentID) { id.Number = "50" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := base
			tt.modify(&other)
			if got := base.SameNumber(other); got != tt.want {
				t.Errorf("SameNumber = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzDocumentID(f *testing.F) {
	for _, s := range []string{
		"000.00.00.G22,2015/09/30,7816/VPCP-TTĐT",
		"000.00.00.G22,30/09/2015,7816/VPCP-TTĐT",
		"000.00.00.G01,2020/03/05,30/2020/NĐ-CP",
		"000.00.00.G22,2015/02/30,1/A",
		",,/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseDocumentID(s)
		if err != nil {
			if !errors.Is(err, ErrBadDocumentID) {
				t.Fatalf("error %v does not wrap ErrBadDocumentID", err)
			}
			return
		}
		if err := id.Check(); err != nil {
			t.Fatalf("ParseDocumentID(%q) = %+v, which fails Check: %v", s, id, err)
		}
		out := id.String()
		back, err := ParseDocumentID(out)
		if err != nil || back != id {
			t.Fatalf("round trip %q -> %q -> %+v, %v", s, out, back, err)
		}
		if back.String() != out {
			t.Fatalf("String not stable: %q then %q", out, back.String())
		}
	})
}
