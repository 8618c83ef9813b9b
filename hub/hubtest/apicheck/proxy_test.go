package apicheck_test

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/hub/hubtest/apicheck"
	"lienthong/shared/hubclient"
)

// TestProxy: a client talking to a hub through the checking proxy is the
// agency whose certificate it presented, to the hub as to itself.
func TestProxy(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Unchecked: true}) // the proxy checks this traffic
	roots := x509.NewCertPool()
	roots.AddCert(h.PKI.Root.Cert)
	var kps []*certs.KeyPair
	for _, a := range h.Agencies {
		kps = append(kps, a.Key)
	}
	addr := apicheck.Proxy(t, h.Addr, "localhost", h.Identity, roots, kps)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for code, a := range h.Agencies {
		c, err := hubclient.New(addr, a.Key, h.Verifier(), hubclient.Options{ServerName: "localhost", DisableQUIC: true})
		if err != nil {
			t.Fatal(err)
		}
		hello, err := c.Hello(ctx)
		c.Close()
		if err != nil || hello.Agency != code {
			t.Fatalf("hello through the proxy as %s: %v, %+v", code, err, hello)
		}
	}
}
