package pades

import (
	"errors"
	"os"
	"testing"
)

func TestOpenDocument(t *testing.T) {
	tests := []struct {
		file    string
		wantErr error
		stream  bool
	}{
		{"cong-van.pdf", nil, false},
		{"quyet-dinh.pdf", nil, false},
		{"bao-cao.pdf", nil, false},
		{"bao-cao-objstm.pdf", nil, true},
		{"cong-van-linearized.pdf", nil, false},
		{"cong-van-signed-poppler.pdf", nil, false},
		{"quyet-dinh-encrypted.pdf", ErrEncrypted, false},
		{"quyet-dinh-truncated.pdf", ErrDamaged, false},
		{"not-a-pdf.pdf", ErrNotPDF, false},
		{"polyglot.hta", ErrNotPDF, false}, // %PDF- at offset 10, inside HTML
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := f.Stat()
			d, err := openDocument(f, st.Size())
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("openDocument = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("openDocument: %v", err)
			}
			if d.lastIsStrm != tt.stream {
				t.Errorf("last xref is stream = %v, want %v", d.lastIsStrm, tt.stream)
			}
			pages, err := d.pages(0)
			if err != nil || len(pages) == 0 {
				t.Fatalf("pages = %v, %v", pages, err)
			}
			for num := range d.xref {
				if _, err := d.resolve(pdfRef{Num: num, Gen: d.xref[num].Gen}); err != nil {
					t.Errorf("resolve %d: %v", num, err)
				}
			}
		})
	}
}
