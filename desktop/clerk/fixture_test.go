package clerk_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
	"lienthong/shared/evidence"

	bolt "go.etcd.io/bbolt"
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
	// awaitProof wrote at commit 232cc37 (for a later schema, write it with
	// Store.AwaitProofs).
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

// TestMigrateMainStore opens a copy of a store written before recall links
// and log proofs left the settings (testdata/clerk-v1.db): the migration
// moves them, removes the old settings, and a second open changes nothing.
// The migrated link answers a recall and the kept proofs export evidence
// with the hub out of reach.
func TestMigrateMainStore(t *testing.T) {
	js, err := os.ReadFile(filepath.Join("testdata", "clerk-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(js, &f); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	db := filepath.Join(home, clerk.StoreFile)
	raw, err := os.ReadFile(filepath.Join("testdata", "clerk-v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	oldSettings := func(t *testing.T) []string {
		t.Helper()
		var old []string
		for _, n := range settingNames(t, db) {
			if strings.HasPrefix(n, "recall_of:") || strings.HasPrefix(n, "proof/") || n == "proofs-pending" {
				old = append(old, n)
			}
		}
		return old
	}
	if n := len(oldSettings(t)); n != 2+len(f.Documents)+1 {
		t.Fatalf("the fixture holds %d link and proof settings, want two links, a proof per document and the pending list", n)
	}

	c, err := clerk.Open(home, []byte(f.Passphrase), clerk.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	st := c.Store()
	if r, err := st.RecallOf(f.Recalled); err != nil || r != f.Recall {
		t.Errorf("RecallOf(open recall) = %q, %v, want %q", r, err, f.Recall)
	}
	if r, err := st.RecallOf(f.Refused); err != nil {
		t.Errorf("RecallOf(refused recall): %v", err)
	} else if d, err := st.Get(r); err != nil || !slices.Contains(d.Payload.Targets, f.Refused) {
		t.Errorf("the refused document's link leads to %s, which does not recall it (%v)", r, err)
	}
	for _, id := range f.Documents {
		if p, err := st.Proofs(id); err != nil || !json.Valid(p) {
			t.Errorf("Proofs(%s) = %.40q, %v", id, p, err)
		}
	}
	if got, err := st.AwaitingProofs(); err != nil || !slices.Equal(got, f.Pending) {
		t.Errorf("AwaitingProofs = %v, %v, want %v", got, err, f.Pending)
	}
	c.Close()
	if old := oldSettings(t); len(old) > 0 {
		t.Errorf("settings left after the migration: %v", old)
	}

	// A second open is a no-op: the file is not written.
	before, _ := os.ReadFile(db)
	c, err = clerk.Open(home, []byte(f.Passphrase), clerk.Options{Logger: testLogger(t), DisableQUIC: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Error("a second open changed the store file")
	}

	// What the links and proofs are for still works.
	if err := c.SetHubAddress("127.0.0.1:1"); err != nil { // no hub there
		t.Fatal(err)
	}
	var zip bytes.Buffer
	if err := c.ExportEvidence(ctxT(t), f.Recalled, &zip); err != nil {
		t.Fatalf("export from the kept proofs: %v", err)
	}
	b, err := evidence.Read(bytes.NewReader(zip.Bytes()), int64(zip.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auditlog.OpenCheckpoint(b.Checkpoint, f.LogKey, f.LogOrigin); err != nil || len(b.Entries) == 0 {
		t.Errorf("exported bundle: checkpoint %v, %d log entries", err, len(b.Entries))
	}
	if err := c.AnswerRecall(f.Recalled, true, "Phạm Thị Thư", ""); err != nil {
		t.Fatalf("answer the recall from the recalled document: %v", err)
	}
	if v, err := c.Document(f.Recalled); err != nil || !slices.Contains(codesOf(v.Statuses), document.StatusAccepted) {
		t.Errorf("the recalled copy after accepting: %v, %v", v, err)
	}
}

// settingNames lists the names of a store file's settings (names are in
// the clear, values sealed).
func settingNames(t *testing.T, path string) []string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var names []string
	err = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("settings")).ForEach(func(k, _ []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
