// Package hubclient speaks the hub's API (package wire) for an agency: the
// clerk's sync engine, the load tool and other systems use it. It connects
// with HTTP/3 over QUIC and falls back by itself to HTTP/2 over TLS on TCP
// when QUIC cannot get through, trying QUIC again later. Bulk transfers,
// large uploads and downloads, go the other way by default: over TCP,
// which costs the hub and the client much less CPU per byte than QUIC,
// and over QUIC when TCP cannot get through (Options.BulkQUIC). Through an HTTP
// proxy (Options.Proxy, by default the environment's HTTPS_PROXY and
// NO_PROXY, else on Windows the user's proxy settings, proxy_system.go) it
// speaks HTTP/2 only, in a CONNECT tunnel (proxy.go).
//
// # Several hub nodes
//
// The hub may run as several interchangeable nodes (one database behind
// them). New takes a list of addresses, "host1:port1,host2:port2", and a
// name among them that resolves to several IP addresses stands for one
// node per address. The client sends to the node that answered last and,
// when that node does not answer (it cannot be reached, or its
// connection breaks, resets or times out) or answers 502, 503 or 504,
// sends the request again to the next node, a long poll included. Every
// request of this API is safe to send twice (each method says why), so
// that a request a dead node may have committed before its answer was
// lost is answered the same by the next node, never done twice. An answer
// from the hub, a refusal included (4xx, or any wire error but
// unavailable), is never sent on to another node, nor is a certificate
// refused by either side: every node must present the hub's certificate
// under the same name.
//
// The hub's certificate is checked at the handshake and again, against
// the verifier's CRLs in force, on every answer: an answer over a
// connection to a hub revoked since is refused (certs.ErrRevoked).
//
// Errors the hub answered come back as *wire.Error that also match this
// package's sentinel of their code (errors.go): use errors.Is(err,
// ErrWithdrawn), or wire.CodeOf and Code.Retryable, to decide what to do.
package hubclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	"golang.org/x/mod/sumdb/tlog"

	"lienthong/certs"
	"lienthong/shared/auditlog"
	"lienthong/shared/wire"
)

// Options tune a Client; the zero value is sensible.
type Options struct {
	// ServerName is the name in the hub's certificate, checked on every
	// node; empty means the host part of each address.
	ServerName string
	// DisableQUIC forces TCP, for networks known to block UDP.
	DisableQUIC bool
	// QUICHandshakeTimeout is how long to wait for QUIC before falling back
	// to TCP; 0 means 3 s.
	QUICHandshakeTimeout time.Duration
	// RetryQUICAfter is how long to stay on TCP after QUIC failed; 0 means
	// 5 minutes.
	RetryQUICAfter time.Duration
	// DeadAfter is how long a connection may go without a packet from its
	// node before the node counts as dead and the request in progress, a
	// long poll say, goes to another node: the client pings a quiet
	// connection after a third of it. 0 means 15 s. A node whose process
	// died is known sooner, at the next packet: its machine refuses it.
	DeadAfter time.Duration
	// Proxy picks the HTTP proxy through which each configured hub address
	// is reached (proxy.go); nil means ProxyFromEnvironment, NoProxy none.
	// A node behind a proxy is reached over TCP only, by the address as
	// configured: the proxy resolves its name.
	Proxy ProxyFunc
	// ProxyTimeout bounds the wait for a proxy's answer to a CONNECT; 0
	// means 15 s.
	ProxyTimeout time.Duration
	// LookupHost resolves the names of hub addresses; nil means
	// net.DefaultResolver. Tests and systems with their own discovery set
	// it.
	LookupHost func(ctx context.Context, host string) ([]string, error)
	Logger     *slog.Logger
	// PollAddr, when set, is where the client holds its long polls
	// (Inbox, Statuses, Updates and their edXML forms with a wait): a
	// long-poll front beside the hub (lienthong-hub front), an address or
	// a list as for New. The polls go there over TCP (HTTP/2) unless
	// PollQUIC: an idle connection costs its holder half the CPU and less
	// memory on TCP (docs/PERFORMANCE.md), and a long poll gains nothing
	// from QUIC. When the front does not answer, or answers unavailable
	// or not_found, the poll goes to the hub instead, and polls stay
	// there for PollRetryAfter (0: a minute) before the front is tried
	// again.
	PollAddr       string
	PollQUIC       bool
	PollRetryAfter time.Duration
	// BulkQUIC sends bulk transfers over QUIC as well: by default they go
	// over TCP (HTTP/2), where a gigabyte costs the hub about 40 % less CPU
	// than on QUIC and the client two thirds less (docs/PERFORMANCE.md). A transfer is bulk when it sends more than
	// BulkMin bytes or streams its answer to the caller (Download,
	// EdXMLMessage). When TCP cannot get through, bulk transfers go over
	// QUIC, and stay there for RetryQUICAfter before TCP is tried again.
	BulkQUIC bool
}

// BulkMin is the size above which a request's body makes it a bulk
// transfer (Options.BulkQUIC): the hub's max_inline default, the largest
// file a packet carries with it.
const BulkMin = 256 << 10

// Client is an agency's connection to the hub. It is safe for concurrent
// use.
type Client struct {
	nodes  *nodes
	log    *slog.Logger
	closed atomic.Bool
	// polls holds the long polls (Options.PollAddr); nil: nodes does.
	// pollsDownUntil is when to try it again after it failed (Unix ns).
	polls          *Client
	pollRetry      time.Duration
	pollsDownUntil atomic.Int64
}

// New prepares a client of the hub at addr, "host:port" or a list of
// nodes "host1:port1,host2:port2" (see ParseAddrs), that authenticates
// with kp and trusts the hub's certificate through v. Names are resolved
// at the first request.
func New(addr string, kp *certs.KeyPair, v *certs.Verifier, opts Options) (*Client, error) {
	addrs, err := ParseAddrs(addr)
	if err != nil {
		return nil, err
	}
	var polls *Client
	if opts.PollAddr != "" {
		po := opts
		po.PollAddr, po.DisableQUIC = "", opts.DisableQUIC || !opts.PollQUIC
		if polls, err = New(opts.PollAddr, kp, v, po); err != nil {
			return nil, fmt.Errorf("poll address: %w", err)
		}
	}
	if opts.PollRetryAfter <= 0 {
		opts.PollRetryAfter = time.Minute
	}
	if opts.QUICHandshakeTimeout == 0 {
		opts.QUICHandshakeTimeout = 3 * time.Second
	}
	if opts.RetryQUICAfter == 0 {
		opts.RetryQUICAfter = 5 * time.Minute
	}
	if opts.DeadAfter == 0 {
		opts.DeadAfter = 15 * time.Second
	}
	if opts.Proxy == nil {
		opts.Proxy = ProxyFromEnvironment()
	}
	if opts.ProxyTimeout == 0 {
		opts.ProxyTimeout = 15 * time.Second
	}
	if opts.LookupHost == nil {
		opts.LookupHost = net.DefaultResolver.LookupHost
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	transport := func(serverName string, proxy *url.URL) *fallback {
		tlsConf := certs.ClientTLS(kp, v, serverName)
		h2TLS := tlsConf.Clone()
		h2TLS.NextProtos = []string{"h2"}
		dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		dial := dialer.DialContext
		if proxy != nil {
			dial = (&proxyDialer{proxy: proxy, dial: dialer.DialContext, timeout: opts.ProxyTimeout}).DialContext
		}
		return &fallback{
			h3: &http3.Transport{
				Dial:            dialQUIC,
				TLSClientConfig: tlsConf.Clone(),
				QUICConfig: &quic.Config{
					HandshakeIdleTimeout: opts.QUICHandshakeTimeout,
					MaxIdleTimeout:       opts.DeadAfter,
					KeepAlivePeriod:      opts.DeadAfter / 3,
				},
			},
			h2: &http.Transport{
				TLSClientConfig:     h2TLS,
				ForceAttemptHTTP2:   true,
				TLSHandshakeTimeout: 10 * time.Second,
				IdleConnTimeout:     120 * time.Second,
				DialContext:         dial,
				HTTP2:               &http.HTTP2Config{SendPingTimeout: opts.DeadAfter / 3, PingTimeout: opts.DeadAfter * 2 / 3},
			},
			noQUIC:    opts.DisableQUIC || proxy != nil,
			bulkOnTCP: !opts.BulkQUIC,
			retryFor:  opts.RetryQUICAfter,
			verifier:  v,
			log:       opts.Logger,
		}
	}
	return &Client{
		nodes: &nodes{addrs: addrs, serverName: opts.ServerName, lookup: opts.LookupHost, proxy: opts.Proxy, transport: transport, pool: map[string]*node{}},
		log:   opts.Logger, polls: polls, pollRetry: opts.PollRetryAfter,
	}, nil
}

// Transport names the transport of the last request, bulk transfers
// aside, to the node in use: "h3" or "h2", or "" before the first.
func (c *Client) Transport() string { return c.lastTransport(false) }

// BulkTransport names the transport of the last bulk transfer to the
// node in use (Options.BulkQUIC), as Transport does.
func (c *Client) BulkTransport() string { return c.lastTransport(true) }

func (c *Client) lastTransport(bulk bool) string {
	n := c.nodes.current()
	if n == nil {
		return ""
	}
	s, _ := n.rt.lastOf(bulk).Load().(string)
	return s
}

// Node returns the address of the node in use: the one that answered
// last, or the next to try after it failed; "" before the first request.
func (c *Client) Node() string {
	if n := c.nodes.current(); n != nil {
		return n.addr
	}
	return ""
}

// Close closes the connections.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.polls != nil {
		c.polls.Close()
	}
	return c.nodes.close()
}

// PollTransport names the transport of the last long poll at the poll
// address, as Transport does; "" without one, or before the first.
func (c *Client) PollTransport() string {
	if c.polls == nil {
		return ""
	}
	return c.polls.Transport()
}

// poll GETs a long poll's path: at the poll address when there is one and
// it answers, else at the hub.
func (c *Client) poll(ctx context.Context, path string, q url.Values, wait time.Duration, out any) error {
	if c.polls == nil || wait <= 0 || time.Now().UnixNano() < c.pollsDownUntil.Load() {
		return c.do(ctx, repeatable, http.MethodGet, path, q, nil, "", out)
	}
	err := c.polls.do(ctx, repeatable, http.MethodGet, path, q, nil, "", out)
	if err == nil || ctx.Err() != nil || !frontFailed(err) {
		return err
	}
	c.pollsDownUntil.Store(time.Now().Add(c.pollRetry).UnixNano())
	c.log.Warn("the long-poll front did not answer; polling the hub", "retry_in", c.pollRetry.String(), "err", err)
	return c.do(ctx, repeatable, http.MethodGet, path, q, nil, "", out)
}

// frontFailed reports whether a long poll's error is the front's: it did
// not answer, cannot serve now, or does not serve the path. Any other
// answer is the hub's, through the front.
func frontFailed(err error) bool {
	var we *wire.Error
	if !errors.As(err, &we) {
		return true
	}
	return we.Code == wire.CodeUnavailable || we.Code == wire.CodeNotFound
}

// fallback sends a request over HTTP/3 and, when QUIC does not get through,
// over HTTP/2 on TCP, staying there for a while before trying QUIC again.
// Bulk transfers (bulkOnTCP) go the other way: over TCP first, over QUIC
// while TCP does not get through.
type fallback struct {
	h3        *http3.Transport
	h2        *http.Transport
	noQUIC    bool
	bulkOnTCP bool
	retryFor  time.Duration
	log       *slog.Logger
	verifier  *certs.Verifier

	mu        sync.Mutex
	tcpUntil  time.Time    // QUIC failed: everything over TCP until then
	bulkUntil time.Time    // TCP failed: bulk transfers over QUIC until then
	last      atomic.Value // "h3" or "h2", of the last request not bulk
	lastBulk  atomic.Value // the same, of the last bulk transfer
}

// bulkKey marks the context of a bulk transfer's request (see
// exchange.build).
type bulkKey struct{}

// RoundTrip sends req, and refuses the answer of a hub whose certificate
// the verifier's CRLs revoke now: a connection outlives its handshake, and
// the lists may have changed since (the hub checks its clients the same
// way).
func (f *fallback) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := f.roundTrip(req)
	if err != nil {
		return nil, err
	}
	if err := f.checkHub(resp.TLS); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp, nil
}

// checkHub checks the hub's verified chain against the CRLs in force.
func (f *fallback) checkHub(cs *tls.ConnectionState) error {
	if cs == nil || len(cs.VerifiedChains) == 0 {
		return errors.New("the hub's answer came without a verified certificate chain")
	}
	chain := cs.VerifiedChains[0]
	for i := 0; i+1 < len(chain); i++ {
		if status, _ := f.verifier.Revocation(chain[i], chain[i+1]); status == certs.RevocationRevoked {
			return fmt.Errorf("hub certificate %q: %w", chain[i].Subject.CommonName, certs.ErrRevoked)
		}
	}
	return nil
}

func (f *fallback) roundTrip(req *http.Request) (*http.Response, error) {
	bulk := req.Context().Value(bulkKey{}) != nil
	f.mu.Lock()
	now := time.Now()
	tcpOnly := f.noQUIC || now.Before(f.tcpUntil)
	tcpFirst := bulk && f.bulkOnTCP && !now.Before(f.bulkUntil)
	f.mu.Unlock()
	switch {
	case tcpOnly:
		return f.via(req, bulk, "h2")
	case tcpFirst:
		resp, err := f.via(req, bulk, "h2")
		if err == nil || req.Context().Err() != nil || !tcpUnreachable(err) {
			return resp, err
		}
		if req, err = rewound(req, err); err != nil {
			return nil, err
		}
		f.mu.Lock()
		f.bulkUntil = time.Now().Add(f.retryFor)
		f.mu.Unlock()
		f.log.Warn("TCP unreachable, sending bulk transfers over QUIC", "err", err, "retry_tcp_in", f.retryFor)
		return f.via(req, bulk, "h3")
	default:
		resp, err := f.via(req, bulk, "h3")
		if err == nil || req.Context().Err() != nil || !quicUnreachable(err) {
			return resp, err
		}
		if req, err = rewound(req, err); err != nil {
			return nil, err
		}
		f.mu.Lock()
		f.tcpUntil = time.Now().Add(f.retryFor)
		f.mu.Unlock()
		f.log.Warn("QUIC unreachable, falling back to TCP", "err", err, "retry_quic_in", f.retryFor)
		return f.via(req, bulk, "h2")
	}
}

// via sends req over HTTP/3 ("h3") or HTTP/2 ("h2") and, when it was
// answered, records the transport (fallback.last, lastBulk).
func (f *fallback) via(req *http.Request, bulk bool, proto string) (*http.Response, error) {
	var rt http.RoundTripper = f.h3
	if proto == "h2" {
		rt = f.h2
	}
	resp, err := rt.RoundTrip(req)
	if err == nil {
		f.lastOf(bulk).Store(proto)
	}
	return resp, err
}

// lastOf is the record of the transport of the last bulk transfer, or of
// the last other request.
func (f *fallback) lastOf(bulk bool) *atomic.Value {
	if bulk {
		return &f.lastBulk
	}
	return &f.last
}

// rewound returns req ready to be sent again after a transport failed
// with err before answering, its body read again from the start; or err
// when its body cannot be.
func rewound(req *http.Request, err error) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, err
	}
	body, gerr := req.GetBody()
	if gerr != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.Body = body
	return req, nil
}

// tcpUnreachable tells a TCP connection that could not be made from any
// other error: the hub's address refused or unreachable over TCP, while
// QUIC may get through.
func tcpUnreachable(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// quicUnreachable tells a QUIC connection that could not be made (or
// died) from an error the hub answered.
func quicUnreachable(err error) bool {
	var idle *quic.IdleTimeoutError
	var hs *quic.HandshakeTimeoutError
	var op *net.OpError
	var tErr *quic.TransportError
	var app *quic.ApplicationError
	if errors.Is(err, certs.ErrRefusedByServer) {
		// Our own handshake stopped: TCP would stop it the same way.
		return false
	}
	return errors.As(err, &idle) || errors.As(err, &hs) || errors.As(err, &op) ||
		(errors.As(err, &tErr) && !tErr.Remote && !isTLSAlert(tErr)) ||
		(errors.As(err, &app) && !app.Remote) || errors.Is(err, net.ErrClosed)
}

// isTLSAlert reports a handshake refused by TLS (a bad certificate): that
// is an answer, not an unreachable network, and TCP would not do better.
func isTLSAlert(e *quic.TransportError) bool {
	return e.ErrorCode >= 0x100 && e.ErrorCode < 0x200
}

// repeatable marks a request that may go to another node after one that
// may have received it died before answering (exchange.retry). Every
// request of the API is: reads change nothing, and each write names what
// it writes (a message ID, a packet, an offset, a cursor) so that the hub
// answers a repeat as it answered the first. A request added that is not
// passes false.
const repeatable = true

// maxJSON bounds a JSON answer.
const maxJSON = 64 << 20

// do sends a request and decodes a JSON answer into out (when not nil).
// retry says whether the request may go to another node after one that
// may have received it failed to answer (see exchange.retry).
func (c *Client) do(ctx context.Context, retry bool, method, path string, query url.Values, body []byte, contentType string, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	return c.doReader(ctx, retry, method, path, query, rd, contentType, nil, out)
}

// doReader is do with the body read from rd: a *bytes.Reader, or an
// *io.SectionReader, which is sent without being copied into memory first
// (and read again from its start if the request must be resent), and is
// not read once doReader has returned (see lentReaderAt). hdr, when not
// nil, is added to the request's headers.
func (c *Client) doReader(ctx context.Context, retry bool, method, path string, query url.Values, rd io.Reader, contentType string, hdr http.Header, out any) error {
	u := path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var lent *lentReaderAt
	if sr, ok := rd.(*io.SectionReader); ok {
		ra, _, _ := sr.Outer()
		lent = &lentReaderAt{ra: ra}
		defer lent.end()
	}
	resp, _, err := c.send(ctx, exchange{retry: retry, buffer: maxJSON, build: func(base string) (*http.Request, error) {
		var body io.Reader
		switch r := rd.(type) {
		case *bytes.Reader:
			body = io.NewSectionReader(r, 0, r.Size()) // each node reads it from the start
		case *io.SectionReader:
			_, off, n := r.Outer()
			body = io.NewSectionReader(lent, off, n)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+u, body)
		if err != nil {
			return nil, err
		}
		if sr, ok := body.(*io.SectionReader); ok {
			req.ContentLength = sr.Size()
			req.GetBody = func() (io.ReadCloser, error) {
				return io.NopCloser(io.NewSectionReader(sr, 0, sr.Size())), nil
			}
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		return req, nil
	}})
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	if out == nil {
		return nil
	}
	// send read the answer whole (exchange.buffer): decode it in place.
	if err := json.Unmarshal(resp.Body.(*bufferedBody).data, out); err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return nil
}

// get fetches path and returns the answer's body, at most limit bytes.
func (c *Client) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	resp, _, err := c.send(ctx, exchange{retry: true, buffer: limit, build: func(base string) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	}})
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, decodeError(resp)
	}
	return resp.Body.(*bufferedBody).data, nil
}

func decodeError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e wire.Error
	if json.Unmarshal(b, &e) == nil && e.Code != "" {
		return hubError(&e)
	}
	return hubError(&wire.Error{Code: wire.CodeForStatus(resp.StatusCode), Message: strings.TrimSpace(resp.Status + " " + string(b))})
}

// Hello asks the hub who it thinks this agency is.
func (c *Client) Hello(ctx context.Context) (*wire.Hello, error) {
	var h wire.Hello
	return &h, c.do(ctx, repeatable, http.MethodGet, wire.PathHello, nil, nil, "", &h)
}

func pathOf(pattern string, kv ...string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		pattern = strings.Replace(pattern, "{"+kv[i]+"}", url.PathEscape(kv[i+1]), 1)
	}
	return pattern
}

// Upload sends an attachment of size bytes read from r, resuming from what
// the hub already holds; it returns when the hub has committed it. Each
// request is safe to repeat: the upload is known by its digest and each
// chunk by its offset, and a chunk the hub already holds is answered
// offset_mismatch with the offset to go on from. chunk
// bounds each request (0: wire.WholeUpload, which the hub stores in one
// go), so that an interrupted upload loses at most one chunk. progress,
// when not nil, is called after each chunk.
func (c *Client) Upload(ctx context.Context, digest string, r io.ReaderAt, size int64, chunk int64, progress func(done, total int64)) error {
	if chunk <= 0 {
		chunk = wire.WholeUpload
	}
	q := url.Values{"size": {strconv.FormatInt(size, 10)}}
	path := pathOf(wire.PathUpload, "sha256", digest)
	var st wire.UploadState
	// A file that fits in one chunk goes at offset 0 at once, saving the
	// round trip that asks where to start: if the hub holds part of it
	// already, it answers offset_mismatch with the offset, handled below.
	if size > chunk {
		if err := c.do(ctx, repeatable, http.MethodPost, path, q, nil, "", &st); err != nil {
			return err
		}
	}
	for !st.Done {
		n := min(chunk, size-st.Offset)
		q.Set("offset", strconv.FormatInt(st.Offset, 10))
		err := c.doReader(ctx, repeatable, http.MethodPatch, path, q, io.NewSectionReader(r, st.Offset, n), wire.ContentBytes, nil, &st)
		var we *wire.Error
		if errors.As(err, &we) && we.Code == wire.CodeOffset {
			st.Offset = we.Offset // the hub holds more or less than we thought: resume there
			continue
		}
		if err != nil {
			return err
		}
		if progress != nil {
			progress(st.Offset, size)
		}
	}
	return nil
}

// Submit sends a signed document packet. Sending it again, to another
// node too, is safe: the hub knows the packet by its message ID and
// answers a repeat with the first answer (Existed), the same receipt.
func (c *Client) Submit(ctx context.Context, packet []byte) (*wire.Submitted, error) {
	var s wire.Submitted
	return &s, c.do(ctx, repeatable, http.MethodPost, wire.PathMessages, nil, packet, wire.ContentPacket, &s)
}

// InlineFile is an attachment sent with its packet (SubmitInline).
type InlineFile struct {
	SHA256 string // as the packet names it
	Data   []byte
}

// SubmitInline sends a signed document packet with the bytes of some of
// its attachments in the same request (multipart/form-data), instead of
// uploading them first: at most Hello.MaxInline bytes in all; the packet's
// other attachments must have been uploaded. Sending it again is as safe
// as Submit's.
func (c *Client) SubmitInline(ctx context.Context, packet []byte, files []InlineFile) (*wire.Submitted, error) {
	body, contentType, err := submissionForm(packet, files)
	if err != nil {
		return nil, err
	}
	var s wire.Submitted
	return &s, c.do(ctx, repeatable, http.MethodPost, wire.PathMessages, nil, body, contentType, &s)
}

// submissionForm is the multipart/form-data body of SubmitInline, and its
// content type.
func submissionForm(packet []byte, files []InlineFile) ([]byte, string, error) {
	size := len(packet) + 512
	for _, f := range files {
		size += len(f.Data) + 256
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	mw := multipart.NewWriter(buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+wire.PartPacket+`"`)
	h.Set("Content-Type", wire.ContentPacket)
	pw, err := mw.CreatePart(h)
	if err == nil {
		_, err = pw.Write(packet)
	}
	for _, f := range files {
		if err != nil {
			break
		}
		var fw io.Writer
		if fw, err = mw.CreateFormFile(wire.PartAttachment, f.SHA256); err == nil {
			_, err = fw.Write(f.Data)
		}
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return nil, "", fmt.Errorf("submission form: %w", err)
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// Inbox lists documents queued to this agency after cursor, waiting up to
// wait for one to arrive. It asks for small documents' attachments in
// their items (wire.InboxItem.Inline), which a hub before 2026-12-06
// leaves out: download what an item does not carry.
func (c *Client) Inbox(ctx context.Context, after uint64, wait time.Duration) (*wire.Inbox, error) {
	var in wire.Inbox
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "wait": {strconv.Itoa(int(wait / time.Second))}, wire.QueryInline: {"1"}}
	return &in, c.poll(ctx, wire.PathInbox, q, wait, &in)
}

// Updates long-polls the inbox after inboxAfter and the statuses about
// the agency's documents after statusesAfter at once (wire.Updates): one
// request waits where Inbox and Statuses would hold two. Its inbox part
// carries small attachments as Inbox's does.
func (c *Client) Updates(ctx context.Context, inboxAfter, statusesAfter uint64, wait time.Duration) (*wire.Updates, error) {
	var u wire.Updates
	q := url.Values{"inbox_after": {strconv.FormatUint(inboxAfter, 10)}, "statuses_after": {strconv.FormatUint(statusesAfter, 10)},
		"wait": {strconv.Itoa(int(wait / time.Second))}, wire.QueryInline: {"1"}}
	return &u, c.poll(ctx, wire.PathUpdates, q, wait, &u)
}

// Message fetches a message's signed packet.
func (c *Client) Message(ctx context.Context, id string) ([]byte, error) {
	return c.get(ctx, pathOf(wire.PathMessage, "id", id), 4<<20)
}

// Download writes an attachment into w from offset on (a resumed download
// passes the length it already has) and returns the bytes written. A node
// that dies before the bytes begin is replaced by another; one that dies
// while they stream ends the download with what was written, and the
// resumed download goes to another node.
func (c *Client) Download(ctx context.Context, id, digest string, offset int64, w io.Writer) (int64, error) {
	resp, n, err := c.send(ctx, exchange{retry: repeatable, build: func(base string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+pathOf(wire.PathAttachment, "id", id, "sha256", digest), nil)
		if err == nil && offset > 0 {
			req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
		}
		return req, err
	}})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK && offset > 0:
		return 0, fmt.Errorf("download %s: the hub ignored the range request", digest)
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent:
		return 0, decodeError(resp)
	}
	written, err := io.Copy(w, resp.Body)
	if err != nil && ctx.Err() == nil {
		c.nodeFailed(n, err)
	}
	return written, err
}

// Ack tells the hub this agency has stored the message; the answer holds
// the hub's "delivered" receipt. A repeat answers the first
// acknowledgement's receipt.
func (c *Client) Ack(ctx context.Context, id string) (*wire.Acked, error) {
	var a wire.Acked
	return &a, c.do(ctx, repeatable, http.MethodPost, pathOf(wire.PathAck, "id", id), nil, nil, "", &a)
}

// Refuse tells the hub this agency cannot take the message, and why; the
// answer holds the hub's "refused" receipt. A retry answers the first
// refusal.
func (c *Client) Refuse(ctx context.Context, id, reason string) (*wire.Refused, error) {
	body, err := json.Marshal(wire.Refusal{Reason: reason})
	if err != nil {
		return nil, err
	}
	var r wire.Refused
	return &r, c.do(ctx, repeatable, http.MethodPost, pathOf(wire.PathRefuse, "id", id), nil, body, wire.ContentJSON, &r)
}

// Receipts fetches the receipts of a message.
func (c *Client) Receipts(ctx context.Context, id string) ([][]byte, error) {
	var r wire.Receipts
	return r.Receipts, c.do(ctx, repeatable, http.MethodGet, pathOf(wire.PathReceipts, "id", id), nil, nil, "", &r)
}

// PostStatus sends a signed status packet. A repeat is safe: the hub
// knows a packet it stored by its bytes (Existed).
func (c *Client) PostStatus(ctx context.Context, packet []byte) (*wire.StatusAccepted, error) {
	var s wire.StatusAccepted
	return &s, c.do(ctx, repeatable, http.MethodPost, wire.PathStatuses, nil, packet, wire.ContentPacket, &s)
}

// Statuses lists statuses about this agency's documents after cursor,
// waiting up to wait for one.
func (c *Client) Statuses(ctx context.Context, after uint64, wait time.Duration) (*wire.Statuses, error) {
	var s wire.Statuses
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "wait": {strconv.Itoa(int(wait / time.Second))}}
	return &s, c.poll(ctx, wire.PathStatuses, q, wait, &s)
}

// AckStatuses removes statuses from this agency's queue; removing one
// twice is no error.
func (c *Client) AckStatuses(ctx context.Context, cursors []uint64) error {
	body, _ := json.Marshal(wire.AckStatuses{Cursors: cursors})
	return c.do(ctx, repeatable, http.MethodPost, wire.PathStatusesAck, nil, body, wire.ContentJSON, nil)
}

// Sent lists this agency's sent documents after cursor with their state at
// each recipient.
func (c *Client) Sent(ctx context.Context, after uint64) (*wire.Sent, error) {
	var s wire.Sent
	return &s, c.do(ctx, repeatable, http.MethodGet, wire.PathSent, url.Values{"after": {strconv.FormatUint(after, 10)}}, nil, "", &s)
}

// Directory fetches the agency directory.
func (c *Client) Directory(ctx context.Context) (*wire.Directory, error) {
	var d wire.Directory
	return &d, c.do(ctx, repeatable, http.MethodGet, wire.PathDirectory, nil, nil, "", &d)
}

// DirectoryHistory fetches every version of code's directory entry, each
// with the record bytes its log entry commits to (verify them: package
// audit does).
func (c *Client) DirectoryHistory(ctx context.Context, code string) (*wire.DirectoryHistory, error) {
	var h wire.DirectoryHistory
	return &h, c.do(ctx, repeatable, http.MethodGet, pathOf(wire.PathDirectoryHistory, "code", code), nil, nil, "", &h)
}

// Checkpoint fetches the hub's latest signed checkpoint.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.get(ctx, wire.PathLogCheckpoint, 64<<10)
}

func toHashes(raw [][]byte) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(raw))
	for i, h := range raw {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("proof hash %d has %d bytes", i, len(h))
		}
		copy(out[i][:], h)
	}
	return out, nil
}

// Inclusion fetches the proof that entry index is in the tree of size.
func (c *Client) Inclusion(ctx context.Context, index, size int64) (auditlog.InclusionProof, error) {
	var p wire.LogProof
	q := url.Values{"index": {strconv.FormatInt(index, 10)}, "size": {strconv.FormatInt(size, 10)}}
	if err := c.do(ctx, repeatable, http.MethodGet, wire.PathLogInclusion, q, nil, "", &p); err != nil {
		return auditlog.InclusionProof{}, err
	}
	hs, err := toHashes(p.Hashes)
	return auditlog.InclusionProof{Index: p.Index, Size: p.Size, Hashes: hs}, err
}

// Consistency fetches the proof that the tree of size old is a prefix of
// the tree of size n.
func (c *Client) Consistency(ctx context.Context, old, n int64) (auditlog.ConsistencyProof, error) {
	var p wire.LogProof
	q := url.Values{"old": {strconv.FormatInt(old, 10)}, "new": {strconv.FormatInt(n, 10)}}
	if err := c.do(ctx, repeatable, http.MethodGet, wire.PathLogConsistency, q, nil, "", &p); err != nil {
		return auditlog.ConsistencyProof{}, err
	}
	hs, err := toHashes(p.Hashes)
	return auditlog.ConsistencyProof{Old: p.Old, New: p.New, Hashes: hs}, err
}

// LogEntries fetches the encoded entries with index in [from, to).
func (c *Client) LogEntries(ctx context.Context, from, to int64) ([][]byte, error) {
	var e wire.LogEntries
	q := url.Values{"from": {strconv.FormatInt(from, 10)}, "to": {strconv.FormatInt(to, 10)}}
	return e.Entries, c.do(ctx, repeatable, http.MethodGet, wire.PathLogEntries, q, nil, "", &e)
}

// Stats fetches the statistics the hub publishes.
func (c *Client) Stats(ctx context.Context) (*wire.Stats, error) {
	var s wire.Stats
	return &s, c.do(ctx, repeatable, http.MethodGet, wire.PathStats, nil, nil, "", &s)
}
