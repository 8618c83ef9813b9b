package hubclient_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/bench"
	"lienthong/hub/hubtest"
	"lienthong/internal/proxytest"
	"lienthong/shared/hubclient"
)

const proxyAgency = "000.00.00.H49"

// hubPort is the port of the test hub's address.
func hubPort(t *testing.T, h *hubtest.Hub) int {
	_, p, _ := net.SplitHostPort(h.Addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// proxyClient is a client of h's agency proxyAgency through proxy,
// QUIC allowed (a proxy must turn it off by itself).
func proxyClient(t *testing.T, h *hubtest.Hub, addr string, proxy *url.URL, opts hubclient.Options) *hubclient.Client {
	t.Helper()
	opts.ServerName = "localhost"
	opts.Proxy = hubclient.FixedProxy(proxy)
	c, err := hubclient.New(addr, h.Agencies[proxyAgency].Key, h.Verifier(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestProxyCarriesTheHubsTraffic reaches a hub through a real tinyproxy:
// the proxy logs the CONNECT to the hub's address, and the client speaks
// HTTP/2 in the tunnel, never QUIC, though the hub serves QUIC on the
// same port and QUIC is not turned off (it would win: Transport says
// h3 without a proxy).
func TestProxyCarriesTheHubsTraffic(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	p := proxytest.Start(t, proxytest.Config{ConnectPorts: []int{hubPort(t, h)}})
	c := proxyClient(t, h, h.Addr, p.URL("", ""), hubclient.Options{QUICHandshakeTimeout: 30 * time.Second})
	ctx := context.Background()
	hello, err := c.Hello(ctx)
	if err != nil {
		t.Fatalf("hello through the proxy: %v\n%s", err, p.Log())
	}
	if hello.Agency != proxyAgency {
		t.Fatalf("hello: agency %q", hello.Agency)
	}
	if _, err := c.Inbox(ctx, 0, 0); err != nil {
		t.Fatalf("inbox through the proxy: %v", err)
	}
	if got := c.Transport(); got != "h2" {
		t.Fatalf("transport through a proxy = %q, want h2", got)
	}
	if got := p.Settled(t); !slices.Contains(got, h.Addr) {
		t.Fatalf("the proxy logged CONNECTs %q, want %s", got, h.Addr)
	}

	direct := h.Client(t, proxyAgency, false)
	if _, err := direct.Hello(ctx); err != nil {
		t.Fatal(err)
	}
	if got := direct.Transport(); got != "h3" {
		t.Fatalf("transport without a proxy = %q, want h3 (else the check above proves nothing)", got)
	}
}

// TestProxyAuthentication sends the URL's credentials as Basic proxy
// authorization: right ones pass, wrong or missing ones are a refusal
// (tinyproxy answers a CONNECT 401, others 407) named with the proxy's
// address, without the password, asked once.
func TestProxyAuthentication(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	p := proxytest.Start(t, proxytest.Config{ConnectPorts: []int{hubPort(t, h)}, User: "vanthu", Password: "mat-khau-1"})
	ctx := context.Background()

	if _, err := proxyClient(t, h, h.Addr, p.URL("vanthu", "mat-khau-1"), hubclient.Options{}).Hello(ctx); err != nil {
		t.Fatalf("hello with the right credentials: %v\n%s", err, p.Log())
	}
	for _, u := range []*url.URL{p.URL("vanthu", "sai-mat-khau"), p.URL("", "")} {
		before := len(p.Settled(t))
		_, err := proxyClient(t, h, h.Addr, u, hubclient.Options{}).Hello(ctx)
		var pe *hubclient.ProxyError
		if !errors.As(err, &pe) || pe.Status != http.StatusProxyAuthRequired && pe.Status != http.StatusUnauthorized {
			t.Fatalf("hello with credentials %v: %v, want a 401 or 407 ProxyError", u.User, err)
		}
		if pe.Proxy != p.Addr || pe.Target != h.Addr {
			t.Fatalf("ProxyError names proxy %q and target %q", pe.Proxy, pe.Target)
		}
		if msg := err.Error(); !strings.Contains(msg, p.Addr) || !strings.Contains(msg, strconv.Itoa(pe.Status)) || strings.Contains(msg, "sai-mat-khau") {
			t.Fatalf("error %q: want the proxy and its status, never the password", msg)
		}
		if n := len(p.Settled(t)) - before; n != 1 {
			t.Fatalf("a refused CONNECT was sent %d times, want once", n)
		}
	}
}

// TestProxyRefusesThePort: a proxy that does not allow the hub's port
// answers 403, a clear error naming it.
func TestProxyRefusesThePort(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	p := proxytest.Start(t, proxytest.Config{ConnectPorts: []int{hubPort(t, h) + 1}})
	_, err := proxyClient(t, h, h.Addr, p.URL("", ""), hubclient.Options{}).Hello(context.Background())
	var pe *hubclient.ProxyError
	if !errors.As(err, &pe) || pe.Status != http.StatusForbidden {
		t.Fatalf("hello through a proxy refusing the port: %v, want a 403 ProxyError", err)
	}
	if !strings.Contains(err.Error(), "proxy "+p.Addr+" refused to connect to "+h.Addr+": 403") {
		t.Fatalf("error %q does not say who refused what", err)
	}
}

// TestProxyFailover: a node the proxy cannot reach (tinyproxy answers
// 500) counts as a node down, and the next node, CONNECTed in its turn,
// answers.
func TestProxyFailover(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	deadPort, err := bench.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dead := net.JoinHostPort("127.0.0.1", strconv.Itoa(deadPort))
	p := proxytest.Start(t, proxytest.Config{ConnectPorts: []int{hubPort(t, h), deadPort}})
	c := proxyClient(t, h, dead+","+h.Addr, p.URL("", ""), hubclient.Options{})
	if _, err := c.Hello(context.Background()); err != nil {
		t.Fatalf("hello with the first node unreachable behind the proxy: %v\n%s", err, p.Log())
	}
	if c.Node() != h.Addr {
		t.Fatalf("node in use %q, want %s", c.Node(), h.Addr)
	}
	if got := p.Settled(t); !slices.Equal(got, []string{dead, h.Addr}) {
		t.Fatalf("CONNECTs %q, want the dead node then the hub", got)
	}
}

// TestProxyCannotImpersonateTheHub: a proxy that answers the CONNECT and
// then speaks TLS itself, with a certificate for the hub's name from a
// CA of its own, is refused as a certificate error, never as the hub.
func TestProxyCannotImpersonateTheHub(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	mitm := certstest.New(t) // a CA the client does not trust
	conf := certs.ServerTLS(mitm.Hub(t), mitm.Verifier(t))
	ln := listen(t)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				br := bufio.NewReader(conn)
				if _, err := http.ReadRequest(br); err != nil {
					conn.Close()
					return
				}
				conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
				tc := tls.Server(conn, conf)
				tc.Handshake()
				tc.Close()
			}()
		}
	}()
	_, err := proxyClient(t, h, h.Addr, &url.URL{Scheme: "http", Host: ln.Addr().String()}, hubclient.Options{}).Hello(context.Background())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("hello through a proxy that impersonates the hub: %v, want a certificate error", err)
	}
}

// TestProxyTimeout: a proxy that accepts the connection and never
// answers the CONNECT is given up after Options.ProxyTimeout.
func TestProxyTimeout(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ln := listen(t)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	_, err := proxyClient(t, h, h.Addr, &url.URL{Scheme: "http", Host: ln.Addr().String()}, hubclient.Options{ProxyTimeout: 200 * time.Millisecond}).Hello(context.Background())
	var pe *hubclient.ProxyError
	if !errors.As(err, &pe) || pe.Status != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("hello through a silent proxy: %v, want a ProxyError that timed out", err)
	}
}

// TestProxyFromEnvironment follows HTTPS_PROXY and NO_PROXY as net/http
// does.
func TestProxyFromEnvironment(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://proxy.example.gov.vn:3128")
	t.Setenv("NO_PROXY", "noibo.example.gov.vn")
	f := hubclient.ProxyFromEnvironment()
	for target, want := range map[string]string{
		"hub.example.gov.vn:8443":   "http://proxy.example.gov.vn:3128",
		"noibo.example.gov.vn:8443": "",
		"127.0.0.1:8443":            "",
	} {
		u, err := f(&url.URL{Scheme: "https", Host: target})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if u != nil {
			got = u.String()
		}
		if got != want {
			t.Errorf("proxy for %s = %q, want %q", target, got, want)
		}
	}
}

// TestParseProxy accepts what a user types and never echoes a password.
func TestParseProxy(t *testing.T) {
	for in, want := range map[string]string{
		"proxy.gov.vn:3128":             "http://proxy.gov.vn:3128",
		"http://u:p@proxy.gov.vn:3128/": "http://u:p@proxy.gov.vn:3128",
		"http://proxy.gov.vn":           "http://proxy.gov.vn:80",
	} {
		u, err := hubclient.ParseProxy(in)
		if err != nil || u.String() != want {
			t.Errorf("ParseProxy(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, in := range []string{"socks5://u:secret@proxy:1080", "http://u:secret@proxy:3128/path", "http://:3128"} {
		_, err := hubclient.ParseProxy(in)
		var pe *hubclient.ProxyURLError
		if !errors.As(err, &pe) || strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseProxy(%q) = %v, want a ProxyURLError without the password", in, err)
		}
	}
}

// listen listens on a loopback port until the test ends.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// TestProxyFromEnvironmentRefused: an environment proxy this client cannot
// speak to (TLS or SOCKS to the proxy) is a
// ProxyURLError before anything is dialled, without the password.
func TestProxyFromEnvironmentRefused(t *testing.T) {
	pki := certstest.New(t)
	kp := pki.Agency(t, proxyAgency, "Ủy ban nhân dân tỉnh Quảng Ninh")
	for _, env := range []string{"https://u:bimat@proxy.example.gov.vn:443", "socks5://u:bimat@proxy.example.gov.vn:1080"} {
		t.Setenv("HTTPS_PROXY", env)
		c, err := hubclient.New("hub.example.gov.vn:4433", kp, pki.Verifier(t), hubclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Hello(context.Background())
		c.Close()
		var pe *hubclient.ProxyURLError
		if !errors.As(err, &pe) || strings.Contains(err.Error(), "bimat") {
			t.Errorf("HTTPS_PROXY=%s: %v, want a ProxyURLError without the password", env, err)
		}
	}
}
