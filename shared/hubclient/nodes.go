package hubclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/quic-go/quic-go"

	"lienthong/certs"
)

// ErrNoAddress is a hub address list with nothing in it.
var ErrNoAddress = errors.New("no hub address")

// AddrError is an address of a list that is not "host:port".
type AddrError struct {
	Addr string // the address as given
	Err  error
}

func (e *AddrError) Error() string { return fmt.Sprintf("hub address %q: %v", e.Addr, e.Err) }
func (e *AddrError) Unwrap() error { return e.Err }

// ParseAddrs splits a hub address list, "host:port" or
// "host1:port1,host2:port2", and checks each address (an *AddrError);
// blanks around the commas are ignored, and so is an address given twice.
// A list with nothing in it is ErrNoAddress.
func ParseAddrs(list string) ([]string, error) {
	var addrs []string
	for a := range strings.SplitSeq(list, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			return nil, &AddrError{Addr: a, Err: err}
		}
		if host == "" || port == "" || strings.ContainsAny(host, " \t/") {
			return nil, &AddrError{Addr: a, Err: errors.New("want host:port")}
		}
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			return nil, &AddrError{Addr: a, Err: errors.New("the port is not a number from 1 to 65535")}
		}
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, ErrNoAddress
	}
	return addrs, nil
}

// A node is one machine of the hub: an address given, or one of the IP
// addresses a name given resolves to. It has its own connections.
type node struct {
	addr string // host:port dialled, an IP address once resolved
	base string // https://addr
	http *http.Client
	rt   *fallback
}

// nodes is the client's list of hub nodes and the one it uses: the last
// that answered. A name is resolved when the list is first needed and
// again after every node failed, so that a change in DNS is seen.
type nodes struct {
	addrs      []string // as configured
	serverName string   // Options.ServerName: "" checks each address's host
	lookup     func(ctx context.Context, host string) ([]string, error)
	proxy      ProxyFunc
	transport  func(serverName string, proxy *url.URL) *fallback

	mu     sync.Mutex
	list   []*node          // nil: resolve again
	cur    int              // index in list of the node to try first
	pool   map[string]*node // by address and server name, across resolutions
	closed bool
}

// get returns the nodes to try, in order, the preferred first.
func (ns *nodes) get(ctx context.Context) ([]*node, error) {
	ns.mu.Lock()
	list, cur := ns.list, ns.cur
	ns.mu.Unlock()
	if list == nil {
		var err error
		if list, err = ns.resolve(ctx); err != nil {
			return nil, err
		}
		ns.mu.Lock()
		if ns.closed {
			ns.mu.Unlock()
			return nil, net.ErrClosed
		}
		if ns.list == nil {
			ns.list, ns.cur = list, 0
		}
		list, cur = ns.list, ns.cur
		ns.mu.Unlock()
	}
	order := make([]*node, 0, len(list))
	order = append(order, list[cur:]...)
	return append(order, list[:cur]...), nil
}

// resolve expands each configured name into its IP addresses, IPv4
// first (as the transports themselves would pick); a name that does not
// resolve is kept as it is, for the transport to report why it cannot be
// reached, and so is a name reached through a proxy, which resolves it.
func (ns *nodes) resolve(ctx context.Context) ([]*node, error) {
	var list []*node
	seen := map[string]bool{}
	for _, a := range ns.addrs {
		host, port, _ := net.SplitHostPort(a) // checked by ParseAddrs
		name := ns.serverName
		if name == "" {
			name = host
		}
		proxy, err := ns.proxy(&url.URL{Scheme: "https", Host: a})
		if err != nil {
			// Not err itself: it may quote a URL with a password.
			return nil, &ProxyURLError{Err: errors.New("the proxy setting (or HTTPS_PROXY) is not an HTTP proxy's URL")}
		}
		if proxy, err = checkProxy(proxy); err != nil {
			return nil, err
		}
		dial := []string{a}
		if net.ParseIP(host) == nil && proxy == nil {
			if ips, err := ns.lookup(ctx, host); err == nil && len(ips) > 0 {
				slices.SortStableFunc(ips, func(x, y string) int { return boolInt(isIPv6(x)) - boolInt(isIPv6(y)) })
				dial = dial[:0]
				for _, ip := range ips {
					dial = append(dial, net.JoinHostPort(ip, port))
				}
			}
		}
		for _, d := range dial {
			key := d + "\x00" + name
			if seen[key] {
				continue
			}
			seen[key] = true
			list = append(list, ns.node(d, name, proxy))
		}
	}
	return list, nil
}

func isIPv6(ip string) bool { return strings.Contains(ip, ":") }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// node returns the node dialled at addr, through proxy when not nil,
// whose certificate must name serverName, with its connections if it had
// some.
func (ns *nodes) node(addr, serverName string, proxy *url.URL) *node {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	key := addr + "\x00" + serverName
	if proxy != nil {
		key += "\x00" + proxy.String()
	}
	if n, ok := ns.pool[key]; ok {
		return n
	}
	rt := ns.transport(serverName, proxy)
	n := &node{addr: addr, base: "https://" + addr, http: &http.Client{Transport: rt}, rt: rt}
	ns.pool[key] = n
	return n
}

// answered records that n answered: it is the node to try first.
func (ns *nodes) answered(n *node) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if i := slices.Index(ns.list, n); i >= 0 {
		ns.cur = i
	}
}

// down records that n did not answer: if it was the node to try first,
// the next one is now.
func (ns *nodes) down(n *node) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if len(ns.list) > 0 && ns.list[ns.cur] == n {
		ns.cur = (ns.cur + 1) % len(ns.list)
	}
}

// allDown records that no node answered: the names are resolved again
// before the next request.
func (ns *nodes) allDown() {
	ns.mu.Lock()
	ns.list, ns.cur = nil, 0
	ns.mu.Unlock()
}

// current returns the node to try first, nil before the first request.
func (ns *nodes) current() *node {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.list == nil {
		return nil
	}
	return ns.list[ns.cur]
}

// close closes every node's connections.
func (ns *nodes) close() error {
	ns.mu.Lock()
	ns.closed = true
	pool := ns.pool
	ns.mu.Unlock()
	var errs []error
	for _, n := range pool {
		n.rt.h2.CloseIdleConnections()
		errs = append(errs, n.rt.h3.Close())
	}
	return errors.Join(errs...)
}

// exchange is one request to the hub, sent to one node after another
// until one answers.
type exchange struct {
	// retry: the request may be sent again to another node after one
	// that may have received it failed to answer, because the protocol
	// makes a repeat harmless (see the request's method).
	retry bool
	// buffer: the answer's body is read whole, up to this many bytes,
	// before send returns, so that a node dying half-way through it is
	// one more node that did not answer. 0 streams the body to the
	// caller, who reports a failure while reading it with nodeFailed.
	buffer int64
	// build makes the request for a node's base URL. A request that sends
	// more than BulkMin bytes, or whose answer is streamed (buffer 0), is
	// a bulk transfer (Options.BulkQUIC).
	build func(base string) (*http.Request, error)
}

// send sends the request to the node that answered last, and to the
// others in turn while a node does not answer (nodeDown) or answers that
// it cannot serve now (502, 503, 504), when the request is safe to send
// again (see exchange.retry, unsent). It returns the first real answer, the
// error of the last node tried, or an error that is not about the node
// (a refusal of certificates, the caller's context).
func (c *Client) send(ctx context.Context, x exchange) (*http.Response, *node, error) {
	list, err := c.nodes.get(ctx)
	if err != nil {
		return nil, nil, err
	}
	var last error
	for i, n := range list {
		if i > 0 {
			c.log.Warn("hub node did not answer; trying another", "node", list[i-1].addr, "next", n.addr, "err", last)
		}
		req, err := x.build(n.base)
		if err != nil {
			return nil, nil, err
		}
		if x.buffer == 0 || req.ContentLength > BulkMin {
			req = req.WithContext(context.WithValue(req.Context(), bulkKey{}, true)) // Options.BulkQUIC
		}
		resp, err := n.http.Do(req)
		if err != nil {
			if ctx.Err() != nil || !nodeDown(err) {
				return nil, nil, err
			}
			c.nodes.down(n)
			if !x.retry && !unsent(err) {
				return nil, nil, err
			}
			last = err
			continue
		}
		if cannotServe(resp.StatusCode) {
			err := decodeError(resp)
			resp.Body.Close()
			c.nodes.down(n)
			if !x.retry {
				return nil, nil, err
			}
			last = err
			continue
		}
		if x.buffer > 0 {
			b, err := readBody(resp, x.buffer)
			resp.Body.Close()
			if err != nil {
				if ctx.Err() != nil || !nodeDown(err) {
					return nil, nil, err
				}
				c.nodes.down(n)
				if !x.retry {
					return nil, nil, err
				}
				last = err
				continue
			}
			resp.Body = &bufferedBody{Reader: bytes.NewReader(b), data: b}
		}
		c.nodes.answered(n)
		return resp, n, nil
	}
	c.nodes.allDown()
	return nil, nil, last
}

// bufferedBody is an answer's body that send read whole
// (exchange.buffer): data is all of it.
type bufferedBody struct {
	*bytes.Reader
	data []byte
}

func (*bufferedBody) Close() error { return nil }

// readBody reads resp's body, at most limit bytes: into a buffer of its
// declared length when it has one within limit and maxSized, else as it
// comes (a length the hub declares but does not send costs no memory).
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= min(limit, maxSized) {
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

// maxSized bounds the buffer readBody sizes from a declared length.
const maxSized = 4 << 20

// nodeFailed records that n died while its answer was being read (a
// streamed body), so that the next request goes to another node.
func (c *Client) nodeFailed(n *node, err error) {
	if n != nil && err != nil && nodeDown(err) {
		c.nodes.down(n)
	}
}

// cannotServe tells the statuses by which a node (or a proxy in front of
// it) says that it cannot serve now, which another node may: the hub's
// unavailable (shutting down, overloaded) and a gateway's errors.
func cannotServe(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// nodeDown tells an error of a node that did not answer (it could not be
// reached, or its connection died: refused, reset, closed, timed out)
// from one that another node would not change: a certificate refused by
// either side (the hub's nodes share one certificate name and one PKI, and
// a node with a certificate this client refuses must be seen, not
// skipped), or a failure of the request itself.
func nodeDown(err error) bool {
	var (
		alert   tls.AlertError
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		qt      *quic.TransportError
		proxy   *ProxyError
	)
	switch {
	case errors.As(err, &proxy):
		return !proxy.refused()
	case errors.Is(err, certs.ErrRevoked), errors.Is(err, errRequestOver),
		errors.As(err, &alert), errors.As(err, &verify), errors.As(err, &unknown),
		errors.As(err, &host), errors.As(err, &invalid),
		errors.As(err, &qt) && isTLSAlert(qt):
		return false
	}
	return true
}

// unsent tells an error that proves the request never reached the node:
// it could not be dialled, or a proxy did not open a tunnel to it.
func unsent(err error) bool {
	var op *net.OpError
	var hs *quic.HandshakeTimeoutError
	var proxy *ProxyError
	return errors.As(err, &op) && op.Op == "dial" || errors.As(err, &hs) || errors.As(err, &proxy)
}
