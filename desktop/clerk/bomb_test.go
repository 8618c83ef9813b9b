package clerk_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/hub/hubtest"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/pades/padestest"
)

// TestPDFBombs is issue 14's finding 1 on the clerk: a crafted PDF is
// refused with the words for a PDF too complex to check, both when the
// clerk would sign and send it and when one arrives (past a hub that
// should have refused it): the checks of a downloaded attachment fail for
// good, never store it, and receive sets the document aside as refused
// (attachmentRefusal, tested in refuse_internal_test.go).
func TestPDFBombs(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	c := newClerk(t, h, quangNinh)
	ctx := ctxT(t)
	for _, b := range padestest.Bombs() {
		t.Run(b.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cong-van.pdf")
			if err := os.WriteFile(path, b.PDF, 0o600); err != nil {
				t.Fatal(err)
			}
			d := draft(t, "cong-van.pdf", ngheAn)
			d.Files = []string{path}
			_, err := c.Issue(ctx, d)
			if !errors.Is(err, pades.ErrBudget) {
				t.Fatalf("Issue: %v; want ErrBudget", err)
			}
			if ue := clerk.Explain(err); ue.Key != i18n.ErrPDFTooComplex {
				t.Errorf("Issue: the clerk reads %s, want %s", ue.Key, i18n.ErrPDFTooComplex)
			}

			sum := sha256.Sum256(b.PDF)
			a := envelope.Attachment{Name: "cong-van.pdf", ContentType: "application/pdf", Size: int64(len(b.PDF)), SHA256: hex.EncodeToString(sum[:])}
			err = c.FetchStaged(ctx, envelope.NewMessageID(), a, b.PDF)
			if !errors.Is(err, pades.ErrBudget) || !clerk.IsPermanent(err) {
				t.Fatalf("receiving: %v; want a permanent ErrBudget", err)
			}
			if ue := clerk.Explain(err); ue.Key != i18n.ErrPDFTooComplex {
				t.Errorf("receiving: the clerk reads %s, want %s", ue.Key, i18n.ErrPDFTooComplex)
			}
		})
	}
}
