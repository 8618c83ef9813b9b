package pgstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"lienthong/hub/store/pgstore"
)

func openBuckets(t testing.TB, url string) *pgstore.Buckets {
	t.Helper()
	b, err := pgstore.OpenBuckets(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// TestBuckets: a bucket starts full, gives burst tokens, then one per
// interval; two hub nodes' Buckets on one database take from the same
// bucket.
func TestBuckets(t *testing.T) {
	url := cluster.NewDatabase(t)
	node1, node2 := openBuckets(t, url), openBuckets(t, url)
	ctx := context.Background()
	takeN := func(b *pgstore.Buckets, key string, interval time.Duration, burst, n int) int {
		t.Helper()
		took, err := b.Take(ctx, key, interval, burst, n)
		if err != nil {
			t.Fatal(err)
		}
		return took
	}
	take := func(b *pgstore.Buckets, key string, interval time.Duration, burst int) bool {
		t.Helper()
		return takeN(b, key, interval, burst, 1) == 1
	}

	t.Run("burst shared by two nodes", func(t *testing.T) {
		for i, b := range []*pgstore.Buckets{node1, node2, node1, node2} {
			if !take(b, "000.00.00.H49", time.Hour, 4) {
				t.Fatalf("token %d refused", i+1)
			}
		}
		if take(node1, "000.00.00.H49", time.Hour, 4) || take(node2, "000.00.00.H49", time.Hour, 4) {
			t.Fatal("a token beyond the burst on either node")
		}
		if !take(node2, "000.00.00.H41", time.Hour, 4) {
			t.Fatal("another agency's bucket is empty too")
		}
	})
	t.Run("several tokens at once", func(t *testing.T) {
		if got := takeN(node1, "batch", time.Hour, 4, 3); got != 3 {
			t.Fatalf("took %d of a full bucket of 4, want 3", got)
		}
		if got := takeN(node2, "batch", time.Hour, 4, 3); got != 1 {
			t.Fatalf("took %d of the 1 left, want 1", got)
		}
		if got := takeN(node1, "batch", time.Hour, 4, 3); got != 0 {
			t.Fatalf("took %d of an empty bucket", got)
		}
		if got := takeN(node1, "small", time.Hour, 2, 5); got != 2 {
			t.Fatalf("took %d of a full bucket of 2, want 2", got)
		}
	})
	t.Run("refilled after the interval", func(t *testing.T) {
		const interval = 20 * time.Millisecond
		if !take(node1, "refill", interval, 1) {
			t.Fatal("first token refused")
		}
		time.Sleep(interval)
		if !take(node2, "refill", interval, 1) {
			t.Fatal("no token an interval later")
		}
	})
	t.Run("a table emptied by a crash starts full again", func(t *testing.T) {
		exec(t, url, `TRUNCATE rate_buckets`)
		if !take(node1, "000.00.00.H49", time.Hour, 4) {
			t.Fatal("token refused after the table was emptied")
		}
	})
}

// BenchmarkBucketsTake measures one token taken from a shared bucket: a
// round trip to PostgreSQL on its unix socket, one after another and from
// several goroutines at once, on one agency's row and on many.
func BenchmarkBucketsTake(b *testing.B) {
	bk := openBuckets(b, cluster.NewDatabase(b))
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := bk.Take(ctx, "000.00.00.H49", time.Microsecond, 1000, 1); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, keys := range []int{1, 100} {
		b.Run(fmt.Sprintf("parallel/agencies=%d", keys), func(b *testing.B) {
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := fmt.Sprintf("agency-%d", n.Add(1)%int64(keys))
					if _, err := bk.Take(ctx, key, time.Microsecond, 1000, 1); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
