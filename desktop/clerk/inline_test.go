package clerk_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
	"lienthong/shared/envelope"
)

// TestInlineBytesChecked: the bytes an inbox item carries are checked as
// a download is. The PDF's own bytes are staged; the same length of other
// bytes (a hub that forged them) is refused for now, to be fetched again,
// and nothing is staged.
func TestInlineBytesChecked(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	c := newClerk(t, h, ngheAn)
	ctx := ctxT(t)
	pdf, err := os.ReadFile("testdata/cong-van.pdf")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	a := envelope.Attachment{Name: "cong-van.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: hex.EncodeToString(sum[:])}

	forged := append([]byte(nil), pdf...)
	forged[len(forged)/2] ^= 0xff
	if b, err := c.FetchInline(ctx, envelope.NewMessageID(), a, forged); err == nil || clerk.IsPermanent(err) {
		t.Fatalf("forged inline bytes: staged %+v, err %v; want an error to try again", b, err)
	}
	b, err := c.FetchInline(ctx, envelope.NewMessageID(), a, pdf)
	if err != nil {
		t.Fatalf("the PDF's own bytes: %v", err)
	}
	if b.SHA256 != a.SHA256 || b.Size != a.Size {
		t.Fatalf("staged %+v, want the PDF (%s, %d bytes)", b, a.SHA256, a.Size)
	}
}
