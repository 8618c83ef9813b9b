package clerk_test

import (
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/certs/token"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
)

// TestSealApartFromIdentity: with Options.Seal, documents are sealed with
// it while sync talks to the hub with the store's identity; a seal that
// fails mid-signature (a token pulled out) leaves nothing saved or queued
// (the number it reserved stays used, as after any failed issue); a seal
// of another agency is refused at Open.
func TestSealApartFromIdentity(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	kp, err := h.PKI.Issuing.IssueAgency(certs.AgencyRequest{Code: quangNinh, Name: agencyName(quangNinh)}, certs.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	seal := certstest.NewToken(kp)
	home := filepath.Join(t.TempDir(), "qn")
	initClerk(t, h, quangNinh, home)
	qn, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), Seal: seal})
	if err != nil {
		t.Fatal(err)
	}
	defer qn.Close()
	na := newClerk(t, h, ngheAn)

	seal.Fail(&token.Error{Op: "sign", Code: 0x32, Err: token.ErrTokenRemoved})
	_, err = qn.Issue(ctx, draft(t, "cong-van.pdf", ngheAn))
	if ue := clerk.Explain(err); ue == nil || ue.Key != i18n.ErrTokenRemoved {
		t.Fatalf("Issue with the token pulled out = %v, want the removed-token message", err)
	}
	if rows, _, err := qn.List(store.Query{Box: store.Outgoing}); err != nil || len(rows) != 0 || qn.OutboxLen() != 0 {
		t.Fatalf("a failed seal left %d documents, %d queued (%v)", len(rows), qn.OutboxLen(), err)
	}

	seal.Fail(nil)
	id, err := qn.Issue(ctx, draft(t, "cong-van.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn, na)
	v, err := na.Document(id)
	if err != nil {
		t.Fatal(err)
	}
	sigs := v.Report.Signatures
	if !v.Report.Valid() || sigs[len(sigs)-1].Serial != hex.EncodeToString(kp.Leaf.SerialNumber.Bytes()) {
		t.Fatalf("the recipient's report: valid %v, signatures %+v; want the seal's", v.Report.Valid(), sigs)
	}

	other := certstest.NewToken(h.Agencies[ngheAn].Key)
	qn.Close()
	if _, err := clerk.Open(home, passphrase, clerk.Options{Seal: other}); !errors.Is(err, clerk.ErrSealAgency) {
		t.Errorf("Open with another agency's seal = %v, want ErrSealAgency", err)
	}
}
