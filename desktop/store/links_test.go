package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"lienthong/shared/document"

	bolt "go.etcd.io/bbolt"
)

var gov = document.Organ{Code: agencies[0].Code, Name: agencies[0].Name}

var toSelf = document.Recipient{Code: self.Code, Name: self.Name}

// saveIncoming stores an incoming document from the Government Office,
// with its 01, and returns its message id.
func saveIncoming(t *testing.T, s *Store, n int) string {
	t.Helper()
	m := meta(gov, toSelf, n, day(2025, 3, 5), "Quyết định điều động")
	nd := newDoc(t, s, m, []byte("%PDF-1.7 scan"))
	nd.Statuses = []StatusEntry{status(m, self.Code, document.StatusArrived, time.Now())}
	if err := s.SaveIncoming(nd); err != nil {
		t.Fatal(err)
	}
	return nd.Payload.MessageID
}

// recallOf returns an incoming recall of targets from the Government
// Office, with the 13 it puts on each of recalled.
func recallOf(t *testing.T, s *Store, n int, targets []string, recalled ...string) NewDocument {
	t.Helper()
	m := meta(gov, toSelf, n, day(2025, 3, 6), "Thu hồi quyết định")
	m.Business = document.Business{Type: document.BusinessRecall, Reason: "Ban hành nhầm đối tượng"}
	p := payload(m)
	p.Targets = targets
	nd := NewDocument{Payload: p, Packet: []byte("packet of " + p.MessageID)}
	for _, id := range recalled {
		d, err := s.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		e := status(d.Payload.Metadata, gov.Code, document.StatusRecalled, time.Now())
		e.Copy = self.Code
		nd.Recalls = append(nd.Recalls, RecallTarget{Doc: id, Entry: e})
	}
	return nd
}

// saveRecall stores an incoming recall of targets and returns its id.
func saveRecall(t *testing.T, s *Store, n int, targets ...string) string {
	t.Helper()
	nd := recallOf(t, s, n, targets, targets...)
	if err := s.SaveIncoming(nd); err != nil {
		t.Fatal(err)
	}
	return nd.Payload.MessageID
}

func historyCodes(t *testing.T, s *Store, id string) []document.Status {
	t.Helper()
	h, err := s.History(id)
	if err != nil || len(h) != 1 {
		t.Fatalf("history of %s: %d copies, %v", id, len(h), err)
	}
	var out []document.Status
	for _, e := range h[0].Entries {
		out = append(out, e.Update.Code)
	}
	return out
}

func TestRecallLinks(t *testing.T) {
	s, _ := openTest(t)
	a, b := saveIncoming(t, s, 1), saveIncoming(t, s, 2)
	out := newDoc(t, s, meta(self, agencies[0], 3, day(2025, 3, 5), "Báo cáo"))
	if err := s.SaveOutgoing(out); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecallOf(a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("recall of a document never recalled: %v, want ErrNotFound", err)
	}
	unknown := "0123456789abcdef0123456789abcdef"
	refused := []struct {
		name string
		nd   func() NewDocument
		want error
	}{
		{"the recall does not name the document", func() NewDocument { return recallOf(t, s, 4, []string{a}, b) }, ErrNotRecall},
		{"not a recall", func() NewDocument {
			nd := recallOf(t, s, 4, nil, b)
			nd.Payload.Metadata.Business = document.Business{Type: document.BusinessNew}
			return nd
		}, ErrNotRecall},
		{"an outgoing document", func() NewDocument {
			nd := recallOf(t, s, 4, []string{out.Payload.MessageID}, b)
			nd.Recalls[0].Doc = out.Payload.MessageID
			return nd
		}, ErrNotRecall},
		{"unknown document", func() NewDocument {
			nd := recallOf(t, s, 4, []string{unknown}, b)
			nd.Recalls[0].Doc = unknown
			return nd
		}, ErrNotFound},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			nd := tt.nd()
			if err := s.SaveIncoming(nd); !errors.Is(err, tt.want) {
				t.Fatalf("SaveIncoming: %v, want %v", err, tt.want)
			}
			if _, err := s.Get(nd.Payload.MessageID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("the refused recall was stored: %v", err)
			}
			if _, err := s.RecallOf(b); !errors.Is(err, ErrNotFound) {
				t.Fatalf("a refused link was stored: %v", err)
			}
			if got := historyCodes(t, s, b); !slices.Equal(got, []document.Status{"01"}) {
				t.Fatalf("history after a refused recall: %v", got)
			}
		})
	}
	// The recall's 13 and link come with it; a later recall replaces the
	// link, and its 13, which may not follow the first, is left out.
	for n := range 2 {
		want := saveRecall(t, s, 5+n, a)
		if got, err := s.RecallOf(a); err != nil || got != want {
			t.Fatalf("recall %d: RecallOf = %q, %v, want %q", n+1, got, err, want)
		}
		if got := historyCodes(t, s, a); !slices.Equal(got, []document.Status{"01", "13"}) {
			t.Fatalf("recall %d: history %v", n+1, got)
		}
	}
}

func TestProofs(t *testing.T) {
	s, _ := openTest(t)
	a, b := saveIncoming(t, s, 1), saveIncoming(t, s, 2)
	if _, err := s.Proofs(a); !errors.Is(err, ErrNotFound) {
		t.Fatalf("proofs never kept: %v, want ErrNotFound", err)
	}
	for _, id := range []string{b, a, b} {
		if err := s.AwaitProofs(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AwaitProofs("0123456789abcdef0123456789abcdef"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("awaiting proofs of an unknown document: %v", err)
	}
	awaiting := func(want ...string) {
		t.Helper()
		got, err := s.AwaitingProofs()
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("AwaitingProofs = %v, %v, want %v", got, err, want)
		}
	}
	awaiting(a, b) // in store order, each once
	if err := s.AddReceipt(a, []byte("receipt 0")); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepProofs(a, []byte(`{"partial":true}`), false, 1); err != nil {
		t.Fatal(err)
	}
	awaiting(a, b)
	// A receipt stored while the proofs were fetched keeps the document
	// awaiting the proof of that receipt.
	if err := s.AddReceipt(a, []byte("receipt 1")); err != nil {
		t.Fatal(err)
	}
	if err := s.KeepProofs(a, []byte(`{"complete":"receipt 0"}`), true, 1); err != nil {
		t.Fatal(err)
	}
	awaiting(a, b)
	if err := s.KeepProofs(a, []byte(`{"complete":true}`), true, 2); err != nil {
		t.Fatal(err)
	}
	awaiting(b)
	if got, err := s.Proofs(a); err != nil || string(got) != `{"complete":true}` {
		t.Fatalf("Proofs = %q, %v", got, err)
	}
}

// v1Store makes a store in the version 1 layout: documents, and recall
// links and proofs in settings as the clerk's core of that version kept
// them, including a link to a document the store does not hold. It returns
// the path and the ids of two documents and a recall of the first.
func v1Store(t *testing.T) (path, a, b, r string) {
	t.Helper()
	s, path := openTest(t)
	a, b = saveIncoming(t, s, 1), saveIncoming(t, s, 2)
	r = saveRecall(t, s, 3, a)
	settings := map[string][]byte{
		v1RecallOf + a: []byte(r),
		v1RecallOf + "fedcba9876543210fedcba9876543210": []byte(r),
		v1ProofPrefix + a: []byte(`{"proof":"a"}`),
		v1ProofPrefix + r: []byte(`{"proof":"r"}`),
		v1ProofsPending:   []byte(`["` + b + `","` + r + `"]`),
	}
	sealed := map[string][]byte{}
	for k, v := range settings {
		sealed[k] = s.c.seal(bucketSettings, []byte(k), v)
	}
	s.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRecalls, bucketProofs, bucketProofsDue} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		for k, v := range sealed {
			if err := tx.Bucket(bucketSettings).Put([]byte(k), v); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, 1))
	})
	return path, a, b, r
}

// settingNames lists the settings a store file holds (their names are in
// the clear) and its schema version.
func settingNames(t *testing.T, path string) ([]string, uint32) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var names []string
	var version uint32
	db.View(func(tx *bolt.Tx) error {
		version = binary.BigEndian.Uint32(tx.Bucket(bucketMeta).Get(keySchema))
		return tx.Bucket(bucketSettings).ForEach(func(k, _ []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, version
}

func TestMigrate1to2(t *testing.T) {
	path, a, b, r := v1Store(t)
	s, err := OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.RecallOf(a); err != nil || got != r {
		t.Errorf("RecallOf after migration = %q, %v, want %q", got, err, r)
	}
	for id, want := range map[string]string{a: `{"proof":"a"}`, r: `{"proof":"r"}`} {
		if got, err := s.Proofs(id); err != nil || string(got) != want {
			t.Errorf("Proofs(%s) after migration = %q, %v", id, got, err)
		}
	}
	if got, err := s.AwaitingProofs(); err != nil || !slices.Equal(got, []string{b, r}) {
		t.Errorf("AwaitingProofs after migration = %v, %v, want %v", got, err, []string{b, r})
	}
	s.Close()
	names, version := settingNames(t, path)
	if version != SchemaVersion {
		t.Errorf("schema after migration = %d, want %d", version, SchemaVersion)
	}
	for _, n := range names {
		if bytes.HasPrefix([]byte(n), []byte(v1RecallOf)) || bytes.HasPrefix([]byte(n), []byte(v1ProofPrefix)) || n == v1ProofsPending {
			t.Errorf("setting %q left after migration", n)
		}
	}
	// A second open finds nothing to do and writes nothing.
	before, _ := os.ReadFile(path)
	s, err = OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.RecallOf(a); err != nil || got != r {
		t.Errorf("RecallOf after a second open = %q, %v", got, err)
	}
	s.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("a second open changed the file")
	}
}

// TestMigrationFailsWhole: a migration that fails leaves the file as it
// was, also when it fails half-way, after moving some links and proofs.
func TestMigrationFailsWhole(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(tx *bolt.Tx, b string) error
	}{
		{"a setting that does not decrypt", func(tx *bolt.Tx, _ string) error {
			return tx.Bucket(bucketSettings).Put([]byte(v1RecallOf+"ffffffffffffffffffffffffffffffff"), bytes.Repeat([]byte{7}, 60))
		}},
		{"a corrupt id index met half-way", func(tx *bolt.Tx, b string) error {
			return tx.Bucket(bucketIDs).Put([]byte(b), []byte{1, 2, 3}) // b awaits proofs: moved last
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, a, b, _ := v1Store(t)
			rawUpdate(t, path, func(tx *bolt.Tx) error { return tt.spoil(tx, b) })
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := OpenOptions(path, pass, testOptions); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open: %v, want ErrCorrupt", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Fatal("the failed migration changed the file")
			}
			names, version := settingNames(t, path)
			if version != 1 || !slices.Contains(names, v1RecallOf+a) || !slices.Contains(names, v1ProofPrefix+a) || !slices.Contains(names, v1ProofsPending) {
				t.Fatalf("after the failed migration: version %d, settings %v", version, names)
			}
		})
	}
}

func TestNewerSchemaUntouched(t *testing.T) {
	s, path := openTest(t)
	s.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion+1))
	})
	before, _ := os.ReadFile(path)
	_, err := OpenOptions(path, pass, testOptions)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("open: %v, want ErrNewerSchema", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("refusing a newer store changed its file")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "clerk.db.compact")); !os.IsNotExist(err) {
		t.Errorf("a compaction file was left: %v", err)
	}
}
