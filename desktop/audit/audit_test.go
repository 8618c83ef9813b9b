package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/hub/hubtest"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
)

const (
	quangNinh = "000.00.00.H49"
	ngheAn    = "000.00.00.H41"
)

// exchange makes real traffic: n documents from Quảng Ninh to Nghệ An,
// each acknowledged and completed (06).
func exchange(t *testing.T, h *hubtest.Hub, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pdf, err := os.ReadFile("testdata/cong-van.pdf")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	digest := hex.EncodeToString(sum[:])
	qn, na := h.Client(t, quangNinh, false), h.Client(t, ngheAn, false)
	if err := qn.Upload(ctx, digest, bytes.NewReader(pdf), int64(len(pdf)), 0, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		d := &envelope.Document{
			Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: time.Now(),
			Metadata: &document.Metadata{
				Version: document.SchemaVersion, From: document.Organ{Code: quangNinh, Name: "UBND tỉnh Quảng Ninh"},
				CodeNumber: "1" + string(rune('0'+i%10)), CodeNotation: "UBND-VP", Type: document.TypeCongVan,
				Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.NewDate(2026, 11, 2)},
				Subject:      "Về việc kiểm toán", Signer: document.Signer{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
				To: []document.Recipient{{Code: ngheAn, Name: "UBND tỉnh Nghệ An"}}, DueDate: document.NewDate(2026, 11, 10),
			},
			Attachments: []envelope.Attachment{{Name: "cv.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: digest}},
		}
		payload, _ := json.Marshal(d)
		kp := h.Agencies[quangNinh].Key
		packet, err := envelope.Seal(payload, kp)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := qn.Submit(ctx, packet); err != nil {
			t.Fatal(err)
		}
		if _, err := na.Ack(ctx, d.MessageID); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			continue // half stay open, and overdue
		}
		for _, code := range []document.Status{document.StatusReceived, document.StatusCompleted} {
			st := envelope.Status{Kind: envelope.KindStatus, MessageID: envelope.NewMessageID(), Regarding: d.MessageID,
				Update: document.StatusUpdate{Document: d.Metadata.ID(), From: ngheAn, Code: code, Staff: "Văn thư", Time: time.Now()}}
			b, _ := json.Marshal(st)
			nk := h.Agencies[ngheAn].Key
			sp, err := envelope.Seal(b, nk)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := na.PostStatus(ctx, sp); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func auditor(t *testing.T, h *hubtest.Hub) *hubclient.Client {
	t.Helper()
	return h.Client(t, quangNinh, false)
}

func TestFollowAndRecount(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	l := Log{Origin: h.LogOrigin, Key: h.LogKey}
	state := filepath.Join(t.TempDir(), "state.json")
	ctx := context.Background()
	exchange(t, h, 4)
	res, err := Follow(ctx, auditor(t, h), l, state)
	if err != nil || !res.First {
		t.Fatalf("first follow: %v", err)
	}
	exchange(t, h, 2)
	res, err = Follow(ctx, auditor(t, h), l, state)
	if err != nil || res.First || res.Latest.Size <= res.Previous.Size {
		t.Fatalf("second follow: %v %+v", err, res)
	}
	rep, err := Recount(ctx, auditor(t, h), l, "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Mismatches) != 0 {
		t.Fatalf("honest hub's statistics do not match its log: %+v", rep.Mismatches)
	}
	want := map[string]Counts{
		quangNinh: {Agency: quangNinh, Sent: 6},
		ngheAn:    {Agency: ngheAn, Received: 6, Delivered: 6, Completed: 3, Overdue: 3},
	}
	for _, c := range rep.Counts {
		if w, ok := want[c.Agency]; ok && c != w {
			t.Errorf("counts for %s: %+v, want %+v", c.Agency, c, w)
		}
	}
}

// TestForkDetected: one hub key, two histories, each shown to one
// auditor. Comparing their saved checkpoints exposes it.
func TestForkDetected(t *testing.T) {
	honest := hubtest.Start(t, hubtest.Options{})
	fork := hubtest.Start(t, hubtest.Options{PKI: honest.PKI, LogSignerKey: honest.LogSignerKey})
	l := Log{Origin: honest.LogOrigin, Key: honest.LogKey}
	exchange(t, honest, 3)
	exchange(t, fork, 2)
	ctx := context.Background()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if _, err := Follow(ctx, auditor(t, honest), l, a); err != nil {
		t.Fatal(err)
	}
	if _, err := Follow(ctx, auditor(t, fork), l, b); err != nil {
		t.Fatal(err)
	}
	sa, _ := LoadState(a)
	sb, _ := LoadState(b)
	// Either hub is asked to prove one checkpoint extends the other: it cannot.
	for name, h := range map[string]*hubtest.Hub{"honest": honest, "fork": fork} {
		if err := Compare(ctx, auditor(t, h), l, sa, sb); !errors.Is(err, ErrForked) {
			t.Errorf("compare through the %s hub: %v", name, err)
		}
	}
	exchange(t, fork, 1) // the fork grows to the honest size? sizes differ, still caught
	if _, err := Follow(ctx, auditor(t, fork), l, a); !errors.Is(err, ErrForked) {
		t.Fatalf("the honest auditor's state followed on the forked hub: %v", err)
	}
}

// tamper rewrites a stopped hub's log the way an insider with the
// database could, then recomputes the tree hashes so the log looks
// self-consistent (and drops the kept checkpoints).
func tamper(t *testing.T, dir string, change func(entries [][]byte) [][]byte, rehash bool) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "hub.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		eb, hb, cb := tx.Bucket([]byte("log-entries")), tx.Bucket([]byte("log-hashes")), tx.Bucket([]byte("counters"))
		var entries [][]byte
		eb.ForEach(func(_, v []byte) error { entries = append(entries, bytes.Clone(v)); return nil })
		entries = change(entries)
		if err := tx.DeleteBucket([]byte("log-entries")); err != nil {
			return err
		}
		eb, _ = tx.CreateBucket([]byte("log-entries"))
		for i, e := range entries {
			eb.Put(binary.BigEndian.AppendUint64(nil, uint64(i)), e)
		}
		if rehash {
			tx.DeleteBucket([]byte("log-hashes"))
			hb, _ = tx.CreateBucket([]byte("log-hashes"))
			m := &auditlog.Memory{}
			for _, e := range entries {
				m.Append(e)
			}
			for idx := int64(0); ; idx++ {
				hs, err := m.ReadHashes([]int64{idx})
				if err != nil {
					break
				}
				hb.Put(binary.BigEndian.AppendUint64(nil, uint64(idx)), hs[0][:])
			}
			tx.DeleteBucket([]byte("log-checkpoints"))
			tx.CreateBucket([]byte("log-checkpoints"))
			cb.Put([]byte("log"), binary.BigEndian.AppendUint64(nil, uint64(len(entries))))
		}
		_ = hb
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTamperDetected stops a hub, tampers with its store, restarts it and
// shows that an auditor with a saved checkpoint detects each change.
func TestTamperDetected(t *testing.T) {
	edit := func(entries [][]byte) [][]byte {
		e, _ := auditlog.DecodeEntry(entries[3])
		e.Agency = "000.00.00.G22"
		entries[3] = e.Encode()
		return entries
	}
	tests := []struct {
		name   string
		change func([][]byte) [][]byte
		rehash bool
	}{
		{"a stored event changed", edit, false},
		{"a stored event changed and the tree rebuilt", edit, true},
		{"an event deleted", func(es [][]byte) [][]byte { return append(es[:4], es[5:]...) }, true},
		{"two events reordered", func(es [][]byte) [][]byte { es[4], es[5] = es[5], es[4]; return es }, true},
		{"the log truncated", func(es [][]byte) [][]byte { return es[:6] }, true},
		{"rewritten from a point on", func(es [][]byte) [][]byte {
			for i := 6; i < len(es); i++ {
				e, _ := auditlog.DecodeEntry(es[i])
				e.At = e.At.Add(time.Hour)
				es[i] = e.Encode()
			}
			return es
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hubtest.Start(t, hubtest.Options{})
			l := Log{Origin: h.LogOrigin, Key: h.LogKey}
			state := filepath.Join(t.TempDir(), "state.json")
			exchange(t, h, 4)
			ctx := context.Background()
			if _, err := Follow(ctx, auditor(t, h), l, state); err != nil {
				t.Fatal(err)
			}
			h.Stop()
			tamper(t, h.Dir, tt.change, tt.rehash)
			h2 := hubtest.Start(t, hubtest.Options{Dir: h.Dir, PKI: h.PKI, LogSignerKey: h.LogSignerKey})
			c := auditor(t, h2)
			_, followErr := Follow(ctx, c, l, state)
			_, recountErr := Recount(ctx, c, l, "2026-11-23")
			if !errors.Is(followErr, ErrForked) && !errors.Is(recountErr, ErrForked) {
				t.Fatalf("not detected: follow %v, recount %v", followErr, recountErr)
			}
		})
	}
}

// TestBeautifiedStatistics edits the published counters of a stopped hub
// ("more documents completed than really were"): the recount from the log
// reports each figure that does not match.
func TestBeautifiedStatistics(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	exchange(t, h, 4)
	h.Stop()
	db, err := bolt.Open(filepath.Join(h.Dir, "hub.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("stats"))
		var st map[string]any
		if err := json.Unmarshal(b.Get([]byte(ngheAn)), &st); err != nil {
			return err
		}
		st["statuses"].(map[string]any)["06"] = 4 // all four completed, really two
		raw, _ := json.Marshal(st)
		return b.Put([]byte(ngheAn), raw)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	h2 := hubtest.Start(t, hubtest.Options{Dir: h.Dir, PKI: h.PKI, LogSignerKey: h.LogSignerKey})
	rep, err := Recount(context.Background(), auditor(t, h2), Log{Origin: h2.LogOrigin, Key: h2.LogKey}, "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	want := Mismatch{Agency: ngheAn, Figure: "completed", Published: 4, Logged: 2}
	if len(rep.Mismatches) != 1 || rep.Mismatches[0] != want {
		t.Fatalf("mismatches %+v, want %+v", rep.Mismatches, want)
	}
}
