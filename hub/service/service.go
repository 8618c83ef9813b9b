// Package service runs a hub from its configuration: it loads the hub's
// certificates (each node's TLS identity, and the receipt identity that
// signs every receipt of the service), roots and CRLs, opens the store, serves the API on QUIC and
// TCP, the operator's endpoints (/healthz, /readyz, /metrics) and the
// control socket of the operator's commands (package control), reloads the
// CRLs, collects expired uploads and attachments (Collect, every
// storage_gc_interval), and shuts down gracefully, finishing uploads in
// flight.
//
// # Several hub nodes
//
// With store "postgres" several hub nodes share one database and any node
// serves any agency. A long poll on one node wakes when another commits an
// event for its agency: the store names the agency with NOTIFY in the
// event's transaction, and each node listens on a connection of its own
// (listen) and wakes its relay (relay.Relay.Wake); a long poll also
// re-checks the store every long_poll_recheck, so that a lost listener
// connection delays a wake-up but never loses it. The collection (Collect)
// runs on one node at a time, the one holding the database's advisory lock
// for it; the others skip that round. Each node reloads the CRLs for its
// own connections. Upload quotas are counted from the store, so they hold
// across nodes (with the slack of uploads started at once). Rate limits
// hold across nodes too: each agency's token bucket is a row the nodes
// share (pgstore.Buckets, server.SharedRate), and while the database does
// not answer each node limits on its own buckets and keeps serving. The
// caps on requests in flight stay per node: they protect each node's own
// memory. The nodes sign one log: a node whose log key or log origin is
// not the one that signed the store's checkpoints is refused at start
// (checkLogKey), as is a database the hub cannot write to (pgstore.Open).
package service

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/mod/sumdb/note"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/control"
	"lienthong/hub/front"
	"lienthong/hub/relay"
	"lienthong/hub/server"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
	"lienthong/hub/store/pgstore"
	"lienthong/shared/pades"
	"lienthong/shared/tsa"
)

// Hub is a configured hub, ready to Run.
type Hub struct {
	cfg      config.Config
	log      *slog.Logger
	store    store.Store
	verifier *certs.Verifier
	identity *certs.KeyPair
	server   *server.Server
	endpoint *server.Endpoint
	ops      *opsServer   // ops_listen; nil without one
	control  *http.Server // the operator's commands, on a Unix socket; nil without one
	ctlLn    net.Listener
	buckets  *pgstore.Buckets // the rate limits shared by the nodes on a PostgreSQL store; nil on bbolt
}

// Parts are what a hub is made of besides its configuration: its TLS key
// and certificate, its receipt-signing identity, the verifier of agencies'
// certificates, and optionally a timestamping key pair and the log's
// checkpoint signer. Open reads them
// from the configured files; tests (package hubtest) make them in memory.
type Parts struct {
	Identity *certs.KeyPair // the node's TLS identity
	// Receipts signs the hub's receipts: the one receipt identity of the
	// hub service (certs.MayIssueReceipts), never a node's TLS key.
	Receipts  certs.Signer
	Verifier  *certs.Verifier
	TSA       certs.Signer // nil: no timestamp service
	LogSigner note.Signer  // nil: the log is kept, no checkpoint is served
	// Observe, if set, wraps the API's handler: how tests see every
	// request and answer (package hubtest/apicheck checks them against the API's
	// schemas). Production leaves it nil.
	Observe func(http.Handler) http.Handler
}

// Open prepares a hub from cfg: it reads the certificates, then makes the
// hub with New.
func Open(cfg config.Config, log *slog.Logger) (*Hub, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pass, err := passphrase(cfg)
	if err != nil {
		return nil, err
	}
	var p Parts
	if p.Identity, p.Verifier, err = openTLS(cfg, pass); err != nil {
		return nil, err
	}
	if p.Receipts, err = certs.OpenSigner(certs.SignerRef{Cert: cfg.ReceiptCert, Key: cfg.ReceiptKey, Passphrase: pass}); err != nil {
		return nil, fmt.Errorf("receipt certificate: %w", err)
	}
	if cfg.TSACert != "" {
		if p.TSA, err = certs.OpenSigner(certs.SignerRef{Cert: cfg.TSACert, Key: cfg.TSAKey, Passphrase: pass}); err != nil {
			return nil, fmt.Errorf("timestamping certificate: %w", err)
		}
	}
	if cfg.LogKey != "" {
		skey, err := os.ReadFile(cfg.LogKey)
		if err != nil {
			return nil, fmt.Errorf("log key: %w", err)
		}
		if p.LogSigner, err = note.NewSigner(strings.TrimSpace(string(skey))); err != nil {
			return nil, fmt.Errorf("log key %s: %w", cfg.LogKey, err)
		}
	}
	return New(cfg, p, log)
}

// passphrase reads the keys' passphrase, if one is configured.
func passphrase(cfg config.Config) ([]byte, error) {
	if cfg.TLSKeyPassphraseFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(cfg.TLSKeyPassphraseFile)
	if err != nil {
		return nil, fmt.Errorf("read the key passphrase: %w", err)
	}
	return []byte(strings.TrimRight(string(b), "\r\n")), nil
}

// openTLS reads the node's TLS identity and makes the verifier of
// agencies' certificates from the roots and foreign roots (the CRLs come
// with loadCRLs).
func openTLS(cfg config.Config, pass []byte) (*certs.KeyPair, *certs.Verifier, error) {
	id, err := certs.OpenSigner(certs.SignerRef{Cert: cfg.TLSCert, Key: cfg.TLSKey, Passphrase: pass})
	if err != nil {
		return nil, nil, fmt.Errorf("hub certificate: %w", err)
	}
	roots, err := certs.ReadCertificates(cfg.Roots)
	if err != nil {
		return nil, nil, fmt.Errorf("roots: %w", err)
	}
	v, err := certs.NewVerifier(roots)
	if err != nil {
		return nil, nil, err
	}
	var foreign []*x509.Certificate
	for _, f := range cfg.ForeignRoots {
		c, err := certs.ReadCertificates(f)
		if err != nil {
			return nil, nil, fmt.Errorf("foreign roots: %w", err)
		}
		foreign = append(foreign, c...)
	}
	if err := v.SetForeignRoots(foreign); err != nil {
		return nil, nil, fmt.Errorf("foreign roots: %w", err)
	}
	return id, v, nil
}

// New makes a hub from its configuration and parts, in the one way
// production and tests share: it reads the configured CRLs, opens the
// store, makes the server (relay, PDF check, timestamp service) and binds
// the listeners, so that a mistake is reported before Run.
func New(cfg config.Config, p Parts, log *slog.Logger) (*Hub, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{cfg: cfg, log: log, identity: p.Identity, verifier: p.Verifier}
	if p.Receipts == nil || len(p.Receipts.Certificates()) == 0 {
		return nil, errors.New("hub: no receipt-signing identity")
	}
	if err := checkReceiptIdentity(p.Receipts, p.Verifier); err != nil {
		return nil, err
	}
	if err := h.ReloadCRLs(); err != nil {
		return nil, err
	}
	var stamp http.Handler
	if p.TSA != nil {
		ts := &tsa.Server{Signer: p.TSA, Logger: log}
		if err := ts.Validate(); err != nil {
			return nil, fmt.Errorf("timestamping service: %w", err)
		}
		stamp = ts
	}
	maxBlob := cfg.MaxAttachment() // the largest any agency may send
	for _, l := range cfg.AgencyLimits {
		maxBlob = max(maxBlob, l.MaxAttachmentMB<<20)
	}
	maxBlob = max(maxBlob, cfg.EdXML.MaxPacketMB<<20) // an edXML packet is a blob of its message
	var err error
	if h.store, err = openStore(&cfg, maxBlob, log); err != nil {
		return nil, err // the stores' errors say "open store"
	}
	// Who a certificate of another CA stands for: the directory's
	// registrations, read again every few seconds (any node may change
	// them). Set before the API serves its first handshake.
	h.verifier.SetRegistry(relay.NewRegistry(h.store, cfg.RegistrationsRefresh.D(), log))
	edxmlTemp, err := edxmlTempDir(cfg.DataDir)
	if err != nil {
		h.store.Close()
		return nil, err
	}
	var rate server.RateLimiter // nil: each node's own buckets
	if cfg.Store == config.StorePostgres {
		if p.LogSigner != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			err := checkLogKey(ctx, h.store, p.LogSigner, cfg.LogOrigin)
			cancel()
			if err != nil {
				h.store.Close()
				return nil, err
			}
		}
		if h.buckets, err = openBuckets(cfg.PostgresURL); err != nil {
			h.store.Close()
			return nil, err
		}
		rate = server.SharedRate(h.buckets, server.SharedRateOptions{Logger: log})
	}
	h.server, err = server.New(server.Options{
		Store: h.store, Verifier: h.verifier, Identity: p.Receipts, Logger: log,
		MaxAttachment: cfg.MaxAttachment(), CheckAttachment: CheckPDF(h.verifier), Checks: cfg.PDFChecks, Timestamp: stamp,
		AllowSecret: cfg.AllowSecretDocuments, AttachmentTypes: cfg.AttachmentPolicy(), UploadQuota: cfg.UploadQuota(), Recheck: recheck(cfg),
		LogSigner: p.LogSigner, LogOrigin: cfg.LogOrigin,
		Limits:       server.Limits{RequestsPerSecond: cfg.RequestsPerSecond, Burst: cfg.Burst, MaxInFlight: cfg.MaxInFlightPerAgency},
		AgencyLimits: agencyLimits(cfg), MaxInFlight: cfg.MaxInFlight, Rate: rate,
		Body:          server.BodyTimeouts{Idle: cfg.BodyIdleTimeout.D(), MinRate: cfg.BodyMinRate, Window: cfg.BodyRateWindow.D()},
		MaxBodyMemory: cfg.MaxBodyMemoryMB << 20,
		EdXML: relay.EdXMLOptions{MaxPacket: cfg.EdXML.MaxPacketMB << 20, RefuseSHA1: cfg.EdXML.RefuseSHA1,
			Memory: cfg.EdXML.MemoryMB << 20, TempDir: edxmlTemp},
	})
	if err != nil {
		h.closeStore()
		return nil, err
	}
	var api http.Handler = h.server
	if p.Observe != nil {
		api = p.Observe(api)
	}
	if h.endpoint, err = server.Listen(cfg.Listen, api, certs.ServerTLS(h.identity, h.verifier), log); err != nil {
		h.closeStore()
		return nil, err
	}
	if h.ops, err = listenOps(cfg.OpsListen, h.opsHandler()); err != nil {
		h.endpoint.Shutdown(context.Background())
		h.closeStore()
		return nil, fmt.Errorf("ops listener: %w", err)
	}
	// Without its control socket the hub still serves agencies; the
	// operator's commands then need it stopped.
	if h.ctlLn, err = control.Listen(cfg.DataDir); err != nil {
		log.Error("no control socket: lienthong-hub agency and stats will need the hub stopped", "err", err)
	} else {
		// The same socket answers a long-poll front (package front).
		ctl := http.NewServeMux()
		ctl.Handle(front.PathPrefix+"/", front.Backend(h.server))
		ctl.Handle("/", control.Handler(h.store))
		h.control = &http.Server{Handler: ctl, ReadHeaderTimeout: 5 * time.Second}
	}
	return h, nil
}

// checkReceiptIdentity refuses to start with a receipt identity that
// clients would refuse: not of the receipt kind, or not trusted by the
// hub's own roots now.
func checkReceiptIdentity(r certs.Signer, v *certs.Verifier) error {
	chain := r.Certificates()
	name, err := certs.ReceiptSignerOf(chain[0])
	if err == nil {
		err = certs.MayIssueReceipts(chain[0], name)
	}
	if err != nil {
		return fmt.Errorf("receipt certificate: not a receipt identity (make one with lienthong-certs issue receipt): %w", err)
	}
	if _, err := v.Chain(chain, time.Time{}, x509.ExtKeyUsageAny); err != nil {
		return fmt.Errorf("receipt certificate: %w", err)
	}
	return nil
}

func agencyLimits(cfg config.Config) map[certs.AgencyCode]server.Limits {
	out := map[certs.AgencyCode]server.Limits{}
	for code, l := range cfg.AgencyLimits {
		out[certs.AgencyCode(code)] = server.Limits{RequestsPerSecond: l.RequestsPerSecond, Burst: l.Burst, MaxAttachment: l.MaxAttachmentMB << 20, MaxInFlight: l.MaxInFlight}
	}
	return out
}

// Server gives the hub's API handler (its metrics, its relay).
func (h *Hub) Server() *server.Server { return h.server }

// Store gives the hub's store, for the operator's commands.
func (h *Hub) Store() store.Store { return h.store }

// Addr is where agencies connect.
func (h *Hub) Addr() string { return h.endpoint.Addr() }

// ReloadCRLs reads the configured CRLs again. A list that cannot be read
// keeps the previous lists in force and is reported; with no CRL
// configured the verifier's lists stay as they are. Requests in flight
// (long polls, uploads) of an agency the new lists revoke end at once;
// every later request is checked against them anyway.
func (h *Hub) ReloadCRLs() error {
	if len(h.cfg.CRLs) == 0 {
		return nil
	}
	if err := loadCRLs(h.cfg.CRLs, h.verifier); err != nil {
		return err
	}
	if h.server != nil {
		if n := h.server.CheckIdentities(); n > 0 {
			h.log.Info("requests of revoked certificates ended", "requests", n)
		}
	}
	return nil
}

// loadCRLs reads the CRLs at paths and puts them in force in v; a list
// that cannot be read leaves v's lists as they were.
func loadCRLs(paths []string, v *certs.Verifier) error {
	var crls []*x509.RevocationList
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("CRL: %w", err)
		}
		crl, err := certs.ParseCRL(data)
		if err != nil {
			return fmt.Errorf("CRL %s: %w", path, err)
		}
		crls = append(crls, crl)
	}
	v.SetCRLs(crls...)
	return nil
}

func (h *Hub) opsHandler() http.Handler {
	return opsHandler(func(ctx context.Context) error {
		if _, err := h.store.Agencies(ctx); err != nil {
			return errors.New("store unavailable")
		}
		return nil
	}, h.server.Metrics())
}

// opsHandler serves an operator's listener, the hub's or its front's:
// /healthz, /readyz (200 unless ready says why not, 503), /metrics from
// reg, and the runtime's profiles (net/http/pprof) at /debug/pprof/: a
// heap profile with gc=1 and debug=1 ends with the process's memory after
// a collection, which the load tool reads.
func opsHandler(ready func(context.Context) error, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready\n")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	return mux
}

// opsServer is an operator's listener, the hub's or its front's. Its
// methods do nothing on nil: no listener configured.
type opsServer struct {
	ln  net.Listener
	srv *http.Server
}

// listenOps binds addr for h; nil when addr is empty.
func listenOps(addr string, h http.Handler) (*opsServer, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &opsServer{ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}}, nil
}

// Addr is where it listens; "" without a listener.
func (o *opsServer) Addr() string {
	if o == nil {
		return ""
	}
	return o.ln.Addr().String()
}

// serve serves on a goroutine of its own until shutdown, logging a
// failure.
func (o *opsServer) serve(log *slog.Logger) {
	if o == nil {
		return
	}
	go func() {
		if err := o.srv.Serve(o.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("ops listener", "err", err)
		}
	}()
}

func (o *opsServer) shutdown(ctx context.Context) {
	if o != nil {
		_ = o.srv.Shutdown(ctx)
	}
}

// close releases a listener that was not served.
func (o *opsServer) close() {
	if o != nil {
		o.ln.Close()
	}
}

// Run serves until ctx is done, then shuts down gracefully within the
// configured grace and closes the store.
func (h *Hub) Run(ctx context.Context) error {
	errs := make(chan error, 2)
	go func() { errs <- h.endpoint.Serve() }()
	h.ops.serve(h.log)
	if h.ops != nil {
		h.log.Info("ops listening", "addr", h.ops.Addr())
	}
	if h.control != nil {
		go func() {
			if err := h.control.Serve(h.ctlLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				h.log.Error("control socket", "err", err)
			}
		}()
		h.log.Info("control socket listening", "path", h.ctlLn.Addr().String())
	}
	cpCtx, stopCheckpoints := context.WithCancel(context.Background())
	defer stopCheckpoints()
	go h.server.RunCheckpoints(cpCtx, h.cfg.CheckpointInterval.D())
	gcCtx, stopGC := context.WithCancel(context.Background())
	defer stopGC()
	collecting := make(chan struct{})
	go func() { defer close(collecting); h.collect(gcCtx) }()
	listening := make(chan struct{})
	go func() { defer close(listening); h.listen(gcCtx) }()

	runErr := untilDone(ctx, errs, h.cfg.CRLReload.D(), h.ReloadCRLs, h.log)
	stopGC()
	<-collecting // a collection in progress ends before the store closes
	<-listening
	h.log.Info("shutting down", "grace", h.cfg.ShutdownGrace.D().String())
	h.server.Relay().Drain() // long polls end now: their clients go to another node
	sctx, cancel := context.WithTimeout(context.Background(), h.cfg.ShutdownGrace.D())
	defer cancel()
	if err := h.endpoint.Shutdown(sctx); err != nil {
		h.log.Warn("shutdown", "err", err)
	}
	h.ops.shutdown(sctx)
	if h.control != nil {
		_ = h.control.Shutdown(sctx) // an import in progress finishes its entry
	}
	return errors.Join(runErr, h.closeStore())
}

// untilDone waits until ctx is done or a listener fails (its error from
// errs, which it returns), reloading the CRLs every reloadEvery meanwhile:
// a list that cannot be read keeps the previous lists, and is logged.
func untilDone(ctx context.Context, errs <-chan error, reloadEvery time.Duration, reload func() error, log *slog.Logger) error {
	tick := time.NewTicker(reloadEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return err
		case <-tick.C:
			if err := reload(); err != nil {
				log.Error("CRL reload failed; keeping the previous lists", "err", err)
			}
		}
	}
}

// Close releases a hub that was opened but not run.
func (h *Hub) Close() error {
	_ = h.endpoint.Shutdown(context.Background())
	h.ops.close()
	if h.ctlLn != nil {
		h.ctlLn.Close()
	}
	return h.closeStore()
}

// closeStore closes the store and the shared rate buckets.
func (h *Hub) closeStore() error {
	if h.buckets != nil {
		h.buckets.Close()
	}
	return h.store.Close()
}

// CheckPDF checks attachments with package pades: a file that is not a
// readable PDF (not a PDF, damaged, encrypted) or is over the reader's
// budget (a decompression or object bomb) is refused, and any other
// file's signature report is kept with the message. The relay bounds how
// many checks run at once and remembers their outcomes per SHA-256.
//
// Chains are built by v, which remembers the chains it verified: an
// agency's signers sign document after document with the same
// certificates.
func CheckPDF(v *certs.Verifier) relay.CheckAttachment {
	return func(ctx context.Context, r io.ReaderAt, size int64) ([]byte, error) {
		report, err := pades.Verify(r, size, pades.VerifyOptions{Trust: v, CRLs: v.CRLs(), SignerPolicy: v.MayIssueDocuments})
		switch {
		case errors.Is(err, pades.ErrBudget):
			return nil, fmt.Errorf("%w: %v", relay.ErrPDFTooComplex, err)
		case errors.Is(err, pades.ErrNotPDF) || errors.Is(err, pades.ErrDamaged) || errors.Is(err, pades.ErrEncrypted):
			return nil, fmt.Errorf("%w: %v", relay.ErrNotPDF, err)
		case err != nil:
			return nil, err
		}
		return json.Marshal(report)
	}
}

// recheck is how often a long poll re-checks the store unwoken: never
// with one process on its own store, which wakes its polls itself.
func recheck(cfg config.Config) time.Duration {
	if cfg.Store == config.StorePostgres {
		return cfg.LongPollRecheck.D()
	}
	return 0
}

// listener is a store shared by several hub nodes that tells each of them
// which agencies the others' events concern (pgstore.Store.Listen).
type listener interface {
	Listen(ctx context.Context, retry time.Duration, wake func(...certs.AgencyCode), listening func()) error
}

// listen wakes this node's long polls for the events of the other hub
// nodes on the same store, until ctx ends; a store of one process has
// nothing to listen to.
func (h *Hub) listen(ctx context.Context) {
	if l, ok := h.store.(listener); ok {
		rel := h.server.Relay()
		_ = l.Listen(ctx, time.Second, rel.Wake, rel.WakeAll)
	}
}

// edxmlTempDir makes the folder of data_dir where the attachments of edXML
// packets are decoded while they are checked, and empties it of what a
// hub that stopped mid-check left there.
func edxmlTempDir(dataDir string) (string, error) {
	dir := filepath.Join(dataDir, "edxml-tmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("data_dir: %w", err)
	}
	left, err := filepath.Glob(filepath.Join(dir, "edxml-*.part"))
	if err != nil {
		return "", err
	}
	for _, f := range left {
		if err := os.Remove(f); err != nil {
			return "", fmt.Errorf("data_dir: %w", err)
		}
	}
	return dir, nil
}

// openStore opens the store cfg names, allowing blobs of maxBlob bytes.
func openStore(cfg *config.Config, maxBlob int64, log *slog.Logger) (store.Store, error) {
	if cfg.Store == config.StorePostgres {
		// data_dir holds only the control socket then.
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("data_dir: %w", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return pgstore.Open(ctx, cfg.PostgresURL, pgstore.Options{MaxBlobSize: maxBlob, Logger: log})
	}
	return boltstore.Open(cfg.DataDir, boltstore.Options{MaxBlobSize: maxBlob, Logger: log})
}

// openBuckets opens the agencies' rate buckets that the hub nodes on one
// PostgreSQL store share.
func openBuckets(url string) (*pgstore.Buckets, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return pgstore.OpenBuckets(ctx, url)
}
