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
// nodes gets its rate once, not once per node: with almost no refill, its
// first requests up to the burst pass, alternating between the nodes, and
// the next is refused on either node. With a burst of 4 every token is
// taken from the database; with 16, the nodes take two at a time and
// spend them themselves. Each agency has its own bucket.
func TestRateLimitAcrossNodes(t *testing.T) {
	url := cluster.NewDatabase(t)
	configure := func(c *config.Config) {
		c.Store, c.PostgresURL = config.StorePostgres, url
		c.RequestsPerSecond, c.Burst = 0.001, 4
		c.AgencyLimits = map[string]config.AgencyLimits{ngheAn: {Burst: 16}}
	}
	pki := certstest.New(t)
	n1 := hubtest.Start(t, hubtest.Options{PKI: pki, Configure: configure})
	n2 := hubtest.Start(t, hubtest.Options{PKI: pki, Configure: configure, Receipts: n1.Receipts, LogSignerKey: n1.LogSignerKey})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	on := []string{"node 1", "node 2"}
	for _, tc := range []struct {
		agency string
		burst  int
	}{{quangNinh, 4}, {ngheAn, 16}} {
		t.Run(fmt.Sprintf("burst %d", tc.burst), func(t *testing.T) {
			clients := [2]interface {
				Hello(context.Context) (*wire.Hello, error)
			}{n1.Client(t, tc.agency, false), n2.Client(t, tc.agency, false)}
			for i := range tc.burst {
				if _, err := clients[i%2].Hello(ctx); err != nil {
					t.Fatalf("request %d, on %s: %v", i+1, on[i%2], err)
				}
			}
			for i := range 2 {
				_, err := clients[i].Hello(ctx)
				if code := wire.CodeOf(err); code != wire.CodeRateLimited {
					t.Fatalf("request beyond the burst on %s: %v, want rate_limited", on[i], err)
				}
			}
		})
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
