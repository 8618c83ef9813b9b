// Package hubtest starts a real hub in-process on loopback for tests on
// both sides: a test PKI, a bbolt store in a temporary folder (or the
// store Options.Configure chooses), the directory filled with the
// agencies the test names, and the hub serving
// HTTP/3 over QUIC and HTTP/2 over TLS on one port. The hub is built by
// the production constructor (service.New) from a configuration, so the
// PDF check of attachments and the RFC 3161 timestamp service run as they
// do in production. Nothing is mocked. Every request the hub accepts and
// every answer it gives is checked against the API's schemas (package
// apicheck), and a mismatch fails the test that started the hub, unless
// Options.Unchecked says otherwise.
package hubtest

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/config"
	"lienthong/hub/hubtest/apicheck"
	"lienthong/hub/server"
	"lienthong/hub/service"
	"lienthong/hub/store"
	"lienthong/shared/auditlog"
	"lienthong/shared/hubclient"
)

// Agency is a test agency with its key pair.
type Agency struct {
	Code string
	Name string
	Key  *certs.KeyPair
}

// DefaultAgencies are the agencies a hub starts with when the test names
// none: the Government Office and two provinces.
var DefaultAgencies = []struct{ Code, Name string }{
	{"000.00.00.G22", "Văn phòng Chính phủ"},
	{"000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh"},
	{"000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An"},
}

// Hub is a running test hub.
type Hub struct {
	PKI      *certstest.PKI
	Addr     string // host:port, UDP and TCP
	Dir      string // the store's folder
	Store    store.Store
	Server   *server.Server
	Identity *certs.KeyPair
	// Receipts is the hub's receipt-signing identity, named
	// certs.DefaultReceiptSigner.
	Receipts *certs.KeyPair
	Agencies map[string]*Agency
	// LogKey is the note verifier key of the log's checkpoints, LogOrigin
	// the log's name.
	LogKey       string
	LogOrigin    string
	LogSignerKey string

	hub     *service.Hub
	cfg     config.Config
	crlPath string
	stop    context.CancelFunc
	done    chan error
	t       testing.TB
}

// Options adjust Start.
type Options struct {
	Agencies []struct{ Code, Name string } // nil: DefaultAgencies
	// Dir reuses a store folder (to restart a hub over its old state);
	// empty makes a new one.
	Dir string
	// PKI reuses a PKI (with Dir, to restart); nil makes a new one.
	PKI *certstest.PKI
	// LogSignerKey is the note signer key for the log's checkpoints (to
	// restart a hub with its key, or to run two hubs under one key); empty
	// makes a new one.
	LogSignerKey string
	// Receipts reuses a receipt identity (for several hub nodes of one
	// service); nil makes a new one.
	Receipts *certs.KeyPair
	// Configure, if set, may change the hub's configuration before start
	// (its limits, say, or store "postgres" for one of several hub nodes
	// on one database).
	Configure func(*config.Config)
	Logger    *slog.Logger
	// ForeignRoots are other CAs' roots the hub trusts for agency and
	// person certificates (the configuration's foreign_roots).
	ForeignRoots []*x509.Certificate
	// Unchecked leaves this hub's traffic unchecked against the API's
	// schemas: for a test that plants in the store what the hub itself
	// would refuse, to see a client cope with a hub that let it through.
	Unchecked bool
	// Observe, if set, wraps the hub's handler inside the API check: to
	// count requests, or to answer some as another release of the hub
	// would.
	Observe func(http.Handler) http.Handler
}

// Start starts a hub and stops it when the test ends.
func Start(t testing.TB, opts Options) *Hub {
	t.Helper()
	if opts.Agencies == nil {
		opts.Agencies = DefaultAgencies
	}
	if opts.PKI == nil {
		opts.PKI = certstest.New(t)
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	h := &Hub{PKI: opts.PKI, Dir: opts.Dir, Agencies: map[string]*Agency{}, done: make(chan error, 1), t: t}
	h.Identity = opts.PKI.Hub(t)
	h.Receipts = opts.Receipts
	if h.Receipts == nil {
		h.Receipts = opts.PKI.Receipts(t)
	}
	var err error
	if opts.LogSignerKey == "" {
		if opts.LogSignerKey, _, err = note.GenerateKey(rand.Reader, "hubtest"); err != nil {
			t.Fatal(err)
		}
	}
	h.LogSignerKey = opts.LogSignerKey
	signer, err := note.NewSigner(opts.LogSignerKey)
	if err != nil {
		t.Fatal(err)
	}
	if h.LogKey, err = auditlog.VerifierKey(opts.LogSignerKey); err != nil {
		t.Fatal(err)
	}
	h.LogOrigin = "hubtest/log"
	cfg := config.Default()
	cfg.Listen, cfg.OpsListen, cfg.DataDir, cfg.LogOrigin = "127.0.0.1:0", "", opts.Dir, h.LogOrigin
	cfg.ShutdownGrace = config.Duration(5 * time.Second)
	// The hub reads the PKI's CRL from a file, as in production, so that
	// Revoke goes the way of the operator's CRL reload.
	h.crlPath = filepath.Join(t.TempDir(), "ca.crl")
	h.writeCRL()
	cfg.CRLs = []string{h.crlPath}
	if opts.Configure != nil {
		opts.Configure(&cfg)
	}
	parts := service.Parts{Identity: h.Identity, Receipts: h.Receipts, Verifier: opts.PKI.Verifier(t), TSA: opts.PKI.TSA(t), LogSigner: signer}
	if err := parts.Verifier.SetForeignRoots(opts.ForeignRoots); err != nil {
		t.Fatal(err)
	}
	parts.Observe = opts.Observe
	if !opts.Unchecked {
		check, inner := checkAPI(t), opts.Observe
		parts.Observe = func(h http.Handler) http.Handler {
			if inner != nil {
				h = inner(h)
			}
			return check(h)
		}
	}
	hub, err := service.New(cfg, parts, opts.Logger)
	if err != nil {
		t.Fatal(err)
	}
	h.hub, h.cfg, h.Store, h.Server, h.Addr = hub, cfg, hub.Store(), hub.Server(), hub.Addr()
	ctx := context.Background()
	for _, a := range opts.Agencies {
		code := certs.AgencyCode(a.Code)
		parent, _ := code.Parent()
		_, err := h.Store.UpsertAgency(ctx, &store.Agency{Code: code, Name: a.Name, Parent: parent, Level: code.Level(), Active: true}, time.Now())
		if err != nil {
			hub.Close()
			t.Fatal(err)
		}
		h.Agencies[a.Code] = &Agency{Code: a.Code, Name: a.Name, Key: opts.PKI.Agency(t, a.Code, a.Name)}
	}
	runCtx, stop := context.WithCancel(context.Background())
	h.stop = stop
	go func() { h.done <- hub.Run(runCtx) }()
	t.Cleanup(h.Stop)
	return h
}

// checkAPI returns the wrapper of a hub's handler that validates its
// traffic against the API's schemas (package apicheck), and has the test
// fail with what did not match once the hub has stopped: the cleanup is
// registered before Start's own, so it runs after it.
func checkAPI(t testing.TB) func(http.Handler) http.Handler {
	rec, err := apicheck.NewRecorder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Report(t) })
	return rec.Wrap
}

// Stop shuts the hub down and closes its store; calling it again does
// nothing.
func (h *Hub) Stop() {
	if h.hub == nil {
		return
	}
	h.stop()
	if err := <-h.done; err != nil {
		h.t.Errorf("hub: %v", err)
	}
	h.hub = nil
}

// StartFront starts a long-poll front (package front) beside the hub, on
// its control socket, configured as the hub with configure applied (nil:
// as it is), and stops it when the test ends.
func (h *Hub) StartFront(t testing.TB, configure func(*config.Config)) *service.Front {
	t.Helper()
	cfg := h.cfg
	cfg.FrontListen = "127.0.0.1:0"
	if configure != nil {
		configure(&cfg)
	}
	f, err := service.NewFront(cfg, h.Identity, h.PKI.Verifier(t), slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("front: %v", err)
		}
	})
	return f
}

// ClientOf connects as the named agency to addr (a front's, say): over
// QUIC, bulk transfers included (hubclient.Options.BulkQUIC), or with tcp
// over TCP only.
func (h *Hub) ClientOf(t testing.TB, addr, code string, tcp bool) *hubclient.Client {
	t.Helper()
	a, ok := h.Agencies[code]
	if !ok {
		t.Fatalf("hubtest: no agency %s", code)
	}
	c, err := hubclient.New(addr, a.Key, h.Verifier(), hubclient.Options{DisableQUIC: tcp, BulkQUIC: true, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Collect runs the hub's storage collection once (service.Hub.Collect).
func (h *Hub) Collect(ctx context.Context) error { return h.hub.Collect(ctx) }

// ReloadCRLs makes the hub read its configured CRL files again (set them
// with Options.Configure), as it does every crl_reload.
func (h *Hub) ReloadCRLs() error { return h.hub.ReloadCRLs() }

// Revoke revokes an agency's certificate in the PKI and has the hub read
// the new CRL, the way its periodic CRL reload does. It needs the CRL file
// Start configures: a test whose Configure sets other CRLs uses ReloadCRLs.
func (h *Hub) Revoke(code string) {
	a, ok := h.Agencies[code]
	if !ok {
		h.t.Fatalf("hubtest: no agency %s", code)
	}
	h.PKI.Revoke(a.Key.Leaf)
	h.writeCRL()
	if err := h.hub.ReloadCRLs(); err != nil {
		h.t.Fatal(err)
	}
}

func (h *Hub) writeCRL() {
	if err := os.WriteFile(h.crlPath, certs.EncodeCRLPEM(h.PKI.CRL(h.t).Raw), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// Verifier trusts the test root.
func (h *Hub) Verifier() *certs.Verifier { return h.PKI.Verifier(h.t) }

// RootCertificates returns the test root for clients.
func (h *Hub) RootCertificates() []*x509.Certificate { return []*x509.Certificate{h.PKI.Root.Cert} }

// Client connects as the named agency, as ClientOf does.
func (h *Hub) Client(t testing.TB, code string, tcp bool) *hubclient.Client {
	t.Helper()
	return h.ClientOf(t, h.Addr, code, tcp)
}

// Register sets the certificates of other CAs registered for code in the
// hub's directory (none: removes them), as the operator does with
// lienthong-hub agency register.
func (h *Hub) Register(t testing.TB, code string, regs ...certs.Registration) {
	t.Helper()
	ctx := context.Background()
	a, err := h.Store.Agency(ctx, certs.AgencyCode(code))
	if err != nil {
		t.Fatal(err)
	}
	a.Certificates = regs
	if _, err := h.Store.UpsertAgency(ctx, &a, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// Requests counts, from this hub's metrics, the requests whose labels
// have the values given as label, value pairs: "outcome" ("ok" or a wire
// error code) and "route" ("GET /v1/pki/crl").
func (h *Hub) Requests(t testing.TB, labelValues ...string) float64 {
	t.Helper()
	families, err := h.Server.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, f := range families {
		if f.GetName() != "lienthong_hub_requests_total" {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labelValues); i += 2 {
				if labels[labelValues[i]] != labelValues[i+1] {
					continue metrics
				}
			}
			n += m.GetCounter().GetValue()
		}
	}
	return n
}
