package pades

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"lienthong/shared/stamp"
)

// withEmptyFields writes cong-van.pdf plus a form prepared for signing: an
// empty merged signature field "Chữ ký người ký", a parent field "CoQuan"
// whose kid "Dau" is an empty signature field with its widget, a signature
// field "BanSao" whose widget is a separate kid (if withSplit), and a text
// field "SoVB".
func withEmptyFields(t *testing.T, out string, withSplit bool) {
	t.Helper()
	appendUnsigned(t, "testdata/cong-van.pdf", out, func(d *document, u *update) {
		pr, pd := firstPage(t, d)
		cat, _ := d.catalog()
		merged, parent, kid, text, acroNum, split, splitW := u.alloc(), u.alloc(), u.alloc(), u.alloc(), u.alloc(), u.alloc(), u.alloc()
		u.put(merged, 0, pdfDict{"FT": pdfName("Sig"), "T": textString("Chữ ký người ký"), "Type": pdfName("Annot"), "Subtype": pdfName("Widget"),
			"Rect": pdfArray{int64(330), int64(120), int64(510), int64(210)}, "F": int64(4), "P": pr})
		u.put(parent, 0, pdfDict{"T": textString("CoQuan"), "Kids": pdfArray{pdfRef{Num: kid}}})
		u.put(kid, 0, pdfDict{"FT": pdfName("Sig"), "T": textString("Dau"), "Parent": pdfRef{Num: parent}, "Type": pdfName("Annot"), "Subtype": pdfName("Widget"),
			"Rect": pdfArray{int64(0), int64(0), int64(0), int64(0)}, "F": int64(4), "P": pr})
		u.put(text, 0, pdfDict{"FT": pdfName("Tx"), "T": textString("SoVB"), "Type": pdfName("Annot"), "Subtype": pdfName("Widget"), "DA": pdfString{Value: []byte("/Helv 10 Tf 0 g")},
			"Rect": pdfArray{int64(0), int64(0), int64(0), int64(0)}, "P": pr})
		u.put(split, 0, pdfDict{"FT": pdfName("Sig"), "T": textString("BanSao"), "Kids": pdfArray{pdfRef{Num: splitW}}})
		u.put(splitW, 0, pdfDict{"Parent": pdfRef{Num: split}, "Type": pdfName("Annot"), "Subtype": pdfName("Widget"),
			"Rect": pdfArray{int64(0), int64(0), int64(0), int64(0)}, "F": int64(4), "P": pr})
		fields := pdfArray{pdfRef{Num: merged}, pdfRef{Num: parent}, pdfRef{Num: text}}
		annots := pdfArray{pdfRef{Num: merged}, pdfRef{Num: kid}, pdfRef{Num: text}}
		if withSplit {
			fields = append(fields, pdfRef{Num: split})
			annots = append(annots, pdfRef{Num: splitW})
		}
		u.put(acroNum, 0, pdfDict{"Fields": fields})
		nc := copyDict(cat)
		nc["AcroForm"] = pdfRef{Num: acroNum}
		u.put(d.root().Num, d.root().Gen, nc)
		np := copyDict(pd)
		np["Annots"] = annots
		u.put(pr.Num, pr.Gen, np)
	})
}

func TestFillEmptyField(t *testing.T) {
	p := getPKI(t)
	ts := newTrustStore(t, p.root.Cert)
	dir := t.TempDir()
	form := filepath.Join(dir, "form.pdf")
	withEmptyFields(t, form, false)
	splitForm := filepath.Join(dir, "split.pdf")
	withEmptyFields(t, splitForm, true)
	img, err := stamp.ImageStamp(stamp.DemoSignature("Nguyễn Văn An"), nil, 180, 90)
	if err != nil {
		t.Fatal(err)
	}

	o1 := optsFor(p.person)
	o1.FieldName, o1.Appearance = "Chữ ký người ký", img
	person := signTestFile(t, form, filepath.Join(dir, "person.pdf"), o1)
	o2 := optsFor(p.agency)
	o2.FieldName = "CoQuan.Dau"
	agency := signTestFile(t, person, filepath.Join(dir, "agency.pdf"), o2)
	final := agency

	rep := verifyFile(t, final, VerifyOptions{Roots: p.roots})
	requireValid(t, rep, 2)
	if rep.Signatures[0].Field != "Chữ ký người ký" || rep.Signatures[1].Field != "CoQuan.Dau" {
		t.Errorf("fields %q, %q", rep.Signatures[0].Field, rep.Signatures[1].Field)
	}
	for _, c := range rep.Signatures[0].LaterChanges {
		if c.Kind == KindPage || c.Kind == KindAnnotations {
			t.Errorf("filling a field changed the page: %s", c.Description)
		}
	}
	checkPdfsig(t, ts, final, 2)
	checkQpdf(t, final)
	checkPdfcpu(t, ts, final, 2)

	tests := []struct {
		name, field, in, want string
	}{
		{"already signed", "Chữ ký người ký", final, "already signed"},
		{"not a signature field", "SoVB", form, "not a signature field"},
		{"widget kept apart", "BanSao", splitForm, "only fields merged with their widget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := optsFor(p.agency)
			o.FieldName = tt.field
			err := SignFile(context.Background(), tt.in, filepath.Join(dir, "x.pdf"), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SignFile = %v, want %q", err, tt.want)
			}
		})
	}
	// A new name still adds a new field.
	o4 := optsFor(p.agency)
	o4.FieldName = "Bản sao"
	extra := signTestFile(t, form, filepath.Join(dir, "extra.pdf"), o4)
	requireValid(t, verifyFile(t, extra, VerifyOptions{Roots: p.roots}), 1)
	if b := readFile(t, extra); !bytes.HasPrefix(b, readFile(t, form)) {
		t.Fatal("original bytes changed")
	}
}
