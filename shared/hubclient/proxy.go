package hubclient

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// An HTTP proxy. Networks that let out only an HTTP proxy reach the hub
// through it: the client asks the proxy to CONNECT to each node's address
// and speaks TLS 1.3 with its certificate and HTTP/2 inside the tunnel, so
// the proxy sees only the address; the hub's certificate is checked exactly
// as without a proxy (a proxy that answers with a certificate of its own is
// refused like any other). A CONNECT carries TCP only: a node reached
// through a proxy is never tried over QUIC.

// ProxyFunc picks the HTTP proxy for a hub node, given as the URL
// "https://host:port" of its configured address: nil for none. The
// proxy's URL is "http://[user:password@]host:port"; the user and password
// are sent as Basic proxy authorization and never logged.
type ProxyFunc func(node *url.URL) (*url.URL, error)

// ProxyFromEnvironment is the proxy of the environment, with the meaning
// net/http gives it: HTTPS_PROXY (or https_proxy) for every node but those
// NO_PROXY (or no_proxy) names and those on the loopback. Without
// HTTPS_PROXY, it is the system's proxy (SystemProxy: on Windows, the
// user's proxy settings, read when it is called). It is the default of
// Options.Proxy.
func ProxyFromEnvironment() ProxyFunc {
	env := httpproxy.FromEnvironment()
	if env.HTTPSProxy == "" {
		if sys := SystemProxy(); sys != nil {
			return sys
		}
	}
	f := env.ProxyFunc()
	return func(u *url.URL) (*url.URL, error) { return f(u) }
}

// NoProxy reaches every node directly.
func NoProxy(*url.URL) (*url.URL, error) { return nil, nil }

// FixedProxy reaches every node through the proxy at u.
func FixedProxy(u *url.URL) ProxyFunc {
	return func(*url.URL) (*url.URL, error) { return u, nil }
}

// ParseProxy checks a proxy's URL as a user types it: "http://host:port"
// or "host:port", with an optional "user:password@" before the host.
func ParseProxy(s string) (*url.URL, error) {
	raw := s
	if !hasScheme(s) {
		raw = "http://" + s
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &ProxyURLError{Err: errors.New("not a URL")}
	}
	if u.Scheme != "http" {
		return nil, &ProxyURLError{Err: fmt.Errorf("scheme %q: only http proxies are supported", u.Scheme)}
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, &ProxyURLError{Err: errors.New("want http://host:port")}
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "80")
	}
	u.Path = ""
	return u, nil
}

// checkProxy checks a proxy a ProxyFunc chose (nil for none): an HTTP
// proxy, its port 80 when it names none.
func checkProxy(u *url.URL) (*url.URL, error) {
	if u == nil {
		return nil, nil
	}
	if u.Scheme != "http" {
		return nil, &ProxyURLError{Err: fmt.Errorf("scheme %q: only http proxies are supported", u.Scheme)}
	}
	if u.Hostname() == "" {
		return nil, &ProxyURLError{Err: errors.New("want http://host:port")}
	}
	if u.Port() == "" {
		u = &url.URL{Scheme: u.Scheme, User: u.User, Host: net.JoinHostPort(u.Hostname(), "80")}
	}
	return u, nil
}

func hasScheme(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && u.Host != ""
}

// ProxyURLError is a proxy setting that is not an HTTP proxy's URL. It
// never holds the URL itself, which may carry a password.
type ProxyURLError struct{ Err error }

func (e *ProxyURLError) Error() string { return "proxy URL: " + e.Err.Error() }
func (e *ProxyURLError) Unwrap() error { return e.Err }

// ProxyError is a proxy that did not open a tunnel to a hub node: it
// answered the CONNECT with a status other than 200 (Status), or not in
// time, or could not be reached (Err). A 5xx says the proxy could not
// reach the node (tinyproxy answers 500, squid 503), which counts as the
// node not answering: the next node is tried. A 4xx refuses this client
// (403 for a port the proxy does not allow, 407 for missing or wrong
// credentials), as it would for every node: it is returned at once, and
// never sent again by this client on its own.
type ProxyError struct {
	Proxy  string // the proxy's host:port, never its credentials
	Target string // the node's host:port
	Status int    // the proxy's answer; 0 when it gave none
	Text   string // the proxy's reason phrase
	Err    error  // why there was no answer, when Status is 0
}

func (e *ProxyError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("proxy %s refused to connect to %s: %d %s", e.Proxy, e.Target, e.Status, e.Text)
	}
	return fmt.Sprintf("proxy %s, connecting to %s: %v", e.Proxy, e.Target, e.Err)
}

func (e *ProxyError) Unwrap() error { return e.Err }

// refused tells a proxy's refusal that another node would get too.
func (e *ProxyError) refused() bool { return e.Status >= 400 && e.Status < 500 }

// proxyDialer dials hub nodes through an HTTP proxy with CONNECT.
type proxyDialer struct {
	proxy   *url.URL
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	timeout time.Duration // for the proxy's answer to the CONNECT
}

// DialContext opens a tunnel to addr through the proxy: the connection
// returned carries bytes to and from addr.
func (d *proxyDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	perr := func(err error) error { return &ProxyError{Proxy: d.proxy.Host, Target: addr, Err: err} }
	conn, err := d.dial(ctx, "tcp", d.proxy.Host)
	if err != nil {
		return nil, perr(err)
	}
	deadline := time.Now().Add(d.timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: addr},
		Host:   addr,
		Header: http.Header{},
	}
	if u := d.proxy.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	resp, err := connect(conn, req)
	if !stop() || ctx.Err() != nil {
		conn.Close()
		return nil, perr(ctx.Err())
	}
	if err != nil {
		conn.Close()
		return nil, perr(err)
	}
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, &ProxyError{Proxy: d.proxy.Host, Target: addr, Status: resp.StatusCode, Text: http.StatusText(resp.StatusCode)}
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// connect sends the CONNECT request and reads the proxy's answer, leaving
// its body (of a refusal) unread: the connection is closed then. Nothing
// follows a 200 before the client speaks (TLS's client speaks first), so
// nothing is lost in the reader's buffer.
func connect(conn net.Conn, req *http.Request) (*http.Response, error) {
	if err := req.Write(conn); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK && br.Buffered() > 0 {
		return nil, errors.New("the proxy sent bytes after its answer")
	}
	return resp, nil
}
