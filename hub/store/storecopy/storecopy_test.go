package storecopy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
	"lienthong/hub/store/pgstore"
	"lienthong/hub/store/pgstore/pgtest"
	"lienthong/hub/store/storecopy"
	"lienthong/hub/store/storetest"
	"lienthong/shared/document"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	pgtest.Main(m, func(url string) error { return pgstore.Migrate(context.Background(), url) },
		func(c *pgtest.Cluster) { cluster = c })
}

var ctx = context.Background()

const (
	qn  = storetest.Quangninh
	gov = storetest.Govoffice
	na  = storetest.Nghean
	cb  = storetest.Caobang
)

func openBolt(t *testing.T, dir string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(dir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openPG(t *testing.T, url string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func seal(event string, party certs.AgencyCode, id string) store.Seal {
	return func(idx int64) (*store.Receipt, error) {
		return &store.Receipt{MessageID: id, Event: event, Party: party, At: storetest.T0,
			Signed: fmt.Appendf(nil, "signed %s %s at %d", event, id, idx)}, nil
	}
}

// ok(f())(t) is f's value, failing t on an error.
func ok[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// ok3 is ok for the calls that also say whether they were a retry.
func ok3[T any](v T, _ bool, err error) func(t *testing.T) T { return ok(v, err) }

// populate fills s with every kind of state a hub keeps: a directory with
// history, blobs (one larger than a PostgreSQL piece, one uploaded in
// chunks, one nobody sends, one whose bytes the retention removed),
// messages with and without attachments, acknowledged, pending, refused
// and recalled deliveries, statuses queued and acknowledged, receipts, a
// checkpoint and a partial upload.
func populate(t *testing.T, s store.Store, n int) (first string) {
	t.Helper()
	at := storetest.T0
	for _, a := range []certs.AgencyCode{qn, gov, na, cb} {
		ok(s.UpsertAgency(ctx, &store.Agency{Code: a, Name: "Cơ quan " + string(a), Level: 1, Active: true}, at))(t)
	}
	ok(s.UpsertAgency(ctx, &store.Agency{Code: cb, Name: "Cao Bằng (mới)", Level: 1, Active: true, CertPEM: []byte("pem")}, at.Add(time.Hour)))(t)

	big := storetest.RandomBytes(pgstore.ChunkSize + 12345)
	bigInfo := ok(s.PutBlob(ctx, qn, storetest.Digest(big), bytes.NewReader(big), at))(t)
	small := storetest.RandomBytes(5000)
	up := ok(s.BeginUpload(ctx, na, storetest.Digest(small), int64(len(small))))(t)
	ok(s.AppendUpload(ctx, up, 0, bytes.NewReader(small[:2000])))(t)
	ok(s.AppendUpload(ctx, up, 2000, bytes.NewReader(small[2000:])))(t)
	smallInfo := ok(s.CommitUpload(ctx, up, at))(t)
	lone := storetest.RandomBytes(300)
	ok(s.PutBlob(ctx, cb, storetest.Digest(lone), bytes.NewReader(lone), at))(t)
	partial := storetest.RandomBytes(1000)
	up = ok(s.BeginUpload(ctx, cb, storetest.Digest(partial), int64(len(partial))))(t)
	ok(s.AppendUpload(ctx, up, 0, bytes.NewReader(partial[:10])))(t)

	// A message carrying the small blob, delivered and settled, whose
	// bytes the retention then removes.
	gone := storetest.NewSubmission(na, 200, qn)
	gone.BlobDigests = []string{smallInfo.Digest}
	ok3(s.Accept(ctx, gone, seal("accepted", na, gone.MessageID)))(t)
	ok3(s.Ack(ctx, qn, gone.MessageID, "", at, seal("delivered", qn, gone.MessageID)))(t)

	var ids []string
	for i := range n {
		sub := storetest.NewSubmission(qn, 300+i, gov, na)
		sub.Received = at.Add(time.Duration(i) * time.Second)
		if i%3 == 0 {
			sub.BlobDigests = []string{bigInfo.Digest}
		}
		if i%5 == 0 {
			sub.Report = nil
		}
		ok3(s.Accept(ctx, sub, seal("accepted", qn, sub.MessageID)))(t)
		ids = append(ids, sub.MessageID)
		switch i % 4 {
		case 0: // both delivered, statuses, one acknowledged by the sender
			ok3(s.Ack(ctx, gov, sub.MessageID, "", sub.Received, seal("delivered", gov, sub.MessageID)))(t)
			ok3(s.Ack(ctx, na, sub.MessageID, "", sub.Received, seal("delivered", na, sub.MessageID)))(t)
			st := ok3(s.AppendStatus(ctx, &store.StatusUpdate{MessageID: sub.MessageID, From: gov, Code: document.StatusReceived,
				Staff: "Văn thư", At: sub.Received, Signed: fmt.Appendf(nil, "status %d", i)}))(t)
			if err := s.AckStatus(ctx, qn, st.Cursor); err != nil {
				t.Fatal(err)
			}
		case 1: // one delivered, one refused
			ok3(s.Ack(ctx, gov, sub.MessageID, "", sub.Received, seal("delivered", gov, sub.MessageID)))(t)
			ok3(s.Refuse(ctx, na, sub.MessageID, "không đọc được", sub.Received, seal("refused", na, sub.MessageID)))(t)
		case 2: // leased, pending
			ok(s.Lease(ctx, gov, 1, sub.Received, time.Hour))(t)
		}
	}
	recall := storetest.NewSubmission(qn, 100, gov, na)
	recall.Kind = document.BusinessRecall
	recall.Targets = []string{ids[len(ids)-1]}
	ok3(s.Accept(ctx, recall, nil))(t)
	if _, err := s.GCBlobs(ctx, at.Add(time.Hour), 1000*time.Hour, time.Minute); err != nil {
		t.Fatal(err)
	}
	if info := ok(s.StatBlob(ctx, smallInfo.Digest))(t); info.Present {
		t.Fatalf("the settled blob was not removed by the retention: %+v", info)
	}
	size := ok(s.LogSize(ctx))(t)
	if err := s.PutCheckpoint(ctx, size-1, []byte("a signed checkpoint")); err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

// TestBoltToPostgresAndBack copies a bbolt store into PostgreSQL and the
// copy back into a new bbolt folder: each copy proves itself, the last
// one passes bbolt's Verify, and both copies go on where the original
// stopped (same log index, cursors and dedup keys).
func TestBoltToPostgresAndBack(t *testing.T) {
	orig := openBolt(t, t.TempDir())
	first := populate(t, orig, 24)
	pg := openPG(t, cluster.NewDatabase(t))
	rep, err := storecopy.Copy(ctx, orig, pg, storecopy.Options{BatchItems: 7})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Source.LogSize == 0 || rep.Source.Counts[storecopy.KindBlob] != 3 || rep.Source.Counts[storecopy.KindMessage] != 26 {
		t.Fatalf("summary of the source: %+v", rep.Source)
	}
	back := openBolt(t, t.TempDir())
	if _, err := storecopy.Copy(ctx, pg, back, storecopy.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(ctx); err != nil {
		t.Fatalf("the copy back fails bbolt's checks: %v", err)
	}
	want := ok(storecopy.Summarize(ctx, orig))(t)
	if err := storecopy.Compare(want, ok(storecopy.Summarize(ctx, back))(t)); err != nil {
		t.Fatalf("the round trip changed the store: %v", err)
	}

	for name, s := range map[string]store.Store{"bolt": orig, "postgres": pg, "bolt again": back} {
		t.Run(name, func(t *testing.T) { continues(t, s, first) })
	}
}

// continues checks that a store goes on as the original would: the next
// log index, sent cursor and queue cursor follow the copied ones, retries
// are recognised and the directory unchanged.
func continues(t *testing.T, s store.Store, first string) {
	size := ok(s.LogSize(ctx))(t)
	sub := storetest.NewSubmission(qn, 50, gov)
	sub.MessageID = "0123456789abcdef0123456789abcdef"
	res, existed, err := s.Accept(ctx, sub, nil)
	if err != nil || existed {
		t.Fatalf("accept after the copy: %v %v", existed, err)
	}
	if res.LogIndex != size || res.Seq != 26 {
		t.Fatalf("accepted at log index %d seq %d, want %d and 26", res.LogIndex, res.Seq, size)
	}
	inbox := ok(s.Inbox(ctx, gov, 0, 100, storetest.T0.Add(48*time.Hour)))(t)
	if last := inbox[len(inbox)-1]; last.MessageID != sub.MessageID || last.Cursor != 26 {
		t.Fatalf("last in the inbox: %+v", last)
	}
	changed := ok(s.UpsertAgency(ctx, &store.Agency{Code: cb, Name: "Cao Bằng (mới)", Level: 1, Active: true, CertPEM: []byte("pem")}, storetest.T0))(t)
	if changed {
		t.Fatal("an identical directory entry changed the copy")
	}
	if h := ok(s.AgencyHistory(ctx, cb))(t); len(h) != 2 {
		t.Fatalf("history of %s: %d versions", cb, len(h))
	}
	hist := ok(s.StatusHistory(ctx, first))(t)
	if len(hist) != 3 { // 01 from each recipient, 03 from the Government Office
		t.Fatalf("status history of the first message: %+v", hist)
	}
	last := hist[len(hist)-1]
	again, existed, err := s.AppendStatus(ctx, &store.StatusUpdate{MessageID: first, From: last.From, Code: last.Code,
		Staff: last.Staff, At: last.At, Signed: last.Signed})
	if err != nil || !existed || again.LogIndex != last.LogIndex {
		t.Fatalf("a status retry after the copy: existed=%v err=%v", existed, err)
	}
	if u := ok(s.UploadUsage(ctx, cb))(t); u.Unreferenced != 300 {
		t.Fatalf("quota of %s: %+v", cb, u)
	}
}

// TestPostgresToBolt copies a store filled on PostgreSQL into bbolt.
func TestPostgresToBolt(t *testing.T) {
	pg := openPG(t, cluster.NewDatabase(t))
	populate(t, pg, 12)
	dst := openBolt(t, t.TempDir())
	rep, err := storecopy.Copy(ctx, pg, dst, storecopy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Target.CheckpointSize == 0 || rep.Target.CheckpointHash != rep.Source.CheckpointHash {
		t.Fatalf("signed tree head: %+v", rep.Target)
	}
	if err := dst.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRefusesNonEmptyTarget: a target holding anything is refused, and
// left as it was.
func TestRefusesNonEmptyTarget(t *testing.T) {
	src := openBolt(t, t.TempDir())
	populate(t, src, 2)
	for name, dst := range map[string]storecopy.Sink{
		"bolt":     openBolt(t, t.TempDir()),
		"postgres": openPG(t, cluster.NewDatabase(t)),
	} {
		t.Run(name, func(t *testing.T) {
			s := dst.(store.Store)
			ok(s.UpsertAgency(ctx, &store.Agency{Code: gov, Name: "VPCP", Level: 1, Active: true}, storetest.T0))(t)
			if _, err := storecopy.Copy(ctx, src, dst, storecopy.Options{}); !errors.Is(err, storecopy.ErrNotEmpty) {
				t.Fatalf("copy into a store with an agency: %v", err)
			}
			if n := ok(s.LogSize(ctx))(t); n != 1 {
				t.Fatalf("the refused target's log has %d entries", n)
			}
		})
	}
}

// cancelling is a source whose export is cancelled after some items.
type cancelling struct {
	storecopy.Source
	after  int
	cancel context.CancelFunc
}

func (c *cancelling) Export(ctx context.Context, emit func(storecopy.Item) error) error {
	n := 0
	return c.Source.Export(ctx, func(it storecopy.Item) error {
		if n++; n == c.after {
			c.cancel()
		}
		return emit(it)
	})
}

// TestInterruptedCopyIsMarked: a copy cancelled midway leaves a target
// that the next copy and the hub (Open) refuse.
func TestInterruptedCopyIsMarked(t *testing.T) {
	src := openBolt(t, t.TempDir())
	populate(t, src, 10)
	t.Run("bolt", func(t *testing.T) {
		dir := t.TempDir()
		dst, err := boltstore.Open(dir, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		interrupt(t, src, dst)
		if _, err := storecopy.Copy(ctx, src, dst, storecopy.Options{}); !errors.Is(err, storecopy.ErrIncomplete) {
			t.Fatalf("copy into the interrupted target: %v", err)
		}
		dst.Close()
		if _, err := boltstore.Open(dir, boltstore.Options{}); !errors.Is(err, storecopy.ErrIncomplete) {
			t.Fatalf("open of the interrupted target: %v", err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		url := cluster.NewDatabase(t)
		dst, err := pgstore.Open(ctx, url, pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		interrupt(t, src, dst)
		if _, err := storecopy.Copy(ctx, src, dst, storecopy.Options{}); !errors.Is(err, storecopy.ErrIncomplete) {
			t.Fatalf("copy into the interrupted target: %v", err)
		}
		dst.Close()
		if _, err := pgstore.Open(ctx, url, pgstore.Options{}); !errors.Is(err, storecopy.ErrIncomplete) {
			t.Fatalf("open of the interrupted target: %v", err)
		}
	})
}

func interrupt(t *testing.T, src storecopy.Source, dst storecopy.Sink) {
	t.Helper()
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err := storecopy.Copy(cctx, &cancelling{Source: src, after: 40, cancel: cancel}, dst, storecopy.Options{BatchItems: 5})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled copy: %v", err)
	}
	if n := ok(dst.(store.Store).LogSize(ctx))(t); n == 0 {
		t.Fatal("the interrupted copy wrote nothing: the test shows nothing")
	}
}

// TestTamperedCopyFailsTheProof: a blob whose bytes differ from its digest
// is caught while it is read.
func TestTamperedCopyFailsTheProof(t *testing.T) {
	src := openBolt(t, t.TempDir())
	populate(t, src, 1)
	tampered := &tamper{Source: src}
	if _, err := storecopy.Summarize(ctx, tampered); !errors.Is(err, storecopy.ErrMismatch) {
		t.Fatalf("summary of a source with a changed blob: %v", err)
	}
	a := ok(storecopy.Summarize(ctx, src))(t)
	b := a
	b.Digests[storecopy.KindReceipt][0] ^= 1
	if err := storecopy.Compare(a, b); !errors.Is(err, storecopy.ErrMismatch) {
		t.Fatalf("compare of different receipts: %v", err)
	}
}

type tamper struct{ storecopy.Source }

func (t *tamper) Export(ctx context.Context, emit func(storecopy.Item) error) error {
	return t.Source.Export(ctx, func(it storecopy.Item) error {
		if b, ok := it.(storecopy.Blob); ok && b.Body != nil {
			body := b.Body
			b.Body = func() (io.ReadCloser, error) {
				r, err := body()
				if err != nil {
					return nil, err
				}
				data, err := io.ReadAll(r)
				r.Close()
				data[0] ^= 1
				return io.NopCloser(bytes.NewReader(data)), err
			}
			it = b
		}
		return emit(it)
	})
}

// TestAdvanceCursors: after a restore, the cursors a store hands out jump
// past those its clients saw, so that a clerk whose inbox cursor is ahead
// of the restored store still lists what is queued to it next.
func TestAdvanceCursors(t *testing.T) {
	for name, s := range map[string]interface {
		store.Store
		AdvanceCursors(context.Context, uint64) error
	}{
		"bolt":     openBolt(t, t.TempDir()),
		"postgres": openPG(t, cluster.NewDatabase(t)),
	} {
		t.Run(name, func(t *testing.T) {
			populate(t, s, 3)
			if err := s.AdvanceCursors(ctx, 1000); err != nil {
				t.Fatal(err)
			}
			sub := storetest.NewSubmission(qn, 50, gov)
			res := ok3(s.Accept(ctx, sub, nil))(t)
			if res.Seq != 1000+5 {
				t.Fatalf("sent cursor after the jump: %d", res.Seq)
			}
			inbox := ok(s.Inbox(ctx, gov, 1000, 10, storetest.T0))(t)
			if len(inbox) != 1 || inbox[0].MessageID != sub.MessageID || inbox[0].Cursor != 1000+5 {
				t.Fatalf("inbox past the old cursors: %+v", inbox)
			}
		})
	}
}
