// Package server serves the hub's API (package wire) over HTTP: it
// authenticates the agency from its client certificate, applies the
// per-agency limits, decodes each request, calls the domain layer (package
// relay, which holds the rules) and encodes the answer. It also serves the
// transparency log's checkpoints and proofs and the published statistics.
//
// Every route, the timestamp service and unknown paths included, goes
// through one wrapper (Server.handle): the client certificate is checked
// again against the CRLs in force (a connection outlives its handshake;
// CheckIdentities ends the requests of an agency revoked meanwhile), then
// the agency's rate, the caps on requests in flight per agency and in
// total, a guard that cuts a request body arriving too slowly (guard.go),
// metrics, and the mapping of errors to wire codes.
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
	"strconv"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"lienthong/certs"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/internal/bufpool"
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
	// Rate keeps the agencies' token buckets: nil means LocalRate (this
	// process's); several hub nodes on one store share theirs with
	// SharedRate. The caps on requests in flight are this node's own
	// either way.
	Rate RateLimiter
	// MaxInFlight bounds the requests handled at once from all agencies,
	// long polls included; one more is answered unavailable (503) before
	// its body is read. 0 means DefaultMaxInFlight.
	MaxInFlight int
	// Body bounds how slowly a request body may arrive; zero fields take
	// the defaults.
	Body BodyTimeouts
	// MaxBodyMemory bounds the bytes of request bodies held in memory at
	// once (packets, which are read whole; attachments stream to disk);
	// a request past it is answered unavailable before its body is read.
	// 0 means DefaultMaxBodyMemory.
	MaxBodyMemory int64
	// CheckAttachment checks each attachment (relay.Options); Checks
	// bounds how many run at once (0: one per CPU).
	CheckAttachment relay.CheckAttachment
	Checks          int
	// AllowSecret accepts documents marked Mật or above
	// (relay.Options.AllowSecret); the default refuses them.
	AllowSecret bool
	// AttachmentTypes are the attachment types agencies may send
	// (relay.Options.AttachmentTypes); the zero Policy accepts PDF only.
	AttachmentTypes envelope.Policy
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
	// Recheck makes a long poll re-check the store this often even when
	// not woken (relay.Options.Recheck); 0 means never.
	Recheck time.Duration
	// EdXML tunes the edXML calls (relay.Options.EdXML).
	EdXML relay.EdXMLOptions
}

// Server is the hub's request handler.
type Server struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	relay   *relay.Relay
	metrics *metrics
	limits  *limiter
	active  *activeRequests
	memory  *budget
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
		limits: newLimiter(opts.Limits, opts.AgencyLimits, opts.MaxInFlight, opts.Rate), active: newActiveRequests(),
	}
	s.opts.Body = opts.Body.withDefaults()
	if s.opts.MaxBodyMemory <= 0 {
		s.opts.MaxBodyMemory = DefaultMaxBodyMemory
	}
	s.memory = &budget{left: s.opts.MaxBodyMemory}
	var err error
	s.relay, err = relay.New(relay.Options{
		Store: opts.Store, Verifier: opts.Verifier, Identity: opts.Identity, CheckAttachment: opts.CheckAttachment,
		AllowSecret: opts.AllowSecret, AttachmentTypes: opts.AttachmentTypes, Checks: opts.Checks, UploadQuota: opts.UploadQuota, Recheck: opts.Recheck,
		Logger: opts.Logger, Observer: s.metrics, Now: opts.Now, EdXML: opts.EdXML,
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
	s.handle("GET "+wire.PathUpdates, s.updates)
	s.handle("POST "+wire.PathStatusesAck, s.ackStatuses)
	s.handle("GET "+wire.PathDirectory, s.directory)
	s.handle("GET "+wire.PathDirectoryHistory, s.directoryHistory)
	s.handle("GET "+wire.PathLogCheckpoint, s.logCheckpoint)
	s.handle("GET "+wire.PathLogInclusion, s.logInclusion)
	s.handle("GET "+wire.PathLogConsistency, s.logConsistency)
	s.handle("GET "+wire.PathLogEntries, s.logEntries)
	s.handle("GET "+wire.PathStats, s.stats)
	s.handle("GET "+wire.PathCRL, s.crl)
	s.handle("POST "+wire.PathEdXML, s.submitEdXML)
	s.handle("GET "+wire.PathEdXMLInbox, s.edxmlInbox)
	s.handle("GET "+wire.PathEdXMLMessage, s.edxmlMessage)
	s.handle("GET "+wire.PathEdXMLStatuses, s.edxmlStatuses)
	s.handle("GET "+wire.PathOpenAPI, s.openAPI)
	if s.opts.Timestamp != nil {
		s.handle("POST "+wire.PathTimestamp, s.timestamp)
	}
	// Anything else is answered in JSON like every other error: an unknown
	// path not_found, a known path with another method bad_request (405).
	s.handle("/", s.noRoute)
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// request is one API call by an authenticated agency.
type request struct {
	*http.Request
	agency certs.AgencyCode
	held   int64 // bytes of the body budget this request holds
}

// handle registers h behind the one wrapper every call goes through: the
// agency from the client certificate, checked again against the CRLs in
// force (a connection outlives its handshake), the agency's rate and the
// caps on requests in flight (before any of the body is read), a guard on
// how slowly the body may arrive, metrics, and the mapping of errors to
// wire codes.
func (s *Server) handle(pattern string, h func(w http.ResponseWriter, r *request) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// No answer is for a browser to guess the type of.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		agency, err := s.identify(r)
		if err != nil {
			s.metrics.requests.WithLabelValues(pattern, string(s.fail(w, r, agency, err))).Inc()
			return
		}
		if told, ok := r.Context().Value(identifiedKey{}).(func(certs.AgencyCode)); ok {
			told(agency)
		}
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		outcome := "ok"
		var release func()
		if release, err = s.admit(r.Context(), w, agency); err == nil {
			body := s.opts.Body.guard(r.Body)
			ctx, done := s.active.add(r.Context(), agency, r.TLS.PeerCertificates, body)
			r = r.WithContext(ctx)
			r.Body = body
			aw := &answerWriter{ResponseWriter: w}
			req := &request{Request: r, agency: agency}
			err = h(aw, req)
			s.memory.give(req.held)
			// Read what the handler left of the body before its answer
			// goes out: an answer followed by a reset of the stream still
			// sending is lost by clients that send their whole body first.
			// A refusal goes out at once (a refused body may never come).
			if err == nil {
				body.drain(maxDrain)
			}
			body.stop()
			if cut := body.failed(); cut != nil {
				err = cut // whatever the handler made of the body's end
			}
			if cause := context.Cause(ctx); err != nil && errors.Is(cause, errRevoked) {
				err = cause // a long poll or upload ended by the revocation of its agency
			}
			done()
			release()
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

// WithIdentified returns ctx with told, which the server calls with the
// agency a request made with ctx is served as, once it has identified it
// and before the answer begins: a long-poll front's backend (package
// front) names the agency to the front in its answer's headers.
func WithIdentified(ctx context.Context, told func(certs.AgencyCode)) context.Context {
	return context.WithValue(ctx, identifiedKey{}, told)
}

type identifiedKey struct{}

// identify returns the agency of a request's client certificate, decided
// now (certs.Identify: our URI, or the directory's registration in force,
// so that a registration removed counts at once), which must still pass
// the verifier now: chained, in date and not revoked by the CRLs in
// force. The verifier's chain cache makes this cheap.
func (s *Server) identify(r *http.Request) (certs.AgencyCode, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return "", fmt.Errorf("%w: a client certificate is required", errNoIdentity)
	}
	agency, err := s.opts.Verifier.PeerAgency(*r.TLS)
	if errors.Is(err, certs.ErrUnregistered) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("%w: the client certificate names no agency", errNoIdentity)
	}
	if _, err := s.opts.Verifier.Agency(r.TLS.PeerCertificates); err != nil {
		return agency, fmt.Errorf("%w: %v", errRevoked, err)
	}
	return agency, nil
}

// admit takes a token from the agency's bucket and a place under the caps
// on requests in flight; release ends the request's share of the caps.
func (s *Server) admit(ctx context.Context, w http.ResponseWriter, agency certs.AgencyCode) (release func(), err error) {
	lim := s.limits.of(agency)
	if !s.limits.allow(ctx, agency) {
		w.Header().Set("Retry-After", "1")
		return nil, fmt.Errorf("%w: more than %.0f requests per second from %s", errRateLimited, lim.RequestsPerSecond, agency)
	}
	release, full := s.limits.enter(agency)
	switch full {
	case fullAgency:
		w.Header().Set("Retry-After", "1")
		return nil, fmt.Errorf("%w: %s has %d requests in flight already", errRateLimited, agency, lim.MaxInFlight)
	case fullHub:
		w.Header().Set("Retry-After", "1")
		return nil, fmt.Errorf("%w: the hub is handling %d requests already", errOverloaded, s.limits.maxTotal)
	}
	return release, nil
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

// writeJSON answers v as JSON with its length declared, so that a client
// reads it into one buffer of the right size. A value that cannot be
// encoded is an error before anything is written.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	buf := answers.Get()
	defer answers.Put(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return err
	}
	return writeBody(w, status, wire.ContentJSON, buf.Bytes())
}

// writeBody answers body, of the given type, with its length declared.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) error {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, err := w.Write(body)
	return err
}

// answers are writeJSON's buffers, kept while they are at most 2 MiB (an
// inbox answer with its inline attachments).
var answers = &bufpool.Pool{Max: 2 << 20}
