package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"lienthong/certs"
	"lienthong/shared/tsa"
	"lienthong/shared/wire"
)

// BodyTimeouts bound how slowly a request body may arrive. A body is cut
// when no byte of it arrives for Idle, or when fewer than MinRate bytes
// per second arrive over a Window; the request then fails (unavailable,
// retryable) and whatever the hub held of it is released. A slow but
// steady upload from a commune's line passes: only a stall or a trickle
// is cut. A zero field takes its default.
type BodyTimeouts struct {
	Idle    time.Duration
	MinRate int64 // bytes per second
	Window  time.Duration
}

// Defaults of BodyTimeouts: 1 KiB/s is far below any working line, and a
// minute is long enough to ride out a radio link's hiccups.
const (
	DefaultBodyIdle    = 30 * time.Second
	DefaultBodyMinRate = 1 << 10
	DefaultBodyWindow  = 60 * time.Second
)

func (t BodyTimeouts) withDefaults() BodyTimeouts {
	if t.Idle <= 0 {
		t.Idle = DefaultBodyIdle
	}
	if t.MinRate <= 0 {
		t.MinRate = DefaultBodyMinRate
	}
	if t.Window <= 0 {
		t.Window = DefaultBodyWindow
	}
	return t
}

// guard wraps a request body in a bodyGuard. It works the same over
// HTTP/2 and HTTP/3: closing the body is what both servers offer to end
// a read in progress.
func (t BodyTimeouts) guard(body io.ReadCloser) *bodyGuard {
	g := &bodyGuard{body: body, t: t}
	g.done = body == http.NoBody // nothing to time or drain
	return g
}

// bodyGuard is a request body that is cut when it arrives too slowly. Its
// clock starts at the first Read, so a handler that reads no body (a long
// poll) is never cut.
type bodyGuard struct {
	body io.ReadCloser
	t    BodyTimeouts
	n    atomic.Int64

	mu       sync.Mutex
	timer    *time.Timer
	done     bool  // the body ended or the handler returned
	err      error // why the body was cut
	lastN    int64
	lastAt   time.Time // when bytes last arrived
	windowN  int64
	windowAt time.Time
}

// errSlowBody is what a cut body's reader gets.
var errSlowBody = fmt.Errorf("%w: the request body arrived too slowly", errOverloaded)

func (g *bodyGuard) Read(p []byte) (int, error) {
	g.mu.Lock()
	if g.err != nil {
		g.mu.Unlock()
		return 0, g.err
	}
	if g.timer == nil && !g.done {
		now := time.Now()
		g.lastAt, g.windowAt = now, now
		g.timer = time.AfterFunc(g.period(), g.check)
	}
	g.mu.Unlock()
	n, err := g.body.Read(p)
	g.n.Add(int64(n))
	if err != nil {
		if cut := g.failed(); cut != nil {
			return n, cut
		}
		if err == io.EOF {
			g.stop()
		}
	}
	return n, err
}

// Close closes the body.
func (g *bodyGuard) Close() error {
	g.stop()
	return g.body.Close()
}

func (g *bodyGuard) period() time.Duration { return min(g.t.Idle, g.t.Window) / 4 }

// check runs on the guard's timer: it cuts a body that stalled for Idle,
// or that brought less than MinRate over the last Window.
func (g *bodyGuard) check() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done || g.err != nil {
		return
	}
	now, n := time.Now(), g.n.Load()
	if n > g.lastN {
		g.lastN, g.lastAt = n, now
	}
	switch elapsed := now.Sub(g.windowAt); {
	case now.Sub(g.lastAt) >= g.t.Idle:
		g.cut(fmt.Errorf("%w: no byte for %s", errSlowBody, now.Sub(g.lastAt).Round(time.Millisecond)))
		return
	case elapsed >= g.t.Window:
		if got, want := n-g.windowN, int64(float64(g.t.MinRate)*elapsed.Seconds()); got < want {
			g.cut(fmt.Errorf("%w: %d bytes in %s, want at least %d bytes per second", errSlowBody, got, elapsed.Round(time.Millisecond), g.t.MinRate))
			return
		}
		g.windowN, g.windowAt = n, now
	}
	g.timer.Reset(g.period())
}

// cut ends the body: a Read in progress returns, and every later one, the
// error. Called with g.mu held.
func (g *bodyGuard) cut(err error) {
	g.err = err
	go g.body.Close() // may block on the transport; the reader needs no lock to see err
}

// maxDrain bounds what drain reads: a chunk the Go client sends whole. A
// larger unread rest is left to the transport, which resets its stream.
const maxDrain = wire.WholeUpload

// drain reads and discards what is left of the body, up to limit bytes,
// under the guard's clock: the stream then ends as the client expects.
func (g *bodyGuard) drain(limit int64) {
	g.mu.Lock()
	skip := g.done || g.err != nil
	g.mu.Unlock()
	if !skip {
		_, _ = io.CopyN(io.Discard, g, limit)
	}
}

// end cuts the body with err unless it ended already.
func (g *bodyGuard) end(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.done && g.err == nil {
		g.cut(err)
	}
}

// stop stops the clock: the body ended, or the handler returned.
func (g *bodyGuard) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.done = true
	if g.timer != nil {
		g.timer.Stop()
	}
}

// failed returns why the body was cut, nil if it was not.
func (g *bodyGuard) failed() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// activeRequests are the requests being handled, with the certificate
// chain each was made under, so that a change of the CRLs can end those of
// a revoked agency (a long poll lasts up to wire.MaxWait).
type activeRequests struct {
	mu sync.Mutex
	m  map[*activeRequest]struct{}
}

type activeRequest struct {
	agency certs.AgencyCode
	chain  []*x509.Certificate
	cancel context.CancelCauseFunc
	body   *bodyGuard
}

func newActiveRequests() *activeRequests {
	return &activeRequests{m: map[*activeRequest]struct{}{}}
}

// add registers a request; if CheckIdentities finds its certificate
// revoked, its context ends with errRevoked as cause and its body is cut
// (a handler reading the body does not watch the context). done
// unregisters it.
func (a *activeRequests) add(ctx context.Context, agency certs.AgencyCode, chain []*x509.Certificate, body *bodyGuard) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	req := &activeRequest{agency: agency, chain: chain, cancel: cancel, body: body}
	a.mu.Lock()
	a.m[req] = struct{}{}
	a.mu.Unlock()
	return ctx, func() {
		a.mu.Lock()
		delete(a.m, req)
		a.mu.Unlock()
		cancel(nil)
	}
}

// CheckIdentities ends every request in flight whose client certificate no
// longer passes the verifier: call it when the CRLs change, so that a long
// poll or an upload of an agency revoked meanwhile stops at once instead
// of at its end. It returns how many it ended. Every new request is
// checked anyway.
func (s *Server) CheckIdentities() int {
	s.active.mu.Lock()
	reqs := make([]*activeRequest, 0, len(s.active.m))
	for r := range s.active.m {
		reqs = append(reqs, r)
	}
	s.active.mu.Unlock()
	ended := 0
	for _, r := range reqs {
		if _, err := s.opts.Verifier.Agency(slices.Clone(r.chain)); err != nil {
			cause := fmt.Errorf("%w: %v", errRevoked, err)
			r.cancel(cause)
			r.body.end(cause)
			s.log.Info("request ended: certificate no longer valid", "agency", r.agency, "err", err)
			ended++
		}
	}
	return ended
}

// timestamp serves RFC 3161 behind the same wrapper as every call (an
// agency's rate, the caps, metrics); a request that is no timestamp
// query at all is answered in JSON like every other error, a query the
// service cannot grant with an RFC 3161 rejection.
func (s *Server) timestamp(w http.ResponseWriter, r *request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != tsa.ContentTypeQuery {
		return fmt.Errorf("%w: the content type must be %s", errBadRequest, tsa.ContentTypeQuery)
	}
	s.opts.Timestamp.ServeHTTP(w, r.Request)
	return nil
}

// methods the API could be called with, to tell a wrong method from an
// unknown path.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete, http.MethodHead, http.MethodOptions}

// noRoute answers a request no route takes, behind the same wrapper as
// every call (identity, rate, caps): bad_request with Allow for a known
// path called with another method, not_found otherwise.
func (s *Server) noRoute(w http.ResponseWriter, r *request) error {
	var allow []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return fmt.Errorf("%w: %s is not a method of %s", errBadRequest, r.Method, r.URL.Path)
	}
	return fmt.Errorf("%w: %s %s", errNoRoute, r.Method, r.URL.Path)
}
