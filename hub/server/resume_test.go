package server_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"lienthong/certs"
	"lienthong/hub/hubtest"
)

// TestNoSessionResumption connects twice on each transport with a client
// that keeps session tickets: the second connection makes a full
// handshake, because the hub issues no tickets (and so keeps none alive
// per connection).
func TestNoSessionResumption(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hello := func(rt http.RoundTripper) *tls.ConnectionState {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+h.Addr+"/v1/hello", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.TLS == nil {
			t.Fatalf("hello: %s, TLS %v", resp.Status, resp.TLS)
		}
		return resp.TLS
	}
	tlsConf := func() *tls.Config {
		c := certs.ClientTLS(h.Agencies[quangNinh].Key, h.Verifier(), "localhost")
		c.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		return c
	}
	t.Run("h3", func(t *testing.T) {
		c := tlsConf()
		for i := range 2 {
			rt := &http3.Transport{TLSClientConfig: c}
			st := hello(rt)
			rt.Close()
			if st.DidResume {
				t.Fatalf("connection %d resumed a session", i+1)
			}
		}
	})
	t.Run("h2", func(t *testing.T) {
		c := tlsConf()
		for i := range 2 {
			rt := &http.Transport{TLSClientConfig: c, ForceAttemptHTTP2: true}
			st := hello(rt)
			rt.CloseIdleConnections()
			if st.DidResume {
				t.Fatalf("connection %d resumed a session", i+1)
			}
		}
	})
}
