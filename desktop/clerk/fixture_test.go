package clerk_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
)

// writeFixture names a folder: TestWriteFixture then writes there a clerk
// store made by real exchanges with the code of this tree, and a JSON file
// describing it (see testdata/README.md). Without it the test does nothing.
var writeFixture = flag.String("write-fixture", "", "write a clerk store made by this tree's code into this folder")

// fixture describes a committed clerk store.
type fixture struct {
	Passphrase string   `json:"passphrase"`
	Agency     string   `json:"agency"`
	Documents  []string `json:"documents"` // every message id in the store
	Recalled   string   `json:"recalled"`  // an incoming document with an open recall
	Recall     string   `json:"recall"`    // the recall of Recalled
	Refused    string   `json:"refused"`   // a recalled document whose recall this clerk refused
	Pending    []string `json:"pending"`   // documents awaiting their log proofs
	LogKey     string   `json:"log_key"`   // the hub's log verifier key
	LogOrigin  string   `json:"log_origin"`
}

// TestWriteFixture is the generator of testdata/clerk-v1: Nghệ An's store
// after the Government Office sent it two documents and recalled both
// (one recall refused, one still open), and after it sent one of its own,
// with the receipts' log proofs kept and that last one's proof pending.
func TestWriteFixture(t *testing.T) {
	if *writeFixture == "" {
		return
	}
	h := hubtest.Start(t, hubtest.Options{})
	ctx := ctxT(t)
	home := filepath.Join(t.TempDir(), "clerk")
	initClerk(t, h, ngheAn, home)
	gov, na := newClerk(t, h, vpcp), openClerk(t, home)
	mustSync(t, ctx, gov, na)
	d1 := draft(t, "quyet-dinh.pdf", ngheAn)
	d1.Metadata.CodeNotation = "QĐ-VPCP"
	open, err := gov.Issue(ctx, d1)
	if err != nil {
		t.Fatal(err)
	}
	refused, err := gov.Issue(ctx, draft(t, "bao-cao.pdf", ngheAn))
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, gov, na, gov)
	mine, err := na.Issue(ctx, draft(t, "cong-van.pdf", vpcp))
	if err != nil {
		t.Fatal(err)
	}
	rOpen, err := gov.Recall(ctx, open, "Ban hành nhầm đối tượng")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gov.Recall(ctx, refused, "Cần sửa số liệu"); err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, gov, na, gov, na)
	if err := na.AnswerRecall(refused, false, "Phạm Thị Thư", "Văn bản đã được triển khai"); err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, na, gov, na)
	// A receipt whose proof is still to fetch, as when the hub goes away
	// between a push and the collection of proofs: written in the form
	// awaitProof writes.
	if err := na.Store().SetSetting("proofs-pending", `["`+mine+`"]`); err != nil {
		t.Fatal(err)
	}
	f := fixture{Passphrase: string(passphrase), Agency: ngheAn, Recalled: open, Recall: rOpen, Refused: refused,
		Pending: []string{mine},
		LogKey:  h.LogKey, LogOrigin: h.LogOrigin}
	for _, box := range []store.Box{store.Incoming, store.Outgoing} {
		sums, err := na.Store().List(store.Query{Box: box})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sums {
			f.Documents = append(f.Documents, s.ID)
		}
	}
	if !slices.Contains(f.Documents, mine) {
		t.Fatalf("the clerk's own document %s is not listed", mine)
	}
	na.Close()
	gov.Close()
	h.Stop()
	raw, err := os.ReadFile(filepath.Join(home, "clerk.db"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*writeFixture, "clerk-v1.db"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*writeFixture, "clerk-v1.json"), append(js, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
