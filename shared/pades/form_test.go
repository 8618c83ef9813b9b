package pades

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lienthong/shared/pades/padestest"
)

// acroFormOf returns the AcroForm of the PDF at path.
func acroFormOf(t *testing.T, path string) pdfDict {
	t.Helper()
	src := readFile(t, path)
	d, err := openDocument(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	return d.acroForm()
}

func hasNote(s *SignatureReport, part string) bool {
	return slices.ContainsFunc(s.Notes, func(n string) bool { return strings.Contains(n, part) })
}

// TestFormsSignedTwice signs forms of several producers as ND30 does (the
// person, then the agency) and checks that both signatures verify, here
// and in pdfsig, qpdf and pdfcpu. The LibreOffice form asks viewers to
// regenerate appearances (/NeedAppearances true): the first signature
// removes the flag in its own update, so neither signature sees it change
// after it.
func TestFormsSignedTwice(t *testing.T) {
	p := getPKI(t)
	ts := newTrustStore(t, p.root.Cert)
	dir := t.TempDir()
	lo := filepath.Join(dir, "libreoffice.pdf")
	if err := os.WriteFile(lo, padestest.LibreOfficeForm(true), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, path string
	}{
		{"libreoffice", lo},
		{"pdfcpu", "testdata/form-pdfcpu.pdf"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o1 := signTestFile(t, tt.path, filepath.Join(dir, "1.pdf"), optsFor(p.person))
			o2 := signTestFile(t, o1, filepath.Join(dir, "2.pdf"), optsFor(p.agency))
			rep := verifyFile(t, o2, VerifyOptions{Roots: p.roots})
			requireValid(t, rep, 2)
			if needAppearances(acroFormOf(t, o1)) {
				t.Error("the first signature kept /NeedAppearances true")
			}
			for _, s := range rep.Signatures {
				if hasNote(s, "NeedAppearances") {
					t.Errorf("signature %s has a /NeedAppearances note, but the flag was removed before it", s.Field)
				}
			}
			checkPdfsig(t, ts, o2, 2)
			checkQpdf(t, o2)
			checkPdfcpu(t, ts, o2, 2)
		})
	}
}

// TestNeedAppearancesKept is issue 14's finding 15: a form signed by a
// producer that keeps /NeedAppearances true, then by lienthong. The flag
// was there when the first signature was made, so keeping it is no change
// after it: both signatures verify (before the fix the first was reported
// invalid, "the AcroForm asks viewers to regenerate appearances"), each
// with a note that viewers redraw the fields.
func TestNeedAppearancesKept(t *testing.T) {
	p := getPKI(t)
	ts := newTrustStore(t, p.root.Cert)
	dir := t.TempDir()
	in := filepath.Join(dir, "form.pdf")
	if err := os.WriteFile(in, padestest.LibreOfficeForm(true), 0o644); err != nil {
		t.Fatal(err)
	}
	keepNeedAppearances = true
	o1 := signTestFile(t, in, filepath.Join(dir, "1.pdf"), optsFor(p.person))
	keepNeedAppearances = false
	// Already signed with the flag: lienthong keeps it too.
	o2 := signTestFile(t, o1, filepath.Join(dir, "2.pdf"), optsFor(p.agency))
	if !needAppearances(acroFormOf(t, o2)) {
		t.Fatal("the second signature removed /NeedAppearances after the first signature")
	}
	rep := verifyFile(t, o2, VerifyOptions{Roots: p.roots})
	requireValid(t, rep, 2)
	for _, s := range rep.Signatures {
		if !hasNote(s, "NeedAppearances") {
			t.Errorf("signature %s: no note that viewers regenerate the form: %v", s.Field, s.Notes)
		}
	}
	checkPdfsig(t, ts, o2, 2)

	// Changing the flag after a signature is a change, either way.
	removed := filepath.Join(dir, "removed.pdf")
	appendUnsigned(t, o1, removed, func(d *document, u *update) {
		cat, _ := d.catalog()
		acro := copyDict(d.acroForm())
		delete(acro, "NeedAppearances")
		nc := copyDict(cat)
		nc["AcroForm"] = acro
		u.put(d.root().Num, d.root().Gen, nc)
	})
	requireForbidden(t, removed, p, "stopped asking viewers to regenerate appearances")

	plain := filepath.Join(dir, "plain.pdf")
	o3 := signTestFile(t, in, filepath.Join(dir, "3.pdf"), optsFor(p.person)) // the flag removed by the signature
	appendUnsigned(t, o3, plain, func(d *document, u *update) {
		cat, _ := d.catalog()
		acro := copyDict(d.acroForm())
		acro["NeedAppearances"] = true
		nc := copyDict(cat)
		nc["AcroForm"] = acro
		u.put(d.root().Num, d.root().Gen, nc)
	})
	requireForbidden(t, plain, p, "asks viewers to regenerate appearances")
}

func requireForbidden(t *testing.T, path string, p *testPKI, want string) {
	t.Helper()
	rep := verifyFile(t, path, VerifyOptions{Roots: p.roots})
	if rep.Valid() {
		t.Fatalf("%s verifies; want the change refused", filepath.Base(path))
	}
	if !slices.ContainsFunc(rep.Signatures[0].Problems, func(s string) bool { return strings.Contains(s, want) }) {
		t.Errorf("%s: problems %q, want one saying %q", filepath.Base(path), rep.Signatures[0].Problems, want)
	}
}

// TestFormWithoutAppearances: a form that asks viewers to draw fields that
// have no appearance of their own cannot be signed either way (removing
// the flag hides the values, keeping it signs what viewers redraw): the
// signer refuses it and writes nothing.
func TestFormWithoutAppearances(t *testing.T) {
	p := getPKI(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "form.pdf"), filepath.Join(dir, "signed.pdf")
	if err := os.WriteFile(in, padestest.LibreOfficeForm(false), 0o644); err != nil {
		t.Fatal(err)
	}
	err := SignFile(context.Background(), in, out, optsFor(p.person))
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"HoTen"`) {
		t.Fatalf("SignFile: %v; want ErrUnsupported naming the field", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("SignFile wrote %s", out)
	}
}
