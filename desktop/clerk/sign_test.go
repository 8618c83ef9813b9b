package clerk_test

import (
	"context"
	"path/filepath"
	"testing"

	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
	"lienthong/shared/pades"
	"lienthong/shared/stamp"
)

// TestIssueKeepsPersonSignature: the competent person signs the PDF first
// (with the seal image stamp or the text stamp applied by the clerk after),
// and at the recipient both signatures verify, with nothing but allowed
// changes after the person's.
func TestIssueKeepsPersonSignature(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	person := h.PKI.Person(t, "Nguyễn Văn Hùng", "Chủ tịch", quangNinh)
	signed := filepath.Join(t.TempDir(), "quyet-dinh.pdf")
	if err := pades.SignFile(context.Background(), pdf("quyet-dinh.pdf"), signed, pades.Options{Signer: person, Name: "Nguyễn Văn Hùng"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stamp clerk.Stamp
	}{
		{"text stamp", clerk.Stamp{Kind: clerk.StampText}},
		{"seal image", clerk.Stamp{Kind: clerk.StampImage, SealPNG: stamp.DemoSeal("Ủy ban nhân dân tỉnh Quảng Ninh", 400), Rect: [4]float64{300, 80, 413, 193}}},
		{"invisible", clerk.Stamp{Kind: clerk.StampNone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := draft(t, "quyet-dinh.pdf", ngheAn)
			d.Files, d.Stamp = []string{signed}, tt.stamp
			id, err := qn.Issue(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			mustSync(t, ctx, qn, na)
			v, err := na.Document(id)
			if err != nil {
				t.Fatal(err)
			}
			if v.Report == nil || len(v.Report.Signatures) != 2 || !v.Report.Valid() {
				t.Fatalf("report: %+v", v.Report)
			}
			if got := v.Report.Signatures[0].Signer; got == "" || v.Report.Signatures[1].Signer == got {
				t.Fatalf("signers %q and %q", got, v.Report.Signatures[1].Signer)
			}
		})
	}
}
