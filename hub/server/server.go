// Package server is the hub's relay: the HTTP API of package wire over a
// durable store (package store). It checks every packet (signature, signer
// is the connected agency, recipients known, attachments uploaded and
// readable PDFs), stores before it acknowledges, signs receipts, and wakes
// long-polling clients when something arrives for them.
//
// The transport (HTTP/3 over QUIC, HTTP/2 over TLS on TCP) is in listen.go;
// the mapping of internal errors to wire codes is in errors.go and nowhere
// else.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// CheckAttachment inspects an uploaded attachment before a document that
// names it is accepted: it returns a report to keep with the message (the
// verification of the PDF's signatures) or an error if the file must be
// refused. The error wraps ErrNotPDF when the file is not a readable PDF.
type CheckAttachment func(ctx context.Context, r io.ReaderAt, size int64) (json.RawMessage, error)

// ErrNotPDF is what a CheckAttachment wraps for a file that is not a PDF.
var ErrNotPDF = errors.New("not a readable PDF")

// Options configure a Server.
type Options struct {
	Store    store.Store
	Verifier *certs.Verifier // trusted roots and CRLs for packets
	Identity *certs.KeyPair  // the hub's key and certificate, which sign receipts
	Logger   *slog.Logger
	// MaxAttachment bounds one attachment; 0 means 100 MB. Limits and
	// AgencyLimits may set it per agency.
	MaxAttachment int64
	// Limits apply to every agency; AgencyLimits override them for some.
	Limits       Limits
	AgencyLimits map[certs.AgencyCode]Limits
	// CheckAttachment checks each attachment; nil accepts any bytes.
	CheckAttachment CheckAttachment
	// Timestamp, when set, serves RFC 3161 at wire.PathTimestamp.
	Timestamp http.Handler
	// LogSigner signs checkpoints of the transparency log named LogOrigin;
	// without it the log is kept but no checkpoint is served.
	LogSigner note.Signer
	LogOrigin string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the hub's request handler.
type Server struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	wakeup  *notifier
	metrics *metrics
	limits  *limiter
	signing sync.Mutex
}

// New returns a Server over opts.Store.
func New(opts Options) (*Server, error) {
	if opts.Store == nil || opts.Verifier == nil || opts.Identity == nil {
		return nil, errors.New("hub server: store, verifier and identity are required")
	}
	if opts.MaxAttachment <= 0 {
		opts.MaxAttachment = envelope.DefaultMaxAttachment
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Limits.MaxAttachment <= 0 {
		opts.Limits.MaxAttachment = opts.MaxAttachment
	}
	s := &Server{
		opts: opts, log: opts.Logger, mux: http.NewServeMux(), wakeup: newNotifier(), metrics: newMetrics(),
		limits: newLimiter(opts.Limits, opts.AgencyLimits),
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.handle("GET "+wire.PathHello, s.hello)
	s.handle("POST "+wire.PathUpload, s.beginUpload)
	s.handle("PATCH "+wire.PathUpload, s.appendUpload)
	s.handle("POST "+wire.PathMessages, s.submit)
	s.handle("GET "+wire.PathMessage, s.message)
	s.handle("GET "+wire.PathAttachment, s.attachment)
	s.handle("POST "+wire.PathAck, s.ack)
	s.handle("GET "+wire.PathReceipts, s.receipts)
	s.handle("GET "+wire.PathInbox, s.inbox)
	s.handle("GET "+wire.PathSent, s.sent)
	s.handle("POST "+wire.PathStatuses, s.postStatus)
	s.handle("GET "+wire.PathStatuses, s.statuses)
	s.handle("POST "+wire.PathStatusesAck, s.ackStatuses)
	s.handle("GET "+wire.PathDirectory, s.directory)
	s.handle("GET "+wire.PathLogCheckpoint, s.logCheckpoint)
	s.handle("GET "+wire.PathLogInclusion, s.logInclusion)
	s.handle("GET "+wire.PathLogConsistency, s.logConsistency)
	s.handle("GET "+wire.PathLogEntries, s.logEntries)
	s.handle("GET "+wire.PathStats, s.stats)
	if s.opts.Timestamp != nil {
		s.mux.Handle("POST "+wire.PathTimestamp, s.opts.Timestamp)
	}
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// request is one API call by an authenticated agency.
type request struct {
	*http.Request
	agency certs.AgencyCode
}

// handle registers h behind authentication and error mapping.
func (s *Server) handle(pattern string, h func(w http.ResponseWriter, r *request) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			s.fail(w, r, "", wire.Errorf(wire.CodeForbidden, "a client certificate is required"))
			return
		}
		agency, err := certs.PeerAgency(*r.TLS)
		if err != nil {
			s.fail(w, r, "", wire.Errorf(wire.CodeForbidden, "the client certificate names no agency"))
			return
		}
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		start := time.Now()
		outcome := "ok"
		if !s.limits.allow(agency) {
			err = wire.Errorf(wire.CodeRateLimited, "more than %.0f requests per second from %s", s.limits.of(agency).RequestsPerSecond, agency)
			w.Header().Set("Retry-After", "1")
		} else {
			aw := &answerWriter{ResponseWriter: w}
			err = h(aw, &request{Request: r, agency: agency})
			if err != nil && aw.started {
				// The answer was under way when writing failed: the client
				// went away. There is nothing left to tell it.
				s.log.Info("answer not delivered", "agency", agency, "path", r.URL.Path, "err", err)
				err, outcome = nil, "aborted"
			}
		}
		if err != nil {
			outcome = string(s.fail(w, r, agency, err))
		}
		s.metrics.requests.WithLabelValues(pattern, outcome).Inc()
		s.metrics.latency.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
	})
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// answerWriter notes whether an answer has started, after which an error
// cannot be answered any more.
type answerWriter struct {
	http.ResponseWriter
	started bool
}

func (a *answerWriter) WriteHeader(code int) {
	a.started = true
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerWriter) Write(b []byte) (int, error) {
	a.started = true
	return a.ResponseWriter.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", wire.ContentJSON)
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// notifier wakes long-polls waiting for an agency.
type notifier struct {
	mu      sync.Mutex
	waiting map[certs.AgencyCode]chan struct{}
}

func newNotifier() *notifier { return &notifier{waiting: map[certs.AgencyCode]chan struct{}{}} }

// wait returns a channel closed at the agency's next notify. Take it before
// looking at the store, so that nothing stored in between is missed.
func (n *notifier) wait(a certs.AgencyCode) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch, ok := n.waiting[a]
	if !ok {
		ch = make(chan struct{})
		n.waiting[a] = ch
	}
	return ch
}

func (n *notifier) notify(agencies ...certs.AgencyCode) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range agencies {
		if ch, ok := n.waiting[a]; ok {
			close(ch)
			delete(n.waiting, a)
		}
	}
}
