// Package server serves the hub's API (package wire) over HTTP: it
// authenticates the agency from its client certificate, applies the
// per-agency limits, decodes each request, calls the domain layer (package
// relay, which holds the rules) and encodes the answer. It also serves the
// transparency log's checkpoints and proofs and the published statistics.
//
// The transport (HTTP/3 over QUIC, HTTP/2 over TLS on TCP) is in listen.go;
// the mapping of errors to wire codes is the table in errors.go and nowhere
// else.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"lienthong/certs"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// Store is what the server uses of the hub's store: the relay's
// operations, and the transparency log with the statistics it publishes.
type Store interface {
	relay.Store
	store.Log
	Stats(ctx context.Context, agency certs.AgencyCode) (store.AgencyStats, error)
}

// Options configure a Server.
type Options struct {
	Store    Store
	Verifier *certs.Verifier // trusted roots and CRLs for packets
	Identity certs.Signer    // the hub's key and certificate, which sign receipts
	Logger   *slog.Logger
	// MaxAttachment bounds one attachment; 0 means 100 MB. Limits and
	// AgencyLimits may set it per agency.
	MaxAttachment int64
	// Limits apply to every agency; AgencyLimits override them for some.
	Limits       Limits
	AgencyLimits map[certs.AgencyCode]Limits
	// CheckAttachment checks each attachment (relay.Options); Checks
	// bounds how many run at once (0: one per CPU).
	CheckAttachment relay.CheckAttachment
	Checks          int
	// AllowSecret accepts documents marked Mật or above
	// (relay.Options.AllowSecret); the default refuses them.
	AllowSecret bool
	// Timestamp, when set, serves RFC 3161 at wire.PathTimestamp.
	Timestamp http.Handler
	// LogSigner signs checkpoints of the transparency log named LogOrigin;
	// without it the log is kept but no checkpoint is served.
	LogSigner note.Signer
	LogOrigin string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// UploadQuota is each agency's quota of unsent upload bytes
	// (relay.Options.UploadQuota); 0 means none.
	UploadQuota int64
}

// Server is the hub's request handler.
type Server struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	relay   *relay.Relay
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
		opts: opts, log: opts.Logger, mux: http.NewServeMux(), metrics: newMetrics(),
		limits: newLimiter(opts.Limits, opts.AgencyLimits),
	}
	var err error
	s.relay, err = relay.New(relay.Options{
		Store: opts.Store, Verifier: opts.Verifier, Identity: opts.Identity, CheckAttachment: opts.CheckAttachment,
		AllowSecret: opts.AllowSecret, Checks: opts.Checks, UploadQuota: opts.UploadQuota,
		Logger: opts.Logger, Observer: s.metrics, Now: opts.Now,
	})
	if err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// Relay returns the domain layer the server calls.
func (s *Server) Relay() *relay.Relay { return s.relay }

func (s *Server) routes() {
	s.handle("GET "+wire.PathHello, s.hello)
	s.handle("POST "+wire.PathUpload, s.beginUpload)
	s.handle("PATCH "+wire.PathUpload, s.appendUpload)
	s.handle("POST "+wire.PathMessages, s.submit)
	s.handle("GET "+wire.PathMessage, s.message)
	s.handle("GET "+wire.PathAttachment, s.attachment)
	s.handle("POST "+wire.PathAck, s.ack)
	s.handle("POST "+wire.PathRefuse, s.refuse)
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
	s.handle("GET "+wire.PathCRL, s.crl)
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
			s.fail(w, r, "", fmt.Errorf("%w: a client certificate is required", errNoIdentity))
			return
		}
		agency, err := certs.PeerAgency(*r.TLS)
		if err != nil {
			s.fail(w, r, "", fmt.Errorf("%w: the client certificate names no agency", errNoIdentity))
			return
		}
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		start := time.Now()
		outcome := "ok"
		if !s.limits.allow(agency) {
			err = fmt.Errorf("%w: more than %.0f requests per second from %s", errRateLimited, s.limits.of(agency).RequestsPerSecond, agency)
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
