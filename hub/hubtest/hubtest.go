// Package hubtest starts a real hub in-process on loopback for tests on
// both sides: a test PKI, a bbolt store in a temporary folder, the
// directory filled with the agencies the test names, and the hub serving
// HTTP/3 over QUIC and HTTP/2 over TLS on one port. Nothing is mocked.
package hubtest

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"log/slog"
	"os"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/server"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
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
	Agencies map[string]*Agency
	// LogKey is the note verifier key of the log's checkpoints, LogOrigin
	// the log's name.
	LogKey       string
	LogOrigin    string
	LogSignerKey string

	endpoint *server.Endpoint
	done     chan error
	t        testing.TB
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
	// Configure, if set, may change the server options before start.
	Configure func(*server.Options)
	Logger    *slog.Logger
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
	st, err := boltstore.Open(opts.Dir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.Store = st
	ctx := context.Background()
	for _, a := range opts.Agencies {
		code := certs.AgencyCode(a.Code)
		parent, _ := code.Parent()
		_, err := st.UpsertAgency(ctx, &store.Agency{Code: code, Name: a.Name, Parent: parent, Level: code.Level(), Active: true}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		h.Agencies[a.Code] = &Agency{Code: a.Code, Name: a.Name, Key: opts.PKI.Agency(t, a.Code, a.Name)}
	}
	h.Identity = opts.PKI.Hub(t)
	verifier := opts.PKI.Verifier(t)
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
	sopts := server.Options{Store: st, Verifier: verifier, Identity: h.Identity, Logger: opts.Logger, LogSigner: signer, LogOrigin: h.LogOrigin}
	if opts.Configure != nil {
		opts.Configure(&sopts)
	}
	srv, err := server.New(sopts)
	if err != nil {
		t.Fatal(err)
	}
	h.Server = srv
	ep, err := server.Listen("127.0.0.1:0", srv, certs.ServerTLS(h.Identity, verifier), opts.Logger)
	if err != nil {
		t.Fatal(err)
	}
	h.endpoint = ep
	h.Addr = ep.Addr()
	go func() { h.done <- ep.Serve() }()
	t.Cleanup(h.Stop)
	return h
}

// Stop shuts the hub down and closes its store; calling it again does
// nothing.
func (h *Hub) Stop() {
	if h.endpoint == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = h.endpoint.Shutdown(ctx)
	if err := <-h.done; err != nil {
		h.t.Errorf("hub: %v", err)
	}
	h.endpoint = nil
	if err := h.Store.Close(); err != nil {
		h.t.Errorf("close store: %v", err)
	}
}

// Verifier trusts the test root.
func (h *Hub) Verifier() *certs.Verifier { return h.PKI.Verifier(h.t) }

// RootCertificates returns the test root for clients.
func (h *Hub) RootCertificates() []*x509.Certificate { return []*x509.Certificate{h.PKI.Root.Cert} }

// Client connects as the named agency; TCP forces HTTP/2 over TCP.
func (h *Hub) Client(t testing.TB, code string, tcp bool) *hubclient.Client {
	t.Helper()
	a, ok := h.Agencies[code]
	if !ok {
		t.Fatalf("hubtest: no agency %s", code)
	}
	c, err := hubclient.New(h.Addr, a.Key, h.Verifier(), hubclient.Options{DisableQUIC: tcp, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
