package clerk_test

import (
	"slices"
	"testing"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
)

// TestUpdateAndReplace: Quảng Ninh corrects a document it sent (an update
// under the same number, answered 15 by Nghệ An) and then replaces it with
// a newly numbered one that names it.
func TestUpdateAndReplace(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	mustSync(t, ctx, qn)
	id, err := qn.Issue(ctx, draft(t, "cong-van.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn, na)

	fix := draft(t, "bao-cao.pdf", ngheAn)
	fix.Metadata.Subject = "Về việc triển khai Trục liên thông văn bản (đính chính)"
	if _, err := qn.Update(ctx, id, fix, ""); err == nil {
		t.Fatal("an update without a reason was accepted")
	}
	uid, err := qn.Update(ctx, id, fix, "Đính chính trích yếu")
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn, na)
	orig, _ := qn.Document(id)
	upd, err := na.Document(uid)
	if err != nil {
		t.Fatalf("the update did not arrive: %v", err)
	}
	um := upd.Doc.Payload.Metadata
	if um.Business.Type != document.BusinessUpdate || um.CodeNumber != orig.Doc.Payload.Metadata.CodeNumber ||
		um.Subject != fix.Metadata.Subject || !slices.Equal(upd.Doc.Payload.Targets, []string{id}) {
		t.Fatalf("update as received: %+v targets %v", um.Business, upd.Doc.Payload.Targets)
	}
	if err := na.AnswerRecall(uid, true, "Phạm Thị Thư", ""); err != nil {
		t.Fatalf("accept the update: %v", err)
	}
	mustSync(t, ctx, na, qn)
	if got := recipientCodes(t, qn, uid)[certs.AgencyCode(ngheAn)]; !slices.Equal(got, []document.Status{"01", "15"}) {
		t.Fatalf("the sender sees %v for the update", got)
	}

	rep := draft(t, "quyet-dinh.pdf", ngheAn)
	rep.Metadata.Subject = "Về việc triển khai Trục liên thông văn bản (thay thế)"
	rid, err := qn.Replace(ctx, []string{id}, rep, "Thay thế văn bản đã gửi")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := qn.Replace(ctx, []string{uid + "00"}, rep, "x"); err == nil {
		t.Fatal("a replacement of an unknown document was accepted")
	}
	mustSync(t, ctx, qn, na)
	got, err := na.Document(rid)
	if err != nil {
		t.Fatalf("the replacement did not arrive: %v", err)
	}
	gm := got.Doc.Payload.Metadata
	if gm.Business.Type != document.BusinessReplace || len(gm.Business.Documents) != 1 || gm.Business.Documents[0] != orig.Doc.Payload.Metadata.ID() {
		t.Fatalf("replacement names %+v", gm.Business)
	}
	if gm.CodeNumber == orig.Doc.Payload.Metadata.CodeNumber {
		t.Fatal("the replacement kept the replaced document's number")
	}
	if _, err := na.Register(rid, "Phạm Thị Thư"); err != nil {
		t.Fatalf("register the replacement: %v", err)
	}
}
