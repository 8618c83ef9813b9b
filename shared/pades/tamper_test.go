package pades

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// appendUnsigned writes in + an unsigned incremental update made by edit
// (with a cross-reference section of the file's kind) to out, the way an
// attacker or a careless editor would.
func appendUnsigned(t testing.TB, in, out string, edit func(d *document, u *update)) {
	t.Helper()
	src := readFile(t, in)
	d, err := openDocument(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	u := &update{objs: map[int][]byte{}, gens: map[int]int{}, next: d.maxSize()}
	edit(d, u)
	var tail bytes.Buffer
	tail.WriteString("\n")
	offsets := map[int]int64{}
	var nums []int
	for n, b := range u.objs {
		nums = append(nums, n)
		_ = b
	}
	for _, n := range sortedInts(nums) {
		offsets[n] = int64(len(src) + tail.Len())
		tail.Write(u.objs[n])
	}
	trailer := pdfDict{"Root": d.root(), "Prev": d.startxref}
	if v, ok := d.trailer["Info"]; ok {
		trailer["Info"] = v
	}
	xrefOff := int64(len(src) + tail.Len())
	if d.lastIsStrm {
		x := u.alloc()
		offsets[x] = xrefOff
		nums = append(nums, x)
		writeXRefStream(&tail, x, nums, offsets, u.gens, trailer, u.next)
	} else {
		writeXRefTable(&tail, nums, offsets, u.gens, trailer, u.next)
	}
	fmt.Fprintf(&tail, "startxref\n%d\n%%%%EOF\n", xrefOff)
	if err := os.WriteFile(out, append(src, tail.Bytes()...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func sortedInts(a []int) []int {
	b := append([]int(nil), a...)
	for i := range b {
		for j := i + 1; j < len(b); j++ {
			if b[j] < b[i] {
				b[i], b[j] = b[j], b[i]
			}
		}
	}
	return b
}

func firstPage(t testing.TB, d *document) (pdfRef, pdfDict) {
	t.Helper()
	pages, err := d.pages(1)
	if err != nil || len(pages) == 0 {
		t.Fatalf("pages: %v", err)
	}
	pd, err := d.resolveDict(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	return pages[0], pd
}

func copyDict(d pdfDict) pdfDict {
	c := pdfDict{}
	for k, v := range d {
		c[k] = v
	}
	return c
}

const forged = "BT /F1 36 Tf 72 700 Td (DA SUA NOI DUNG) Tj ET"

// TestTamper: changes after signing that must make the document fail, and
// harmless ones that must not.
func TestTamper(t *testing.T) {
	p := getPKI(t)
	ts := newTrustStore(t, p.root.Cert)
	tests := []struct {
		name     string
		base     string
		tamper   func(t *testing.T, signed, out string)
		resign   bool // the agency signs after the tampering
		valid    bool
		wantKind string
		wantText string
	}{
		{
			name: "byte changed inside the signed range",
			base: "cong-van.pdf",
			tamper: func(t *testing.T, signed, out string) {
				b := readFile(t, signed)
				i := bytes.Index(b, []byte("/Producer"))
				b[i+1] = 'p'
				os.WriteFile(out, b, 0o644)
			},
			wantText: "digest does not match",
		},
		{
			name: "page content stream replaced by an unsigned update",
			base: "cong-van.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					_, pd := firstPage(t, d)
					c, ok := pd["Contents"].(pdfRef)
					if !ok {
						t.Fatalf("page 1 /Contents is %T", pd["Contents"])
					}
					u.putStream(c.Num, pdfDict{}, []byte(forged))
				})
			},
			wantKind: KindPageContent,
			wantText: "the content of page 1 was replaced",
		},
		{
			name: "page content replaced over an xref stream",
			base: "bao-cao-objstm.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					_, pd := firstPage(t, d)
					c := pd["Contents"].(pdfRef)
					u.putStream(c.Num, pdfDict{}, []byte(forged))
				})
			},
			wantKind: KindPageContent,
		},
		{
			name: "page pointed at new content",
			base: "quyet-dinh.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					pr, pd := firstPage(t, d)
					n := u.alloc()
					u.putStream(n, pdfDict{}, []byte(forged))
					np := copyDict(pd)
					np["Contents"] = pdfRef{Num: n}
					u.put(pr.Num, pr.Gen, np)
				})
			},
			wantKind: KindPage,
			wantText: "page 1 changed: /Contents",
		},
		{
			name: "overlay annotation added",
			base: "cong-van.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					pr, pd := firstPage(t, d)
					n := u.alloc()
					u.put(n, 0, pdfDict{"Type": pdfName("Annot"), "Subtype": pdfName("Square"), "Rect": pdfArray{int64(50), int64(600), int64(500), int64(800)}, "IC": pdfArray{int64(1), int64(1), int64(1)}})
					np := copyDict(pd)
					annots, _ := d.resolveValue(pd["Annots"])
					arr, _ := annots.(pdfArray)
					np["Annots"] = append(append(pdfArray{}, arr...), pdfRef{Num: n})
					u.put(pr.Num, pr.Gen, np)
				})
			},
			wantKind: KindPage,
			wantText: "not a signature annotation",
		},
		{
			name: "catalog gains an OpenAction",
			base: "cong-van.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					cat, _ := d.catalog()
					nc := copyDict(cat)
					nc["OpenAction"] = pdfDict{"S": pdfName("JavaScript"), "JS": pdfString{Value: []byte("app.alert(1)")}}
					u.put(d.root().Num, d.root().Gen, nc)
				})
			},
			wantKind: KindCatalog,
			wantText: "/OpenAction",
		},
		{
			name: "document information replaced",
			base: "cong-van.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					ir := d.trailer["Info"].(pdfRef)
					u.put(ir.Num, ir.Gen, pdfDict{"Title": textString("Quyết định giả")})
				})
			},
			wantKind: KindOther,
			wantText: "was replaced",
		},
		{
			name: "content replaced and then signed again by the agency",
			base: "cong-van.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					_, pd := firstPage(t, d)
					u.putStream(pd["Contents"].(pdfRef).Num, pdfDict{}, []byte(forged))
				})
			},
			resign:   true,
			wantKind: KindPageContent,
		},
		{
			name: "page rewritten with identical content is harmless",
			base: "cong-van.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					pr, pd := firstPage(t, d)
					u.put(pr.Num, pr.Gen, pd)
				})
			},
			valid: true,
		},
		{
			name: "validation data (DSS) added for B-LT is harmless",
			base: "bao-cao-objstm.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					cat, _ := d.catalog()
					c, dss := u.alloc(), u.alloc()
					u.putStream(c, pdfDict{}, getPKI(t).issuing.Cert.Raw)
					u.put(dss, 0, pdfDict{"Certs": pdfArray{pdfRef{Num: c}}})
					nc := copyDict(cat)
					nc["DSS"] = pdfRef{Num: dss}
					u.put(d.root().Num, d.root().Gen, nc)
				})
			},
			valid: true,
		},
		{
			name: "DSS smuggling a page change still fails",
			base: "cong-van.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					cat, _ := d.catalog()
					_, pd := firstPage(t, d)
					dss := u.alloc()
					u.put(dss, 0, pdfDict{"Certs": pdfArray{pd["Contents"]}})
					u.putStream(pd["Contents"].(pdfRef).Num, pdfDict{}, []byte(forged))
					nc := copyDict(cat)
					nc["DSS"] = pdfRef{Num: dss}
					u.put(d.root().Num, d.root().Gen, nc)
				})
			},
			wantKind: KindPageContent,
		},
		{
			name: "empty signature field added is harmless",
			base: "quyet-dinh.pdf",
			tamper: func(t *testing.T, signed, out string) {
				appendUnsigned(t, signed, out, func(d *document, u *update) {
					cat, _ := d.catalog()
					ar := cat["AcroForm"].(pdfRef)
					acro, _ := d.resolveDict(ar)
					n := u.alloc()
					u.put(n, 0, pdfDict{"FT": pdfName("Sig"), "T": textString("Chờ ký"), "Type": pdfName("Annot"), "Subtype": pdfName("Widget"), "Rect": pdfArray{int64(0), int64(0), int64(0), int64(0)}})
					na := copyDict(acro)
					na["Fields"] = append(append(pdfArray{}, acro["Fields"].(pdfArray)...), pdfRef{Num: n})
					u.put(ar.Num, ar.Gen, na)
				})
			},
			valid: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			signed := signTestFile(t, "testdata/"+tt.base, filepath.Join(dir, "signed.pdf"), optsFor(p.person))
			out := filepath.Join(dir, "tampered.pdf")
			tt.tamper(t, signed, out)
			if tt.resign {
				out = signTestFile(t, out, filepath.Join(dir, "resigned.pdf"), optsFor(p.agency))
			}
			rep := verifyFile(t, out, VerifyOptions{Roots: p.roots})
			if rep.Valid() != tt.valid {
				for _, s := range rep.Signatures {
					t.Logf("%s: %v", s.Field, s.Problems)
				}
				t.Fatalf("Valid() = %v, want %v", rep.Valid(), tt.valid)
			}
			first := rep.Signatures[0]
			if tt.valid {
				return
			}
			if tt.wantText != "" && !strings.Contains(strings.Join(first.Problems, "\n"), tt.wantText) {
				t.Errorf("problems %q do not mention %q", first.Problems, tt.wantText)
			}
			if tt.wantKind != "" {
				found := false
				for _, c := range first.ForbiddenChanges() {
					found = found || c.Kind == tt.wantKind
				}
				if !found {
					t.Errorf("no forbidden change of kind %q in %+v", tt.wantKind, first.LaterChanges)
				}
			}
			if tt.resign {
				if second := rep.Signatures[1]; !second.Valid() {
					t.Errorf("the agency's own signature should verify: %v", second.Problems)
				}
			}
			// The common validators do not see structural tampering.
			if tt.wantKind != "" {
				t.Logf("pdfsig calls this document valid: %v", pdfsigSaysValid(t, ts, out))
			}
		})
	}
}

// TestUnsignedVisibleWidget: a visible "signature" widget added without a
// signature could paint over the content; it must fail, while the same
// widget signed by a later signature is fine (TestVisible).
func TestUnsignedVisibleWidget(t *testing.T) {
	p := getPKI(t)
	dir := t.TempDir()
	signed := signTestFile(t, "testdata/cong-van.pdf", filepath.Join(dir, "signed.pdf"), optsFor(p.person))
	tests := []struct {
		name  string
		rect  pdfArray
		flags int64
		valid bool
	}{
		{name: "visible overlay", rect: pdfArray{int64(50), int64(500), int64(550), int64(800)}, valid: false},
		{name: "hidden flag", rect: pdfArray{int64(50), int64(500), int64(550), int64(800)}, flags: 2, valid: true},
		{name: "zero area", rect: pdfArray{int64(0), int64(0), int64(0), int64(0)}, valid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".pdf")
			appendUnsigned(t, signed, out, func(d *document, u *update) {
				pr, pd := firstPage(t, d)
				cat, _ := d.catalog()
				ar := cat["AcroForm"].(pdfRef)
				acro, _ := d.resolveDict(ar)
				ap, w := u.alloc(), u.alloc()
				u.putStream(ap, pdfDict{"Type": pdfName("XObject"), "Subtype": pdfName("Form"), "BBox": pdfArray{int64(0), int64(0), int64(500), int64(300)}}, []byte("1 1 1 rg 0 0 500 300 re f 0 g BT /Helv 30 Tf 20 150 Td (NOI DUNG GIA) Tj ET"))
				u.put(w, 0, pdfDict{"FT": pdfName("Sig"), "T": textString("Overlay"), "Type": pdfName("Annot"), "Subtype": pdfName("Widget"), "Rect": tt.rect, "F": tt.flags, "P": pr, "AP": pdfDict{"N": pdfRef{Num: ap}}})
				na := copyDict(acro)
				na["Fields"] = append(append(pdfArray{}, acro["Fields"].(pdfArray)...), pdfRef{Num: w})
				u.put(ar.Num, ar.Gen, na)
				annots, _ := d.resolveValue(pd["Annots"])
				arr, _ := annots.(pdfArray)
				np := copyDict(pd)
				np["Annots"] = append(append(pdfArray{}, arr...), pdfRef{Num: w})
				u.put(pr.Num, pr.Gen, np)
			})
			rep := verifyFile(t, out, VerifyOptions{Roots: p.roots})
			if rep.Valid() != tt.valid {
				t.Fatalf("Valid() = %v, want %v: %v", rep.Valid(), tt.valid, rep.Signatures[0].Problems)
			}
			if !tt.valid && !strings.Contains(strings.Join(rep.Signatures[0].Problems, " "), "no later signature covers") {
				t.Errorf("problems %v", rep.Signatures[0].Problems)
			}
		})
	}
}

// TestMovedStructures: other signers move a direct /Annots array or
// AcroForm into new objects when they sign; that is allowed as long as
// every old entry stays.
func TestMovedStructures(t *testing.T) {
	p := getPKI(t)
	dir := t.TempDir()
	signed := signTestFile(t, "testdata/cong-van.pdf", filepath.Join(dir, "signed.pdf"), optsFor(p.person))
	tests := []struct {
		name  string
		drop  bool // drop an old entry while moving
		valid bool
	}{
		{name: "moved, all kept", valid: true},
		{name: "moved, one dropped", drop: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "")+".pdf")
			appendUnsigned(t, signed, out, func(d *document, u *update) {
				pr, pd := firstPage(t, d)
				cat, _ := d.catalog()
				acro, _ := d.resolveDict(cat["AcroForm"].(pdfRef))
				annots, _ := d.resolveValue(pd["Annots"])
				arr := append(pdfArray{}, annots.(pdfArray)...)
				fields := append(pdfArray{}, acro["Fields"].(pdfArray)...)
				if tt.drop {
					arr, fields = arr[:0], fields[:0]
				}
				na, nf, nac := u.alloc(), u.alloc(), u.alloc()
				u.put(na, 0, arr)
				u.put(nf, 0, fields)
				acro2 := copyDict(acro)
				acro2["Fields"] = pdfRef{Num: nf}
				u.put(nac, 0, acro2)
				np := copyDict(pd)
				np["Annots"] = pdfRef{Num: na}
				u.put(pr.Num, pr.Gen, np)
				nc := copyDict(cat)
				nc["AcroForm"] = pdfRef{Num: nac}
				u.put(d.root().Num, d.root().Gen, nc)
			})
			rep := verifyFile(t, out, VerifyOptions{Roots: p.roots})
			if rep.Valid() != tt.valid {
				t.Fatalf("Valid() = %v, want %v: %v", rep.Valid(), tt.valid, rep.Signatures[0].Problems)
			}
		})
	}
}
