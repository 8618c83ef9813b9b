package clerk_test

import (
	"testing"

	"lienthong/hub/hubtest"
)

// BenchmarkIssue measures issuing a one-page công văn offline: number,
// sign with the text stamp, seal, store and queue in one transaction.
func BenchmarkIssue(b *testing.B) {
	h := hubtest.Start(b, hubtest.Options{})
	c := newClerk(b, h, quangNinh)
	ctx := ctxT(b)
	for b.Loop() {
		if _, err := c.Issue(ctx, draft(b, "cong-van.pdf", ngheAn)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDelivery measures one document from issue to the recipient's
// store over loopback: issue, push, pull (download, verify, store) and
// the acknowledgement.
func BenchmarkDelivery(b *testing.B) {
	h := hubtest.Start(b, hubtest.Options{})
	qn, na := newClerk(b, h, quangNinh), newClerk(b, h, ngheAn)
	ctx := ctxT(b)
	mustSync(b, ctx, qn, na)
	for b.Loop() {
		if _, err := qn.Issue(ctx, draft(b, "cong-van.pdf", ngheAn)); err != nil {
			b.Fatal(err)
		}
		mustSync(b, ctx, qn, na)
	}
}
