package clerk_test

import (
	"bytes"
	"testing"

	"lienthong/hub/hubtest"
	"lienthong/shared/evidence"
)

// TestProofsKeptForOfflineExport: the clerk keeps every receipt and its
// log proof as they come, so a document's evidence bundle can be exported
// with the hub out of reach, and still verifies.
func TestProofsKeptForOfflineExport(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	mustSync(t, ctx, qn)
	id, err := qn.Issue(ctx, draft(t, "cong-van.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn, na, qn, na)
	h.Stop()
	for name, export := range map[string]func(*bytes.Buffer) error{
		"sender":    func(w *bytes.Buffer) error { return qn.ExportEvidence(ctx, id, w) },
		"recipient": func(w *bytes.Buffer) error { return na.ExportEvidence(ctx, id, w) },
	} {
		var zip bytes.Buffer
		if err := export(&zip); err != nil {
			t.Fatalf("%s: export with the hub down: %v", name, err)
		}
		b, err := evidence.Read(bytes.NewReader(zip.Bytes()), int64(zip.Len()))
		if err != nil {
			t.Fatal(err)
		}
		rep := evidence.Verify(b, evidence.Options{Verifier: h.Verifier(), LogKey: h.LogKey})
		if !rep.OK() {
			t.Fatalf("%s: the bundle exported offline does not verify: %+v", name, rep.Checks)
		}
		if len(b.Entries) < 2 {
			t.Fatalf("%s: %d log entries proven, want the accepted and the delivered", name, len(b.Entries))
		}
	}
}
