package clerk_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/pades"
)

// person issues a person certificate of agency code.
func person(t testing.TB, h *hubtest.Hub, name, code string, alg certs.KeyAlgorithm) *certs.KeyPair {
	t.Helper()
	kp, err := h.PKI.Issuing.IssuePerson(certs.PersonRequest{FullName: name, Position: "CHỦ TỊCH",
		Agency: certs.AgencyCode(code), AgencyName: agencyName(code)}, alg)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// signedCopy signs file (a test PDF) with kp, as any signing tool would,
// into a folder of its own under the same name.
func signedCopy(t testing.TB, file string, kp certs.Signer) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), file)
	if err := pades.SignFile(ctxT(t), pdf(file), out, pades.Options{Signer: kp, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return out
}

// personWarnings drains a subscription after the calls that emit.
func personWarnings(events <-chan clerk.Event, stop func()) []clerk.PersonSignatureWarning {
	stop()
	var out []clerk.PersonSignatureWarning
	for ev := range events {
		if w, ok := ev.(clerk.PersonSignatureWarning); ok {
			out = append(out, w)
		}
	}
	return out
}

// TestPersonThenSeal: the leader signs at the clerk's desk (SignAsPerson),
// the check passes, the clerk seals, and both the sender and the
// recipient see the person's and the agency's signatures in their roles.
func TestPersonThenSeal(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	if err := qn.SetPersonPolicy("refuse"); err != nil {
		t.Fatal(err)
	}
	leader := person(t, h, "Nguyễn Văn Hùng", quangNinh, certs.ECDSAP256)
	signed := filepath.Join(t.TempDir(), "cong-van.pdf")
	st := clerk.PersonStamp{ImagePNG: signaturePNG(t), Page: 1, Rect: [4]float64{350, 150, 500, 210}}
	if err := qn.SignAsPerson(ctx, pdf("cong-van.pdf"), signed, leader, st); err != nil {
		t.Fatal(err)
	}
	pc, err := qn.CheckPersonSignature(ctx, signed)
	if err != nil || !pc.OK() || pc.Person == nil || pc.Person.Name != "Nguyễn Văn Hùng" {
		t.Fatalf("check of the leader's signature = %+v, %v; want signed by Nguyễn Văn Hùng", pc, err)
	}
	events, stop := qn.Subscribe()
	d := draft(t, "cong-van.pdf", ngheAn)
	d.Files = []string{signed}
	id, err := qn.Issue(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if w := personWarnings(events, stop); len(w) != 0 {
		t.Errorf("warnings for a document the person signed: %+v", w)
	}
	mustSync(t, ctx, qn, na)
	for _, c := range []*clerk.Clerk{qn, na} {
		v, err := c.Document(id)
		if err != nil {
			t.Fatal(err)
		}
		checkRoles(t, v.Signers, "Nguyễn Văn Hùng")
	}
}

// signaturePNG is a small blue scrawl, a stand-in for a scanned signature.
func signaturePNG(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 60, 24))
	for x := range 60 {
		img.Set(x, 12+int(8*math.Sin(float64(x)/5)), color.NRGBA{0, 0, 160, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkRoles wants the person of Quảng Ninh, then its seal, both valid.
func checkRoles(t *testing.T, s []clerk.Signer, name string) {
	t.Helper()
	if len(s) != 2 {
		t.Fatalf("signers = %+v, want the person's and the agency's", s)
	}
	if s[0].Role != clerk.RolePerson || s[0].Name != name || s[0].Agency != quangNinh || !s[0].Valid || s[0].Time == nil {
		t.Errorf("first signer = %+v, want %s, a valid person of %s", s[0], name, quangNinh)
	}
	if s[1].Role != clerk.RoleAgency || s[1].Agency != quangNinh || !s[1].Valid {
		t.Errorf("second signer = %+v, want the valid seal of %s", s[1], quangNinh)
	}
	line := clerk.SignerLine(i18n.New(i18n.Vietnamese), s[0])
	if s[0].AgencyName == "" {
		t.Errorf("first signer = %+v, want the agency's name from the directory", s[0])
	}
	if want := "Người có thẩm quyền ký: " + name + " (" + s[0].AgencyName + ", " + quangNinh + ") — hợp lệ"; len(line) < len(want) || line[:len(want)] != want {
		t.Errorf("person's line = %q, want it to start %q", line, want)
	}
}

// TestPersonSignatureMissing: without a person's signature the check says
// what is missing; under warn the document is issued with a warning;
// under refuse nothing is numbered, signed or saved; off does not look.
func TestPersonSignatureMissing(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn := newClerk(t, h, quangNinh)
	sealed := signedCopy(t, "cong-van.pdf", h.Agencies[quangNinh].Key)
	other := signedCopy(t, "cong-van.pdf", person(t, h, "Trần Thị Lan", ngheAn, certs.RSA2048))

	cases := []struct {
		name, file string
		want       clerk.PersonProblem
	}{
		{"unsigned", pdf("cong-van.pdf"), clerk.PersonUnsigned},
		{"sealed only", sealed, clerk.PersonAgencyOnly},
		{"another agency's person", other, clerk.PersonOtherAgency},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := qn.CheckPersonSignature(ctx, tc.file)
			if err != nil || pc.Problem != tc.want {
				t.Fatalf("check = %v (%+v), %v; want %v", pc.Problem, pc, err, tc.want)
			}
			if tc.want == clerk.PersonOtherAgency && (pc.Person == nil || pc.Person.Agency != ngheAn) {
				t.Errorf("the other agency's person = %+v, want one of %s", pc.Person, ngheAn)
			}

			if err := qn.SetPersonPolicy("refuse"); err != nil {
				t.Fatal(err)
			}
			before, err := qn.NextNumber("")
			if err != nil {
				t.Fatal(err)
			}
			rows, _, _ := qn.List(store.Query{Box: store.Outgoing})
			d := draft(t, "cong-van.pdf", ngheAn)
			d.Files = []string{tc.file}
			_, err = qn.Issue(ctx, d)
			var pse *clerk.PersonSignatureError
			if !errors.As(err, &pse) || pse.Check.Problem != tc.want {
				t.Fatalf("Issue under refuse = %v, want a *PersonSignatureError (%v)", err, tc.want)
			}
			if ue := clerk.Explain(err); ue.Key != i18n.ErrPersonRefused {
				t.Errorf("Explain = %s, want ErrPersonRefused", ue.Key)
			}
			after, _ := qn.NextNumber("")
			now, _, _ := qn.List(store.Query{Box: store.Outgoing})
			if after != before || len(now) != len(rows) {
				t.Errorf("a refused issue took number %d→%d or saved %d→%d documents", before, after, len(rows), len(now))
			}

			if err := qn.SetPersonPolicy("warn"); err != nil {
				t.Fatal(err)
			}
			events, stop := qn.Subscribe()
			id, err := qn.Issue(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			w := personWarnings(events, stop)
			if len(w) != 1 || w[0].ID != id || w[0].Check.Problem != tc.want {
				t.Errorf("warnings = %+v, want one for %s (%v)", w, id, tc.want)
			}

			if err := qn.SetPersonPolicy("off"); err != nil {
				t.Fatal(err)
			}
			events, stop = qn.Subscribe()
			if _, err := qn.Issue(ctx, d); err != nil {
				t.Fatal(err)
			}
			if w := personWarnings(events, stop); len(w) != 0 {
				t.Errorf("warnings with the check off: %+v", w)
			}
		})
	}
	if err := qn.SetPersonPolicy("sometimes"); err == nil || qn.PersonPolicy() != clerk.PersonOff {
		t.Errorf("SetPersonPolicy(sometimes) = %v, policy now %s; want refused, off kept", err, qn.PersonPolicy())
	}
}

// TestSignAsPersonRefusesOthers: the agency's own key and another
// agency's person cannot sign as this agency's competent person, and
// nothing is written.
func TestSignAsPersonRefusesOthers(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	qn := newClerk(t, h, quangNinh)
	for name, kp := range map[string]*certs.KeyPair{
		"the seal":                h.Agencies[quangNinh].Key,
		"another agency's person": person(t, h, "Trần Thị Lan", ngheAn, certs.ECDSAP256),
	} {
		out := filepath.Join(t.TempDir(), "out.pdf")
		err := qn.SignAsPerson(ctxT(t), pdf("cong-van.pdf"), out, kp, clerk.PersonStamp{})
		if !errors.Is(err, clerk.ErrNotOurPerson) || clerk.Explain(err).Key != i18n.ErrNotOurPerson {
			t.Errorf("%s: SignAsPerson = %v, want ErrNotOurPerson", name, err)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a refused signature wrote %s", name, out)
		}
	}
}

// TestPersonSignatureTampered: a file changed after the person signed,
// in its bytes or by a later revision replacing the page's content, does
// not pass, and says why.
func TestPersonSignatureTampered(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn := newClerk(t, h, quangNinh)
	signed := signedCopy(t, "cong-van.pdf", person(t, h, "Nguyễn Văn Hùng", quangNinh, certs.RSA2048))
	data, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}

	flipped := bytes.Clone(data)
	flipped[1000] ^= 0x01 // inside object 2, the page's content stream
	flippedPath := filepath.Join(t.TempDir(), "cong-van.pdf")
	os.WriteFile(flippedPath, flipped, 0o600)
	pc, err := qn.CheckPersonSignature(ctx, flippedPath)
	if err != nil || pc.Problem != clerk.PersonInvalid || pc.Person == nil || len(pc.Person.Problems) == 0 {
		t.Errorf("check of a changed byte = %v (%+v), %v; want invalid with the reason", pc.Problem, pc.Person, err)
	}

	revisedPath := filepath.Join(t.TempDir(), "cong-van.pdf")
	os.WriteFile(revisedPath, appendRevision(t, data, 2, "BT ET"), 0o600)
	pc, err = qn.CheckPersonSignature(ctx, revisedPath)
	if err != nil || pc.Problem != clerk.PersonChanged || !pc.Person.ChangedAfter {
		t.Errorf("check of a later revision of the content = %v (%+v), %v; want changed after signing", pc.Problem, pc.Person, err)
	}
	if msg := pc.Message(i18n.New(i18n.Vietnamese)); !bytes.Contains([]byte(msg), []byte("sửa đổi sau khi Nguyễn Văn Hùng ký")) {
		t.Errorf("message = %q", msg)
	}
}

// appendRevision appends an unsigned incremental update to a PDF with a
// classic cross-reference table that replaces object num with a stream
// holding content.
func appendRevision(t *testing.T, data []byte, num int, content string) []byte {
	t.Helper()
	last := func(re string) string {
		m := regexp.MustCompile(re).FindAllSubmatch(data, -1)
		if len(m) == 0 {
			t.Fatalf("no %s in the PDF", re)
		}
		return string(m[len(m)-1][1])
	}
	size, root := last(`/Size (\d+)`), last(`/Root (\d+ \d+ R)`)
	prev, err := strconv.Atoi(last(`startxref\s+(\d+)`))
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(data)
	off := len(out) + 1
	out = fmt.Appendf(out, "\n%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n", num, len(content), content)
	xref := len(out)
	out = fmt.Appendf(out, "xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \ntrailer\n<< /Size %s /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n",
		num, off, size, root, prev, xref)
	return out
}
