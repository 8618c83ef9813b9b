package boltstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/storetest"
	"lienthong/shared/document"
)

var benchCommits = []struct {
	name string
	opts Options
}{
	{"queue", Options{GroupCommit: CommitQueue}},
	{"boltbatch", Options{GroupCommit: CommitBoltBatch}},
}

func benchStore(b *testing.B, opts Options) *Store {
	b.Helper()
	s, err := Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// submissionFrom makes a distinct submission from a template envelope by
// changing its first bytes, cheaply.
func submissionFrom(env []byte, n uint64, sender certs.AgencyCode, recipients ...certs.AgencyCode) *store.Submission {
	e := make([]byte, len(env))
	copy(e, env)
	binary.BigEndian.PutUint64(e, n)
	binary.BigEndian.PutUint64(e[8:], rand.Uint64())
	sum := sha256.Sum256(e)
	id := hex.EncodeToString(sum[:16])
	return &store.Submission{
		MessageID: id, Sender: sender, Recipients: recipients, EnvelopeSHA256: hex.EncodeToString(sum[:]),
		Envelope: e, Kind: document.BusinessNew, Received: storetest.T0, Report: []byte(`{"ok":true}`),
	}
}

// runConcurrently calls fn(i) for i in [0, b.N) from c goroutines.
func runConcurrently(b *testing.B, c int, fn func(i uint64) error) {
	var next atomic.Uint64
	var wg sync.WaitGroup
	errs := make(chan error, c)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= uint64(b.N) {
					return
				}
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkAccept measures durable accepts of 10 KB envelopes to two
// recipients, each caller waiting for its own fsynced commit, at several
// numbers of concurrent callers.
func BenchmarkAccept(b *testing.B) {
	env := storetest.RandomBytes(10 << 10)
	for _, gc := range benchCommits {
		for _, c := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("%s/conc=%d", gc.name, c), func(b *testing.B) {
				s := benchStore(b, gc.opts)
				ctx := context.Background()
				b.SetBytes(int64(len(env)))
				before := s.db.Stats()
				b.ResetTimer()
				runConcurrently(b, c, func(i uint64) error {
					sub := submissionFrom(env, i, storetest.Quangninh, storetest.Govoffice, storetest.Nghean)
					_, _, err := s.Accept(ctx, sub, nil)
					return err
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accepts/s")
				reportWrites(b, s, before)
			})
		}
	}
}

// BenchmarkLeaseAck measures leasing one delivery and acknowledging it, two
// durable commits, with one caller per recipient.
func BenchmarkLeaseAck(b *testing.B) {
	env := storetest.RandomBytes(1 << 10)
	recipients := []certs.AgencyCode{storetest.Govoffice, storetest.Nghean, storetest.Caobang, "001.00.00.H49",
		"002.00.00.H49", "003.00.00.H49", "004.00.00.H49", "005.00.00.H49",
		"006.00.00.H49", "007.00.00.H49", "008.00.00.H49", "009.00.00.H49",
		"010.00.00.H49", "011.00.00.H49", "012.00.00.H49", "013.00.00.H49"}
	for _, c := range []int{1, 16} {
		b.Run(fmt.Sprintf("conc=%d", c), func(b *testing.B) {
			s := benchStore(b, Options{})
			ctx := context.Background()
			preload(b, s, env, b.N+c, recipients[:c]...)
			var worker atomic.Int64
			before := s.db.Stats()
			b.ResetTimer()
			var wg sync.WaitGroup
			var done atomic.Int64
			for range c {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := recipients[worker.Add(1)-1]
					for done.Add(1) <= int64(b.N) {
						ds, err := s.Lease(ctx, r, 1, storetest.T0, time.Minute)
						if err != nil || len(ds) != 1 {
							b.Errorf("lease: %v (%d)", err, len(ds))
							return
						}
						if _, _, err := s.Ack(ctx, r, ds[0].MessageID, ds[0].LeaseToken, storetest.T0, nil); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lease+ack/s")
			reportWrites(b, s, before)
		})
	}
}

// preload queues n messages to each recipient through Accept's own
// transaction code, 5,000 to a transaction.
func preload(b *testing.B, s *Store, env []byte, n int, recipients ...certs.AgencyCode) {
	b.Helper()
	for done := 0; done < n; {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i := 0; i < 5000 && done < n; i++ {
				sub := submissionFrom(env, uint64(done), storetest.Quangninh, recipients...)
				if _, _, refusal, err := acceptTx(tx, sub, nil); err != nil || refusal != nil {
					return fmt.Errorf("preload: %v %v", err, refusal)
				}
				done++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInbox lists a page of 100 from a queue of 100,000 pending
// deliveries, at the head and at random cursors.
func BenchmarkInbox(b *testing.B) {
	const queued = 100_000
	s := benchStore(b, Options{})
	preload(b, s, storetest.RandomBytes(256), queued, storetest.Govoffice)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		after func() uint64
	}{
		{"head", func() uint64 { return 0 }},
		{"random", func() uint64 { return rand.Uint64N(queued - 100) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				ds, err := s.Inbox(ctx, storetest.Govoffice, tc.after(), 100, storetest.T0)
				if err != nil || len(ds) != 100 {
					b.Fatalf("inbox: %d, %v", len(ds), err)
				}
			}
		})
	}
}

// reportWrites reports the page bytes written per operation: a figure
// that, unlike time, does not depend on the machine's load.
func reportWrites(b *testing.B, s *Store, before bolt.Stats) {
	after := s.db.Stats()
	d := after.Sub(&before)
	b.ReportMetric(float64(d.TxStats.GetPageAlloc())/1024/float64(b.N), "KB-written/op")
}

// BenchmarkAcceptOpenLoop offers 10 KB accepts at a fixed rate, each from
// its own goroutine as from independent clients, and reports the latency
// percentiles and the rate achieved, for each group commit. Unlike the
// closed loop of BenchmarkAccept, a DB.Batch batch here holds only what
// arrives within one delay, so the delay decides how many commits are
// needed; the queue's batches grow with the backlog instead.
func BenchmarkAcceptOpenLoop(b *testing.B) {
	env := storetest.RandomBytes(10 << 10)
	modes := []struct {
		name string
		opts Options
	}{
		{"queue", Options{GroupCommit: CommitQueue}},
		{"boltbatch-2ms", Options{GroupCommit: CommitBoltBatch, BatchDelay: 2 * time.Millisecond}},
		{"boltbatch-5ms", Options{GroupCommit: CommitBoltBatch, BatchDelay: 5 * time.Millisecond}},
	}
	for _, rate := range []int{1000, 2000, 3000} {
		for _, mode := range modes {
			b.Run(fmt.Sprintf("rate=%d/%s", rate, mode.name), func(b *testing.B) {
				s, err := Open(b.TempDir(), mode.opts)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				ctx := context.Background()
				lat := make([]time.Duration, b.N)
				interval := time.Second / time.Duration(rate)
				var wg sync.WaitGroup
				b.ResetTimer()
				start := time.Now()
				for i := range b.N {
					if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
						time.Sleep(d)
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						t0 := time.Now()
						sub := submissionFrom(env, uint64(i), storetest.Quangninh, storetest.Govoffice, storetest.Nghean)
						if _, _, err := s.Accept(ctx, sub, nil); err != nil {
							b.Error(err)
						}
						lat[i] = time.Since(t0)
					}()
				}
				wg.Wait()
				b.StopTimer()
				slices.Sort(lat)
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "accepts/s")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			})
		}
	}
}
