package nodestest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/hub/server"
	"lienthong/hub/store/pgstore"
	"lienthong/shared/wire"
)

// TestRateLimitAcrossNodes: an agency spreading its requests over two
// nodes gets its rate once, not once per node: with a burst of 4 and
// almost no refill, its 4 first requests pass, alternating between the
// nodes, and the next is refused on either node. Another agency keeps
// its own bucket.
func TestRateLimitAcrossNodes(t *testing.T) {
	url := cluster.NewDatabase(t)
	configure := func(c *config.Config) {
		c.Store, c.PostgresURL = config.StorePostgres, url
		c.RequestsPerSecond, c.Burst = 0.001, 4
	}
	pki := certstest.New(t)
	n1 := hubtest.Start(t, hubtest.Options{PKI: pki, Configure: configure})
	n2 := hubtest.Start(t, hubtest.Options{PKI: pki, Configure: configure, Receipts: n1.Receipts, LogSignerKey: n1.LogSignerKey})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	on := []string{"node 1", "node 2"}
	qn := [2]interface {
		Hello(context.Context) (*wire.Hello, error)
	}{n1.Client(t, quangNinh, false), n2.Client(t, quangNinh, false)}
	for i := range 4 {
		if _, err := qn[i%2].Hello(ctx); err != nil {
			t.Fatalf("request %d, on %s: %v", i+1, on[i%2], err)
		}
	}
	for i := range 2 {
		_, err := qn[i].Hello(ctx)
		if code := wire.CodeOf(err); code != wire.CodeRateLimited {
			t.Fatalf("request beyond the burst on %s: %v, want rate_limited", on[i], err)
		}
	}
	if _, err := n2.Client(t, ngheAn, false).Hello(ctx); err != nil {
		t.Fatalf("another agency was limited too: %v", err)
	}
}

// BenchmarkSharedRate measures what the shared rate limit adds to a
// request: SharedRate over pgstore.Buckets on the test cluster (a unix
// socket), with the default limits (50 a second, burst 200: 16 tokens
// taken at once) and taking every token from the database (lease 1),
// beside this node's own buckets alone. The rate is set high enough that
// no request is refused.
func BenchmarkSharedRate(b *testing.B) {
	buckets, err := pgstore.OpenBuckets(context.Background(), cluster.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	defer buckets.Close()
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		rate server.RateLimiter
	}{
		{"local", server.LocalRate()},
		{"shared", server.SharedRate(buckets, server.SharedRateOptions{})},
		{"shared/lease=1", server.SharedRate(buckets, server.SharedRateOptions{Lease: 1})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			agency := certs.AgencyCode(fmt.Sprintf("000.00.%02d.H49", len(bc.name)))
			for b.Loop() {
				if !bc.rate.Allow(ctx, agency, 1e9, 200) {
					b.Fatal("refused")
				}
			}
		})
	}
}
