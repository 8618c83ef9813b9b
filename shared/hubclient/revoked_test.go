package hubclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/shared/hubclient"
)

// TestRevokedHub: once the client's CRLs revoke the hub's certificate, the
// client refuses the hub's answers on the connection it already has, as
// the hub refuses a revoked client's requests.
func TestRevokedHub(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		h := hubtest.Start(t, hubtest.Options{})
		v := h.Verifier()
		c, err := hubclient.New(h.Addr, h.Agencies["000.00.00.H49"].Key, v, hubclient.Options{DisableQUIC: tcp, ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := c.Hello(ctx); err != nil {
			t.Fatal(err)
		}
		h.PKI.Revoke(h.Identity.Leaf)
		v.SetCRLs(h.PKI.CRL(t))
		if _, err := c.Hello(ctx); !errors.Is(err, certs.ErrRevoked) {
			t.Fatalf("tcp %v: hello after the hub's certificate was revoked: %v", tcp, err)
		}
	}
}
