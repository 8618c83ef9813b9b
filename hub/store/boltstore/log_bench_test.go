package boltstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/shared/auditlog"
)

// BenchmarkLog measures the transparency log inside the hub's real bbolt
// file at 1 million leaves: what appending one event's entry adds to its
// transaction (hashing and writing the tree nodes, no extra fsync: it
// rides in the event's commit), and proving an inclusion and a
// consistency from the stored hashes.
func BenchmarkLog(b *testing.B) {
	const leaves = 1_000_000
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	entry := func(i int) *auditlog.Entry {
		return &auditlog.Entry{Kind: auditlog.KindDelivered, At: time.Unix(int64(i), 0), MessageID: fmt.Sprintf("%032x", i),
			EnvelopeSHA256: fmt.Sprintf("%064x", i), Agency: "000.00.00.H41"}
	}
	for done := 0; done < leaves; {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for j := 0; j < 20_000 && done < leaves; j++ {
				if _, err := appendLog(tx, entry(done)); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	size, _ := s.LogSize(ctx)
	head, err := auditlog.Head("bench", size, s)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("append-in-transaction", func(b *testing.B) {
		// 100 entries per transaction, as a group commit of 100 events.
		for b.Loop() {
			tx, err := s.db.Begin(true)
			if err != nil {
				b.Fatal(err)
			}
			for j := 0; j < 100; j++ {
				if _, err := appendLog(tx, entry(leaves+j)); err != nil {
					b.Fatal(err)
				}
			}
			tx.Rollback() // measure the work, keep the tree at 1M
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/entry")
	})
	b.Run("inclusion-proof", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			idx := int64(i*7919) % size
			p, err := auditlog.ProveInclusion(idx, size, s)
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := s.LogEntries(ctx, idx, idx+1)
			if err := auditlog.VerifyInclusion(raw[0], p, head); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("consistency-proof", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			old := 1 + int64(i*7919)%(size-1)
			if _, err := auditlog.ProveConsistency(old, size, s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
