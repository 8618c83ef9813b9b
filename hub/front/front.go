package front

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"lienthong/certs"
	"lienthong/hub/wakeup"
	"lienthong/internal/bufpool"
	"lienthong/shared/wire"
)

// Options configure a Front.
type Options struct {
	// Socket is the hub's control socket (control.SocketName in its data
	// folder).
	Socket string
	// MaxPolls bounds the long polls held at once; one more is answered
	// unavailable. 0 means DefaultMaxPolls.
	MaxPolls int
	// MaxPollsPerClient bounds those of one client certificate; 0 means
	// DefaultMaxPollsPerClient.
	MaxPollsPerClient int
	// MaxAnswer bounds an answer of the hub; 0 means DefaultMaxAnswer.
	MaxAnswer int64
	Logger    *slog.Logger
}

// Defaults of Options.
const (
	DefaultMaxPolls          = 20000
	DefaultMaxPollsPerClient = 32
	DefaultMaxAnswer         = 64 << 20
)

// Front holds long polls and answers them with the hub's answers. It is an
// http.Handler for the front's listener; Run keeps its stream of wake-ups
// connected.
type Front struct {
	opts     Options
	log      *slog.Logger
	hub      *http.Client
	wakeup   *wakeup.Set
	polls    atomic.Int64
	mu       sync.Mutex
	clients  map[[32]byte]*client // by the leaf certificate's SHA-256
	up       atomic.Bool          // the stream of wake-ups is connected
	asked    atomic.Int64         // answers asked of the hub
	drain    sync.Once
	draining chan struct{} // closed by Drain
	metrics  *metrics
}

// client is what the front knows of one client certificate.
type client struct {
	agency certs.AgencyCode // as the hub last identified it; "" until then
	polls  int
}

// New returns a Front asking the hub on opts.Socket.
func New(opts Options) (*Front, error) {
	if opts.Socket == "" {
		return nil, errors.New("front: the hub's control socket is required")
	}
	if opts.MaxPolls <= 0 {
		opts.MaxPolls = DefaultMaxPolls
	}
	if opts.MaxPollsPerClient <= 0 {
		opts.MaxPollsPerClient = DefaultMaxPollsPerClient
	}
	if opts.MaxAnswer <= 0 {
		opts.MaxAnswer = DefaultMaxAnswer
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", opts.Socket)
	}
	f := &Front{
		opts: opts, log: opts.Logger, wakeup: wakeup.New(), clients: map[[32]byte]*client{}, draining: make(chan struct{}),
		hub: &http.Client{Transport: &http.Transport{DialContext: dial, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute,
			ResponseHeaderTimeout: time.Minute}},
	}
	f.metrics = newMetrics(f)
	return f, nil
}

// Metrics is the front's registry for /metrics.
func (f *Front) Metrics() *prometheus.Registry { return f.metrics.registry }

// Drain ends the long polls held now and those to come with the hub's
// answer of the moment: the front is stopping, and their clients should
// poll again elsewhere rather than wait out the shutdown's grace.
func (f *Front) Drain() { f.drain.Do(func() { close(f.draining) }) }

// Up reports whether the stream of wake-ups is connected.
func (f *Front) Up() bool { return f.up.Load() }

// Run keeps the stream of wake-ups from the hub connected until ctx is
// done, retrying every retry while the hub does not answer.
func (f *Front) Run(ctx context.Context, retry time.Duration) {
	for ctx.Err() == nil {
		err := f.follow(ctx)
		f.up.Store(false)
		// What the hub woke while the stream was down is unknown: every
		// poll asks again (and ends if the hub does not answer).
		f.wakeup.NotifyAll()
		if ctx.Err() != nil {
			return
		}
		f.log.Warn("front: the hub's wake-ups stopped; reconnecting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
}

// follow reads the stream of wake-ups until it ends.
func (f *Front) follow(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://hub"+PathWakes, nil)
	if err != nil {
		return err
	}
	// The stream stays quiet while nothing happens: f.hub bounds only the
	// wait for its headers.
	resp, err := f.hub.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the hub answered %s", resp.Status)
	}
	f.up.Store(true)
	f.log.Info("front: following the hub's wake-ups")
	// The hub watches from before its answer: whatever it committed
	// before may have been missed by a poll registered then.
	f.wakeup.NotifyAll()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		switch line := lines.Text(); line {
		case wakeAll:
			f.wakeup.NotifyAll()
		default:
			f.wakeup.Notify(certs.AgencyCode(line))
		}
	}
	if err := lines.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

// ServeHTTP holds a long poll, or refuses what the front does not serve.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet || !slices.Contains(Paths, r.URL.Path) {
		f.refuse(w, wire.CodeNotFound, "this address holds long polls only (GET "+strings.Join(Paths, ", ")+"); send everything else to the hub")
		return
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		f.refuse(w, wire.CodeForbidden, "a client certificate is required")
		return
	}
	key := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
	cl, err := f.enter(key)
	if err != nil {
		w.Header().Set("Retry-After", "1")
		f.refuse(w, wire.CodeUnavailable, err.Error())
		return
	}
	defer f.leave(key)
	a, err := f.poll(r, cl)
	if err != nil {
		if r.Context().Err() == nil {
			f.log.Debug("front: the hub did not answer", "err", err)
			w.Header().Set("Retry-After", "1")
			f.refuse(w, wire.CodeUnavailable, "the hub does not answer the front")
		}
		return
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Retry-After"} {
		if v := a.header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	f.metrics.answers.WithLabelValues(strconv.Itoa(a.status)).Inc()
	w.WriteHeader(a.status)
	w.Write(a.buf.Bytes())
	a.release()
}

// enter counts a poll of the client certificate key, within the caps.
func (f *Front) enter(key [32]byte) (*client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cl := f.clients[key]
	switch {
	case f.polls.Load() >= int64(f.opts.MaxPolls):
		return nil, fmt.Errorf("the front holds %d long polls already", f.opts.MaxPolls)
	case cl != nil && cl.polls >= f.opts.MaxPollsPerClient:
		return nil, fmt.Errorf("this certificate has %d long polls here already", f.opts.MaxPollsPerClient)
	}
	if cl == nil {
		f.forget()
		cl = &client{}
		f.clients[key] = cl
	}
	cl.polls++
	f.polls.Add(1)
	return cl, nil
}

// leave ends a poll of the client certificate key. What the front knows
// of the certificate stays: its client polls again at once, and the
// agency it stands for spares its next poll a second ask.
func (f *Front) leave(key [32]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls.Add(-1)
	if cl := f.clients[key]; cl != nil {
		cl.polls--
	}
}

// forget drops the certificates without a poll once the front knows more
// than twice as many as it may hold polls. Called with mu held.
func (f *Front) forget() {
	if len(f.clients) < 2*f.opts.MaxPolls {
		return
	}
	for key, cl := range f.clients {
		if cl.polls == 0 {
			delete(f.clients, key)
		}
	}
}

// Polls is how many long polls the front holds.
func (f *Front) Polls() int { return int(f.polls.Load()) }

// Asked is how many answers the front has asked of the hub.
func (f *Front) Asked() int64 { return f.asked.Load() }

// answer is one answer of the hub.
type answer struct {
	status int
	header http.Header
	buf    *bytes.Buffer // from answers, until release
	found  bool          // it ends the poll (endsPoll)
}

// answers are the buffers of the hub's answers, kept while they are at
// most 2 MiB (an inbox page with its inline attachments).
var answers = &bufpool.Pool{Max: 2 << 20}

// release gives the answer's buffer back; it is not to be used after.
func (a *answer) release() {
	if a != nil && a.buf != nil {
		answers.Put(a.buf)
		a.buf = nil
	}
}

// maxEmpty is more than an answer without items takes: two cursors and
// the JSON around them.
const maxEmpty = 512

// endsPoll reports whether an answer of the hub ends the poll: an error,
// or something in it.
func endsPoll(status int, body []byte) bool {
	if status != http.StatusOK || len(body) > maxEmpty {
		return true
	}
	var page struct {
		Items    []json.RawMessage                 `json:"items"`
		Inbox    struct{ Items []json.RawMessage } `json:"inbox"`
		Statuses struct{ Items []json.RawMessage } `json:"statuses"`
	}
	if json.Unmarshal(body, &page) != nil {
		return true // the client reads it as it is
	}
	return len(page.Items)+len(page.Inbox.Items)+len(page.Statuses.Items) > 0
}

// poll asks the hub until its answer has something, the client's wait is
// over, the stream of wake-ups drops, or the client goes away.
func (f *Front) poll(r *http.Request, cl *client) (*answer, error) {
	ctx := r.Context()
	wait, ok := wire.ParseWait(r.URL.Query().Get("wait")) // !ok: the hub refuses it, and answers why
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		agency := cl.agency
		f.mu.Unlock()
		var woken <-chan struct{}
		if agency != "" {
			woken = f.wakeup.Wait(agency)
		}
		a, err := f.ask(ctx, r)
		if err != nil {
			return nil, err
		}
		if got := certs.AgencyCode(a.header.Get(HeaderAgency)); got != agency && got != "" {
			// Registered now under the agency the hub named: ask again,
			// so that nothing committed before is missed.
			f.mu.Lock()
			cl.agency = got
			f.mu.Unlock()
			if !a.found && ok && wait > 0 {
				a.release()
				continue
			}
		}
		if !ok || wait == 0 || a.found || woken == nil {
			return a, nil
		}
		a.release()
		select {
		case <-woken:
		case <-deadline.C:
			return f.ask(ctx, r)
		case <-f.draining:
			return f.ask(ctx, r)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// ask forwards the request to the hub, with the client's certificates and
// no wait, on a goroutine of its own: the HTTP client and the JSON decoder
// grow a goroutine's stack to tens of kilobytes, which the poll's, waiting
// most of its life, would otherwise keep (ten thousand times over).
func (f *Front) ask(ctx context.Context, r *http.Request) (*answer, error) {
	type result struct {
		a   *answer
		err error
	}
	done := make(chan result, 1)
	go func() {
		a, err := f.askHub(ctx, r)
		done <- result{a, err}
	}()
	res := <-done
	return res.a, res.err
}

func (f *Front) askHub(ctx context.Context, r *http.Request) (*answer, error) {
	f.asked.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://hub"+PathPrefix+r.URL.Path+"?"+r.URL.RawQuery, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(HeaderChain, chainHeader(r.TLS.PeerCertificates))
	resp, err := f.hub.Do(req)
	if err != nil {
		f.metrics.asks.WithLabelValues("failed").Inc()
		return nil, err
	}
	defer resp.Body.Close()
	body := answers.Get()
	if resp.ContentLength > 0 && resp.ContentLength <= f.opts.MaxAnswer {
		body.Grow(int(resp.ContentLength))
	}
	_, err = io.Copy(body, io.LimitReader(resp.Body, f.opts.MaxAnswer+1))
	if err == nil && int64(body.Len()) > f.opts.MaxAnswer {
		err = fmt.Errorf("an answer of the hub is over %d bytes", f.opts.MaxAnswer)
	}
	if err != nil {
		answers.Put(body)
		f.metrics.asks.WithLabelValues("failed").Inc()
		return nil, err
	}
	a := &answer{status: resp.StatusCode, header: resp.Header, buf: body, found: endsPoll(resp.StatusCode, body.Bytes())}
	if a.found {
		f.metrics.asks.WithLabelValues("found").Inc()
	} else {
		f.metrics.asks.WithLabelValues("empty").Inc()
	}
	return a, nil
}

// refuse answers a wire error of the front's own.
func (f *Front) refuse(w http.ResponseWriter, code wire.Code, msg string) {
	f.metrics.answers.WithLabelValues(strconv.Itoa(code.HTTPStatus())).Inc()
	writeError(w, code, msg)
}

// writeError answers a wire error, in the API's form and with its status,
// as the hub would.
func writeError(w http.ResponseWriter, code wire.Code, msg string) {
	b, _ := json.Marshal(wire.Error{Code: code, Message: msg})
	w.Header().Set("Content-Type", wire.ContentJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code.HTTPStatus())
	w.Write(append(b, '\n'))
}
