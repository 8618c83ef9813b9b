package hubclient_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// fakeNode is a hub node over TCP that answers as handler says and
// counts the requests it got.
type fakeNode struct {
	addr string
	hits atomic.Int32
}

// startNode serves handler with the hub certificate hub on ln (nil: a
// new loopback port).
func startNode(t *testing.T, pki *certstest.PKI, hub *certs.KeyPair, ln net.Listener, handler http.HandlerFunc) *fakeNode {
	t.Helper()
	n := &fakeNode{}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.hits.Add(1)
		handler(w, r)
	}))
	if ln != nil {
		s.Listener.Close()
		s.Listener = ln
	}
	s.EnableHTTP2 = true
	s.TLS = certs.ServerTLS(hub, pki.Verifier(t))
	s.TLS.NextProtos = []string{"h2"}
	s.StartTLS()
	t.Cleanup(s.Close)
	n.addr = s.Listener.Addr().String()
	return n
}

// hello answers GET /v1/hello as a hub would.
func hello(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", wire.ContentJSON)
	json.NewEncoder(w).Encode(wire.Hello{Agency: "000.00.00.H49"})
}

// answer answers every request with the wire error code.
func answer(code wire.Code) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", wire.ContentJSON)
		w.WriteHeader(code.HTTPStatus())
		json.NewEncoder(w).Encode(wire.Errorf(code, "test"))
	}
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func newClient(t *testing.T, pki *certstest.PKI, addrs string, opts hubclient.Options) *hubclient.Client {
	t.Helper()
	opts.DisableQUIC = true
	if opts.ServerName == "" {
		opts.ServerName = "localhost"
	}
	c, err := hubclient.New(addrs, pki.Agency(t, "000.00.00.H49", "Quảng Ninh"), pki.Verifier(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestFailover: a node that cannot be reached, that answers it cannot
// serve now, or that dies half-way through its answer is replaced by the
// next, which is then used first.
func TestFailover(t *testing.T) {
	pki := certstest.New(t)
	hub := pki.Hub(t)
	cutOff := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", wire.ContentJSON)
		w.Write([]byte(`{"agency":`))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the node dies mid-answer
	}
	for _, tc := range []struct {
		name  string
		first func(t *testing.T) (addr string, hits func() int32)
	}{
		{"unreachable", func(t *testing.T) (string, func() int32) { return deadAddr(t), nil }},
		{"unavailable", func(t *testing.T) (string, func() int32) {
			n := startNode(t, pki, hub, nil, answer(wire.CodeUnavailable))
			return n.addr, n.hits.Load
		}},
		{"bad gateway", func(t *testing.T) (string, func() int32) {
			n := startNode(t, pki, hub, nil, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "proxy", http.StatusBadGateway) })
			return n.addr, n.hits.Load
		}},
		{"dies mid-answer", func(t *testing.T) (string, func() int32) {
			n := startNode(t, pki, hub, nil, cutOff)
			return n.addr, n.hits.Load
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, firstHits := tc.first(t)
			second := startNode(t, pki, hub, nil, hello)
			c := newClient(t, pki, first+", "+second.addr, hubclient.Options{})
			ctx := testContext(t)
			for i := range 2 {
				h, err := c.Hello(ctx)
				if err != nil || h.Agency != "000.00.00.H49" {
					t.Fatalf("hello %d: %+v, %v", i, h, err)
				}
			}
			if c.Node() != second.addr {
				t.Fatalf("node in use %q, want %q", c.Node(), second.addr)
			}
			if firstHits != nil && firstHits() != 1 {
				t.Fatalf("the failed node got %d requests, want 1: the node that answered is used first", firstHits())
			}
			if second.hits.Load() != 2 {
				t.Fatalf("the second node got %d requests, want 2", second.hits.Load())
			}
		})
	}
}

// TestAllNodesDown: with no node answering, the last node's error comes
// back (unavailable here, which the caller retries later).
func TestAllNodesDown(t *testing.T) {
	pki := certstest.New(t)
	a := startNode(t, pki, pki.Hub(t), nil, answer(wire.CodeUnavailable))
	b := startNode(t, pki, pki.Hub(t), nil, answer(wire.CodeUnavailable))
	c := newClient(t, pki, a.addr+","+b.addr, hubclient.Options{})
	if _, err := c.Hello(testContext(t)); !errors.Is(err, hubclient.ErrUnavailable) {
		t.Fatalf("hello with every node unavailable: %v", err)
	}
	if a.hits.Load() != 1 || b.hits.Load() != 1 {
		t.Fatalf("requests %d and %d, want one to each node", a.hits.Load(), b.hits.Load())
	}
}

// TestRefusalNotRetried: an answer of the hub, a refusal or a failure it
// reports, is the answer: the request does not go on to another node.
func TestRefusalNotRetried(t *testing.T) {
	pki := certstest.New(t)
	hub := pki.Hub(t)
	for _, code := range []wire.Code{wire.CodeBadRequest, wire.CodeBadSignature, wire.CodeNotFound, wire.CodeConflict,
		wire.CodeForbidden, wire.CodeRateLimited, wire.CodeTooLarge, wire.CodeInternal} {
		t.Run(string(code), func(t *testing.T) {
			first := startNode(t, pki, hub, nil, answer(code))
			second := startNode(t, pki, hub, nil, hello)
			c := newClient(t, pki, first.addr+","+second.addr, hubclient.Options{})
			_, err := c.Submit(testContext(t), []byte("packet"))
			if wire.CodeOf(err) != code || !errors.Is(err, hubclient.Sentinel(code)) {
				t.Fatalf("submit: %v, want %s", err, code)
			}
			if second.hits.Load() != 0 {
				t.Fatalf("a refusal by one node was sent on to another")
			}
		})
	}
}

// TestCertificateNameOnEveryNode: each node must present a certificate
// for the hub's name; a node that does not is an error to see, not a
// node to skip.
func TestCertificateNameOnEveryNode(t *testing.T) {
	pki := certstest.New(t)
	other, err := pki.Issuing.IssueHub(certs.HubRequest{DNSNames: []string{"other.example"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	impostor := startNode(t, pki, other, nil, hello)
	good := startNode(t, pki, pki.Hub(t), nil, hello)
	c := newClient(t, pki, impostor.addr+","+good.addr, hubclient.Options{})
	_, err = c.Hello(testContext(t))
	var host x509.HostnameError
	if !errors.As(err, &host) {
		t.Fatalf("hello from a node whose certificate names another host: %v", err)
	}
	if good.hits.Load() != 0 {
		t.Fatal("a node with the wrong certificate was skipped for another")
	}
}

// TestNameOfSeveralNodes: a name that resolves to several addresses is
// one node per address, each checked against the hub's name.
func TestNameOfSeveralNodes(t *testing.T) {
	pki := certstest.New(t)
	dead := deadAddr(t) // 127.0.0.1:port, closed
	_, port, _ := net.SplitHostPort(dead)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.2", port))
	if err != nil {
		t.Fatalf("listen on 127.0.0.2 at the port just freed on 127.0.0.1: %v", err)
	}
	live := startNode(t, pki, pki.Hub(t), ln, hello)
	var asked []string
	lookup := func(ctx context.Context, host string) ([]string, error) {
		asked = append(asked, host)
		if host != "hub.example" {
			return nil, errors.New("no such host")
		}
		return []string{"::1", "127.0.0.1", "127.0.0.2"}, nil
	}
	c := newClient(t, pki, "hub.example:"+port, hubclient.Options{LookupHost: lookup})
	if _, err := c.Hello(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if c.Node() != live.addr {
		t.Fatalf("answered by %q, want %q", c.Node(), live.addr)
	}
	if strings.Join(asked, ",") != "hub.example" {
		t.Fatalf("names looked up: %q", asked)
	}
}

// TestParseAddrs: the forms of an address list.
func TestParseAddrs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // joined by ",", or "error"
	}{
		{"hub.example:4433", "hub.example:4433"},
		{"a:1,b:2", "a:1,b:2"},
		{" a:1 , b:2 ,", "a:1,b:2"},
		{"a:1,a:1", "a:1"},
		{"[::1]:4433,127.0.0.1:4433", "[::1]:4433,127.0.0.1:4433"},
		{"", "error"},
		{" , ", "error"},
		{"hub.example", "error"},
		{"a:1,b", "error"},
		{":4433", "error"},
		{"a:", "error"},
		{"a:https", "error"},
		{"a:0", "error"},
		{"a:65536", "error"},
		{"a b:1", "error"},
		{"https://a:1", "error"},
	} {
		got, err := hubclient.ParseAddrs(tc.in)
		s := strings.Join(got, ",")
		if err != nil {
			s = "error"
		}
		if s != tc.want {
			t.Errorf("ParseAddrs(%q) = %q (%v), want %q", tc.in, s, err, tc.want)
		}
		var ae *hubclient.AddrError
		if err != nil && !errors.As(err, &ae) && !errors.Is(err, hubclient.ErrNoAddress) {
			t.Errorf("ParseAddrs(%q): %v is neither an *AddrError nor ErrNoAddress", tc.in, err)
		}
	}
}
