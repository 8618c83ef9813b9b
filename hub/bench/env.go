package bench

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/service"
	"lienthong/hub/store"
	"lienthong/shared/hubclient"
)

// MaxAgencies is how many distinct agencies a run that starts its own hub
// can make: level-1 codes 000.00.00.A00 to 000.00.00.Z99.
const MaxAgencies = 26 * 100

// AgencyCode is the code of the i-th simulated agency of a run that starts
// its own hub (0 ≤ i < MaxAgencies).
func AgencyCode(i int) certs.AgencyCode {
	return certs.AgencyCode(fmt.Sprintf("000.00.00.%c%02d", 'A'+i/100, i%100))
}

// agency is one simulated agency: its key pair and its connection.
type agency struct {
	code   certs.AgencyCode
	name   string
	kp     *certs.KeyPair
	client *hubclient.Client
	node   int // the hub node it talks to
	// maxInline is the attachment bytes the hub takes with a packet
	// (wire.Hello.MaxInline), as its first answer said.
	maxInline int64
}

// hello asks the hub who the agency is, first of all its requests, and
// keeps what the answer says of the hub's limits.
func (a *agency) hello(ctx context.Context) error {
	h, err := a.client.Hello(ctx)
	if err != nil {
		return fmt.Errorf("hello as %s: %w", a.code, err)
	}
	a.maxInline = h.MaxInline
	return nil
}

// send sends a document: its PDF with the packet when the hub takes it so
// and upload is false, else uploaded first.
func (a *agency) send(ctx context.Context, d *doc, upload bool) error {
	if !upload && int64(len(d.pdf)) <= a.maxInline {
		_, err := a.client.SubmitInline(ctx, d.packet, []hubclient.InlineFile{{SHA256: d.digest, Data: d.pdf}})
		return err
	}
	if err := a.client.Upload(ctx, d.digest, bytes.NewReader(d.pdf), int64(len(d.pdf)), 0, nil); err != nil {
		return err
	}
	_, err := a.client.Submit(ctx, d.packet)
	return err
}

// env is the hub a run talks to and the agencies that talk to it.
type env struct {
	dir      string // the run's folder
	addr     string
	pkiDir   string
	roots    []*x509.Certificate
	verifier *certs.Verifier
	hubKP    *certs.KeyPair // for the raw QUIC measurement's server side
	agencies []*agency
	opsAddr  string // the hub's /metrics listener, when this run started the hub
	// procs is GOMAXPROCS for the exchange when the hub runs in this
	// process (the hub's own setting); 0 otherwise.
	procs int
	// nodes are the hub's processes, one per node, and hubProcs the
	// GOMAXPROCS of each; none and 0 when the hub runs in this process or
	// elsewhere. nodeAddrs are the nodes' addresses, in the same order.
	nodes     []*hubProcess
	nodeAddrs []string
	hubProcs  int
	// db is the run's PostgreSQL database, when it has one.
	db   *database
	stop func() error
}

// setup starts a hub over a fresh demo PKI with opts.Agencies issued
// agencies, as a process of its own or, with opts.InProcess, in this one;
// or, with opts.Hub set, uses the demo agencies of the PKI folder opts.PKI
// against that hub.
func setup(ctx context.Context, opts *Options) (*env, error) {
	if opts.Hub != "" {
		return setupRemote(opts)
	}
	binary := ""
	if !opts.InProcess {
		var err error
		if binary, err = hubBinary(opts.HubBinary); err != nil {
			return nil, err
		}
	}
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "lienthong-bench-")
		if err != nil {
			return nil, err
		}
		dir = d
	}
	removeDir := func() error {
		if opts.Dir == "" {
			return os.RemoveAll(dir)
		}
		return nil
	}
	e, err := newEnv(dir, opts)
	if err == nil {
		e.dir = dir
	}
	if err == nil && opts.Postgres != "" {
		e.db, err = createDatabase(ctx, opts.Postgres, opts.PostgresPIDs, opts.PostgresExisting)
		if err == nil {
			prev := removeDir
			removeDir = func() error { return errors.Join(e.db.drop(), prev()) }
		}
	}
	if err == nil {
		if opts.InProcess {
			err = e.startInProcess(ctx, dir, opts)
		} else {
			err = e.startProcess(ctx, dir, binary, opts)
		}
	}
	if err != nil {
		_ = removeDir()
		return nil, err
	}
	stopHub := e.stop
	e.stop = func() error { return errors.Join(stopHub(), removeDir()) }
	return e, nil
}

// newEnv makes a demo PKI in dir/pki and issues opts.Agencies agencies
// from it, written beside the demo's own so that other processes (the
// idle clients) can connect as them.
func newEnv(dir string, opts *Options) (*env, error) {
	e := &env{pkiDir: filepath.Join(dir, "pki")}
	if err := certs.Demo(e.pkiDir, certs.ECDSAP256); err != nil {
		return nil, fmt.Errorf("demo pki: %w", err)
	}
	pki, err := certs.OpenPKI(e.pkiDir, nil)
	if err != nil {
		return nil, fmt.Errorf("open pki: %w", err)
	}
	for i := range opts.Agencies {
		code := AgencyCode(i)
		kp, err := pki.Issuing.IssueAgency(certs.AgencyRequest{Code: code, Name: fmt.Sprintf("Cơ quan thử tải %d", i+1)}, certs.ECDSAP256)
		if err != nil {
			return nil, fmt.Errorf("issue agency %s: %w", code, err)
		}
		keyPEM, err := certs.EncodeKeyPEM(kp.Key)
		if err != nil {
			return nil, err
		}
		base := filepath.Join(e.pkiDir, "agencies", string(code))
		if err := os.WriteFile(base+".crt", certs.EncodeCertificatesPEM(kp.Certificates()...), 0o644); err != nil {
			return nil, err
		}
		if err := os.WriteFile(base+".key", keyPEM, 0o600); err != nil {
			return nil, err
		}
		e.agencies = append(e.agencies, &agency{code: code, name: kp.Leaf.Subject.CommonName, kp: kp, node: i % max(opts.Nodes, 1)})
	}
	e.stop = func() error { return nil }
	return e, e.loadTrust()
}

// hubConfig is the configuration of a node of the hub under test: the
// demo PKI's hub certificate, its data folder dir/data (its store, unless
// the run's database holds it), the agencies' API on listen and /metrics
// on ops, both on loopback.
func (e *env) hubConfig(dir, data, listen, ops string) (config.Config, error) {
	cfg := config.Default()
	cfg.Listen, cfg.OpsListen, cfg.DataDir = listen, ops, filepath.Join(dir, data)
	if e.db != nil {
		cfg.Store, cfg.PostgresURL = config.StorePostgres, e.db.url
	}
	cfg.TLSCert, cfg.TLSKey = filepath.Join(e.pkiDir, "hub.crt"), filepath.Join(e.pkiDir, "hub.key")
	cfg.ReceiptCert, cfg.ReceiptKey = filepath.Join(e.pkiDir, "receipt.crt"), filepath.Join(e.pkiDir, "receipt.key")
	cfg.Roots, cfg.CRLs = filepath.Join(e.pkiDir, "ca.crt"), []string{filepath.Join(e.pkiDir, "ca.crl")}
	cfg.ShutdownGrace = config.Duration(5 * time.Second)
	// The load is the point: lift the per-agency request limits, which
	// would otherwise measure themselves (idle mode holds thousands of
	// long polls of a few agencies).
	cfg.RequestsPerSecond, cfg.Burst = 1e6, 1e6
	cfg.MaxInFlight, cfg.MaxInFlightPerAgency = 1<<20, 1<<20
	cfg.LogLevel = "warn"
	return cfg, cfg.Validate()
}

// upserter is where the agencies are entered in the hub's directory: its
// store in-process, its control socket otherwise.
type upserter interface {
	UpsertAgency(ctx context.Context, a *store.Agency, at time.Time) (bool, error)
}

// register enters the run's agencies in the hub's directory.
func (e *env) register(ctx context.Context, st upserter) error {
	for _, a := range e.agencies {
		if _, err := st.UpsertAgency(ctx, &store.Agency{Code: a.code, Name: a.name, Level: a.code.Level(), Active: true}, time.Now()); err != nil {
			return fmt.Errorf("directory: %w", err)
		}
	}
	return nil
}

// startInProcess runs the hub in this process.
func (e *env) startInProcess(ctx context.Context, dir string, opts *Options) error {
	ops, err := FreeAddr()
	if err != nil {
		return err
	}
	cfg, err := e.hubConfig(dir, "data", "127.0.0.1:0", ops)
	if err != nil {
		return err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h, err := service.Open(cfg, log)
	if err != nil {
		return fmt.Errorf("start hub: %w", err)
	}
	if err := e.register(ctx, h.Store()); err != nil {
		h.Close()
		return err
	}
	e.procs = cfg.Procs()
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(runCtx) }()
	e.addr, e.opsAddr = h.Addr(), ops
	e.stop = func() error {
		e.closeClients()
		cancel()
		return <-done
	}
	return nil
}

func setupRemote(opts *Options) (*env, error) {
	if opts.PKI == "" {
		return nil, errors.New("bench: --pki is needed with --hub")
	}
	if opts.Agencies > len(certs.DemoAgencies) {
		return nil, fmt.Errorf("bench: a demo PKI has %d agencies, %d asked", len(certs.DemoAgencies), opts.Agencies)
	}
	e := &env{addr: opts.Hub, pkiDir: opts.PKI}
	for _, a := range certs.DemoAgencies[:opts.Agencies] {
		base := filepath.Join(opts.PKI, "agencies", string(a.Code))
		kp, err := certs.LoadKeyPair(base+".crt", base+".key", nil)
		if err != nil {
			return nil, fmt.Errorf("agency %s: %w", a.Code, err)
		}
		e.agencies = append(e.agencies, &agency{code: a.Code, name: a.Name, kp: kp})
	}
	e.stop = func() error { e.closeClients(); return nil }
	if err := e.loadTrust(); err != nil {
		return nil, err
	}
	return e, nil
}

// loadTrust reads the roots and the hub's key pair from the PKI folder.
func (e *env) loadTrust() error {
	roots, err := certs.ReadCertificates(filepath.Join(e.pkiDir, certs.RootCertFile))
	if err != nil {
		return fmt.Errorf("roots: %w", err)
	}
	e.roots = roots
	if e.verifier, err = certs.NewVerifier(roots); err != nil {
		return err
	}
	e.hubKP, err = certs.LoadKeyPair(filepath.Join(e.pkiDir, "hub.crt"), filepath.Join(e.pkiDir, "hub.key"), nil)
	if err != nil {
		return fmt.Errorf("hub key pair: %w", err)
	}
	return nil
}

// connect makes each agency's client, on the transports opts say; with
// pollAddr, a long-poll front's address, it holds its long polls there, on
// the same transport as its other requests.
func (e *env) connect(opts Options, pollAddr string) error {
	for _, a := range e.agencies {
		addr := e.addr
		if len(e.nodeAddrs) > 0 {
			addr = e.nodeAddrs[a.node]
		}
		c, err := hubclient.New(addr, a.kp, e.verifier, hubclient.Options{ServerName: "localhost", DisableQUIC: opts.TCP, BulkQUIC: opts.BulkQUIC, PollAddr: pollAddr, PollQUIC: !opts.TCP})
		if err != nil {
			return err
		}
		a.client = c
	}
	return nil
}

func (e *env) closeClients() {
	for _, a := range e.agencies {
		if a.client != nil {
			a.client.Close()
		}
	}
}

// FreeAddr returns a loopback address whose port is free now for UDP and
// TCP (FreePort).
func FreeAddr() (string, error) {
	port, err := FreePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

// Ports handed out by FreePort lie below the kernel's ephemeral range
// (Linux's default begins at 32768): a port the kernel picked for a
// listener on port 0 or for an outgoing connection, which another test
// running at the same time may hold any moment, is never one of them.
const (
	freePortLow  = 20000
	freePortHigh = 32000
)

// FreePort returns a loopback port free now for both UDP and TCP, as a
// hub's listen address needs (HTTP/3 and HTTP/2 on one port), picked at
// random below the ephemeral range. The caller binds it later, so it is
// only as free as nobody else picked it meanwhile; outside the range the
// kernel hands out, only another FreePort could. The tests that run hubs
// as processes take theirs here too.
func FreePort() (int, error) {
	for range 200 {
		port := freePortLow + rand.IntN(freePortHigh-freePortLow)
		udp, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		tcp, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		udp.Close()
		if err == nil {
			tcp.Close()
			return port, nil
		}
	}
	return 0, errors.New("no loopback port free for both UDP and TCP")
}
