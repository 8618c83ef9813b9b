// Package bench is the hub's load generator, run as lienthong-bench. It
// starts the hub under test as a process of its own ("lienthong-hub serve"
// on a configuration it writes over a fresh demo PKI; or, for tests and
// profiles, in this process; or it targets a running hub), simulates
// agencies with their own certificates that send each other real
// PAdES-signed PDFs of a given size through the real client and
// acknowledge what they receive, and measures:
//
//   - documents and megabytes per second relayed end to end (the PDF
//     with its packet in one request, as the clerk sends what the hub's
//     Hello.MaxInline allows, or uploaded first with Options.Upload or
//     when larger; then long-polled inbox, download, acknowledge);
//   - documents per second durably accepted (the hub answered Submit, which
//     it does only after an fsync);
//   - the latency from the sender starting to send to the recipient having
//     the document (downloaded, checked and acknowledged), p50 and p99;
//   - the CPU time the hub process used over the exchange, per gigabyte
//     and per document, apart from the agencies' (this process's): what
//     sizes a data centre's hub (Result.Hub, Result.Local);
//   - next to them, the raw rate of the same bytes over one plain quic-go
//     stream on loopback with the same certificates and TLS configuration,
//     measured in the same run, and the ratio of the two;
//   - the ceiling of an exchange of that shape: the same documents between
//     the same agencies through a bare QUIC relay that keeps each in memory
//     (two crossings and nothing else), once as is and once checking each
//     document's SHA-256 at the relay and at the recipient, the least a
//     content-addressed exchange does (RawRelay); and the checking relay
//     once more over TLS on TCP (RawTCPRelay), for clients that move
//     large transfers to HTTP/2 over TCP;
//   - in idle mode, the hub's memory per idle long-polling connection (the
//     hub then runs in this process, which reads its heap, and the
//     clients in another), and, with a rate, the latencies of an exchange
//     between other agencies through the same hub while they poll.
//
// The raw stream runs in this process, both its ends, so its CPU figure
// covers both together. The relays' agencies run in this process; the
// relay side runs in a child process when Options.SpawnRelay says how to
// start one (lienthong-bench does), whose CPU time the run reads apart,
// so that the hub's CPU per gigabyte is compared with the checking
// relays' own in the same run (Result.HubToRelayCPU,
// Result.HubToTCPRelayCPU); else in this one. The hub process's CPU time
// is read on Linux. Everything runs on loopback and is bounded in count
// and time.
// Documents and packets are made and signed before the clock starts, so
// the figures are the hub's and the transport's, not the PDF signer's.
package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"

	"lienthong/shared/document"
	"lienthong/shared/envelope"
)

// Options describe a run. The zero value of each field takes the default
// written beside it.
type Options struct {
	Agencies    int           // simulated agencies; 0: 4
	Size        int64         // bytes of each signed PDF (at least about 9.3 KB, the signature's room); 0: 10 KB
	Docs        int           // documents to send; 0: 200
	Concurrency int           // documents being sent at once; 0: 2 × Agencies
	Rate        float64       // documents started per second; 0: as fast as Concurrency allows
	Timeout     time.Duration // bound on the whole exchange; 0: 5 minutes
	TCP         bool          // HTTP/2 over TCP instead of HTTP/3 over QUIC
	// BulkQUIC sends the agencies' bulk transfers (hubclient.BulkMin)
	// over QUIC too, where by default they go over TCP, as a clerk's do.
	BulkQUIC bool
	// Warmup is how many documents are sent first, as the measured ones
	// are and at the same rate, and counted in no figure but their own
	// (Result.Warmup): a freshly started hub's first second is slower
	// than its steady state; 0: none.
	Warmup int
	// AcceptOnly sends without receiving: it measures durable acceptance
	// alone (deliveries stay queued).
	AcceptOnly bool
	// Upload uploads every PDF before its packet, as hubs before
	// 2026-12-05 required; by default a PDF the hub takes with its packet
	// (wire.Hello.MaxInline) goes with it, in one request.
	Upload bool
	// InProcess runs the hub in this process, for tests and profiles; by
	// default it runs as a process of its own, so that its CPU time is
	// told apart from the agencies'.
	InProcess bool
	// Postgres puts the hub's store on PostgreSQL: the connection string
	// of a server on which the run creates a database of its own (its role
	// may create databases), dropped at the end. Empty: bbolt.
	Postgres string
	// Nodes is how many hub processes serve the run on that database; 0:
	// 1. Agency i talks to node i mod Nodes, and each document goes to an
	// agency of another node than its sender's.
	Nodes int
	// PostgresExisting makes the run use Postgres's own database instead
	// of creating one (for a role that may not create databases, as on a
	// Patroni cluster): it must be empty, and the run drops what its role
	// owns in it at the end.
	PostgresExisting bool
	// PostgresPIDs are the PostgreSQL servers' postmasters (one per
	// machine of a cluster), whose CPU time (with their children's) the
	// run reports, summed; none: read from the socket's lock file when
	// Postgres names a local socket folder, else none.
	PostgresPIDs []int
	// HubBinary is the hub's executable to run; empty: FindHubBinary's.
	HubBinary string
	// HubLog receives the hub process's log (JSON, warnings and above)
	// besides Dir/hub.log; nil: the file only.
	HubLog io.Writer
	// Hub targets a running hub ("host:port") instead of starting one; PKI
	// is then its demo PKI folder, whose agencies (at most 6) are used.
	Hub, PKI string
	// Dir holds the started hub's PKI, configuration, log and store;
	// empty: a temporary folder, removed at the end.
	Dir string
	// RawBytes is how many bytes the raw QUIC measurement sends; 0: the
	// documents' bytes, at least 64 MiB (repeated) and at most 1 GiB.
	RawBytes int64
	Logger   *slog.Logger // the in-process hub's log; nil: discarded
	// ExchangeAgencies, in idle mode with a Rate, is how many agencies
	// (besides the idle clients' Agencies) exchange documents while the
	// idle connections are open; 0: DefaultExchangeAgencies.
	ExchangeAgencies int
	// IdleDeadAfter is the idle clients' hubclient.Options.DeadAfter
	// (they ping every third of it); 0: the client's default, a clerk's.
	IdleDeadAfter time.Duration
	// IdleCPUWindow, in idle mode, is how long the CPU the idle
	// connections cost is measured, once they have settled; 0:
	// DefaultIdleCPUWindow.
	IdleCPUWindow time.Duration
	// Front, in idle mode, has a long-poll front (lienthong-hub front, a
	// process of its own beside the hub, package hub/front) hold the long
	// polls: the idle clients' and the exchange's recipients'.
	Front bool
	// HeapProfile, in idle mode, receives a heap profile (pprof) taken
	// while the idle connections are open; nil: none.
	HeapProfile io.Writer
	// CPUProfile receives a CPU profile (pprof) of the exchange alone:
	// not the documents' signing, nor the raw measurement; nil: none. It
	// needs InProcess: a profile shows this process only.
	CPUProfile io.Writer
	// SpawnRelay starts the bare and the checking QUIC relays and the
	// checking TCP relay each as a
	// process of its own (RelayServe in it), so that the relay side's CPU
	// time is read apart from the agencies'; nil: they run in this
	// process, and only the two sides' CPU together is known.
	SpawnRelay RelaySpawner
}

// MaxPrepared bounds the bytes of documents prepared in memory for a run.
const MaxPrepared = 1 << 30

func (o *Options) defaults() error {
	if o.Agencies == 0 {
		o.Agencies = 4
	}
	if o.Size == 0 {
		o.Size = 10 << 10
	}
	if o.Docs == 0 {
		o.Docs = 200
	}
	if o.Concurrency == 0 {
		o.Concurrency = 2 * o.Agencies
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	switch {
	case o.Agencies < 2 || o.Agencies > MaxAgencies:
		return fmt.Errorf("bench: agencies must be between 2 and %d", MaxAgencies)
	case o.Size < 1024 || o.Size > envelope.DefaultMaxAttachment:
		return fmt.Errorf("bench: size must be between 1 KiB and %d bytes", envelope.DefaultMaxAttachment)
	case o.Docs < 1 || o.Concurrency < 1 || o.Rate < 0 || o.Warmup < 0:
		return errors.New("bench: docs and concurrency must be positive, rate and warm-up not negative")
	case o.Size*int64(o.Docs+o.Warmup) > MaxPrepared:
		return fmt.Errorf("bench: %d documents of %d bytes is over the %d bytes a run prepares", o.Docs+o.Warmup, o.Size, int64(MaxPrepared))
	case o.Hub != "" && (o.InProcess || o.HubBinary != ""):
		return errors.New("bench: --hub targets a running hub: --in-process and --hub-binary do not apply")
	case o.Nodes < 0 || o.Nodes > 1 && o.Postgres == "":
		return errors.New("bench: several hub nodes share a PostgreSQL database: --nodes needs --postgres")
	case o.Nodes > 1 && (o.InProcess || o.Hub != ""):
		return errors.New("bench: --nodes starts hub processes: --in-process and --hub do not apply")
	case o.Nodes > o.Agencies:
		return errors.New("bench: give each node an agency at least (--agencies ≥ --nodes)")
	case o.Postgres != "" && o.Hub != "":
		return errors.New("bench: --hub targets a running hub: --postgres does not apply")
	case (len(o.PostgresPIDs) > 0 || o.PostgresExisting) && o.Postgres == "":
		return errors.New("bench: --postgres-pid and --postgres-db-exists go with --postgres")
	case o.CPUProfile != nil && !o.InProcess:
		return errors.New("bench: a CPU profile shows this process only: it needs the hub in it (--in-process)")
	}
	return nil
}

// Result is what a run measured.
type Result struct {
	Options   Options
	Transport string // "h3" or "h2"
	// BulkTransport is the bulk transfers' (hubclient.Client.BulkTransport),
	// "" when the run had none.
	BulkTransport string

	Accepted, Delivered, Failed int
	Bytes                       int64         // attachment bytes delivered
	AcceptedBytes               int64         // attachment bytes of the documents accepted
	Elapsed                     time.Duration // first send started to last acknowledgement
	AcceptElapsed               time.Duration // first send started to last Submit answered

	DocsPerSec, MBPerSec float64 // delivered end to end
	// Hub is the hub process's own CPU time over the exchange: its utime
	// and stime in /proc/<pid>/stat (all its threads, to 10 ms) read just
	// before and after, so that it covers what Local covers and nothing
	// else (not the hub's start, nor the raw and relay measurements while
	// it idles). Zero when the hub runs in this process or elsewhere.
	Hub CPUUse
	// Local is this process's CPU time over the exchange (getrusage): the
	// agencies' when the hub runs as a process of its own, the hub's and
	// the agencies' together with InProcess. Both are per gigabyte
	// delivered (accepted with AcceptOnly) and per document accepted.
	Local CPUUse
	// DB is the PostgreSQL server's CPU time over the exchange (its
	// postmasters and their children, read in /proc as Hub is); zero
	// without PostgreSQL or when its postmasters are unknown.
	DB CPUUse
	// Nodes is how many hub processes served the run (0: the hub ran in
	// this process or elsewhere); Hub sums their CPU time.
	Nodes          int
	AcceptedPerSec float64 // durably accepted (Submit answered)
	// Latency from the sender starting to send (at the scheduled moment
	// when Rate is set) to the recipient's acknowledgement answered.
	P50, P99, Max time.Duration
	// AcceptP50 and AcceptP99: from the start of sending to Submit
	// answered.
	AcceptP50, AcceptP99 time.Duration

	Raw   RawResult
	Ratio float64 // MBPerSec / Raw.MBPerSec
	// Relay is the bare QUIC relay of the same documents between the same
	// agencies, at the exchange's GOMAXPROCS: the exchange's ceiling.
	// RelayChecked is the same relay checking each document's SHA-256 at
	// the relay and at the recipient: the least a content-addressed
	// exchange does. Both are zero with AcceptOnly.
	Relay, RelayChecked RelayResult
	// RelayCheckedTCP is the checking relay over TLS on TCP
	// (RawTCPRelay), the yardstick of clients that move large transfers
	// to HTTP/2 over TCP; zero with AcceptOnly.
	RelayCheckedTCP RelayResult
	// HubToRelayCPU is the hub processes' CPU per gigabyte delivered over
	// the checking relay process's per gigabyte relayed, both read in the
	// same run (Options.SpawnRelay); 0 when either is unknown.
	HubToRelayCPU float64
	// HubToTCPRelayCPU is the same over the checking TCP relay's.
	HubToTCPRelayCPU float64
	// Procs is this process's GOMAXPROCS during the exchange, RawProcs
	// during the raw QUIC measurement, and HubProcs the hub process's (as
	// its configuration sets it; 0 when the hub is not a process this run
	// started). In-process, the exchange runs with the hub's setting.
	Procs, RawProcs, HubProcs int
	// ServerTimes is the hub's mean time per route over the exchange
	// (long polls included in GET /v1/inbox), to see what dominates.
	ServerTimes []RouteTime
	// Warmup is what the documents sent before the measured ones
	// measured (Options.Warmup); nil without.
	Warmup *Warmup
	// FirstError is one of the errors behind Failed, for the report.
	FirstError error
}

// doc is a prepared document.
type doc struct {
	from, to int
	id       string
	packet   []byte
	pdf      []byte
	digest   string
}

// Run performs a load run as opts say and returns what it measured.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Front {
		return nil, errors.New("bench: a long-poll front is for idle mode (Idle)")
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	e, err := setup(ctx, &opts)
	if err != nil {
		return nil, err
	}
	res, err := run(ctx, e, opts)
	if err != nil && ctx.Err() != nil {
		// What failed first is a consequence.
		err = fmt.Errorf("bench: stopped before the end: %w", context.Cause(ctx))
	}
	return res, errors.Join(err, e.stop())
}

func run(ctx context.Context, e *env, opts Options) (*Result, error) {
	docs, err := prepare(ctx, e, opts)
	if err != nil {
		return nil, err
	}
	warmDocs, docs := docs[:opts.Warmup], docs[opts.Warmup:]
	chunks := make([][]byte, len(docs))
	for i, d := range docs {
		chunks[i] = d.pdf
	}
	raw, err := RawQUIC(ctx, e.hubKP, e.agencies[0].kp, e.verifier, chunks, opts.RawBytes, opts.Concurrency)
	if err != nil {
		return nil, fmt.Errorf("raw quic: %w", err)
	}
	if err := e.connect(opts, ""); err != nil {
		return nil, err
	}
	// One request each first, so that handshakes are not timed.
	for _, a := range e.agencies {
		if err := a.hello(ctx); err != nil {
			return nil, err
		}
	}
	// The raw stream ran with the runtime's default GOMAXPROCS, its best
	// (spare procs slow a lone stream); the exchange runs as a hub does,
	// with its spare procs (config.Config.SpareProcs).
	rawProcs := runtime.GOMAXPROCS(0)
	if e.procs > 0 {
		runtime.GOMAXPROCS(e.procs)
		defer runtime.GOMAXPROCS(rawProcs)
	}
	relays, err := e.rawRelays(ctx, docs, opts)
	if err != nil {
		return nil, fmt.Errorf("raw relay: %w", err)
	}
	warm, err := warmUp(ctx, e, warmDocs, opts)
	if err != nil {
		return nil, err
	}
	var timesBefore []RouteTime
	if e.opsAddr != "" {
		if timesBefore, err = scrapeRouteTimes(ctx, e.opsAddr); err != nil {
			return nil, err
		}
	}
	if opts.CPUProfile != nil {
		if err := pprof.StartCPUProfile(opts.CPUProfile); err != nil {
			return nil, err
		}
	}
	res, err := exchange(ctx, e, docs, opts)
	if opts.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return nil, err
	}
	res.Raw, res.Relay, res.RelayChecked, res.RelayCheckedTCP, res.Warmup = raw, relays.bare, relays.checked, relays.checkedTCP, warm
	res.Procs, res.RawProcs, res.HubProcs, res.Nodes = runtime.GOMAXPROCS(0), rawProcs, e.hubProcs, len(e.nodes)
	if raw.MBPerSec > 0 {
		res.Ratio = res.MBPerSec / raw.MBPerSec
	}
	res.HubToRelayCPU = hubToRelay(res.Hub, relays.checked)
	res.HubToTCPRelayCPU = hubToRelay(res.Hub, relays.checkedTCP)
	res.Transport, res.BulkTransport = e.agencies[0].client.Transport(), e.agencies[0].client.BulkTransport()
	if e.opsAddr != "" {
		after, err := scrapeRouteTimes(ctx, e.opsAddr)
		if err != nil {
			return nil, err
		}
		res.ServerTimes = routeTimesSince(after, timesBefore)
	}
	return res, nil
}

// prepare makes and signs every document and its packet, the warm-up's
// first: document i goes from agency i mod N to another agency, the pairs
// cycling through all.
func prepare(ctx context.Context, e *env, opts Options) ([]*doc, error) {
	n := len(e.agencies)
	docs := make([]*doc, opts.Warmup+opts.Docs)
	pads := make([]int, n)
	for i := range docs {
		from, to := pair(i, n, max(opts.Nodes, 1))
		id := envelope.NewMessageID()
		pdf, err := signedPDF(ctx, e.agencies[from].kp, "Lienthong bench "+id, opts.Size, &pads[from])
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(pdf)
		d := &doc{from: from, to: to, id: id, pdf: pdf, digest: hex.EncodeToString(sum[:])}
		if d.packet, err = e.packet(d, i+1); err != nil {
			return nil, err
		}
		docs[i] = d
	}
	return docs, nil
}

// pair returns the sender and the recipient of document i among n
// agencies: the sender in turn, the recipient cycling through the others
// or, with several nodes (agency j on node j mod nodes), through the
// agencies of the other nodes.
func pair(i, n, nodes int) (from, to int) {
	from = i % n
	if nodes <= 1 {
		return from, (from + 1 + (i/n)%(n-1)) % n
	}
	others := n - (n-1-from%nodes)/nodes - 1 // agencies not on from's node
	j := (i / n) % others
	for to = 0; ; to++ {
		if to%nodes != from%nodes {
			if j == 0 {
				return from, to
			}
			j--
		}
	}
}

// packet composes and seals the envelope of d.
func (e *env) packet(d *doc, number int) ([]byte, error) {
	from, to := e.agencies[d.from], e.agencies[d.to]
	now := time.Now()
	payload, err := json.Marshal(&envelope.Document{
		Kind: envelope.KindDocument, MessageID: d.id, Created: now,
		Metadata: &document.Metadata{
			Version:    document.SchemaVersion,
			From:       document.Organ{Code: from.code, Name: from.name},
			CodeNumber: strconv.Itoa(number), CodeNotation: "TTLT", Type: document.TypeCongVan,
			Promulgation: document.Promulgation{Place: "Hà Nội", Date: document.DateOf(now)},
			Subject:      "Về việc thử tải Trục liên thông văn bản",
			Signer:       document.Signer{Competence: "KT. CHÁNH VĂN PHÒNG", Position: "PHÓ CHÁNH VĂN PHÒNG", FullName: "Nguyễn Văn Thử"},
			To:           []document.Recipient{{Code: to.code, Name: to.name}},
		},
		Attachments: []envelope.Attachment{{Name: "cong-van-" + d.id[:8] + ".pdf", ContentType: "application/pdf", Size: int64(len(d.pdf)), SHA256: d.digest}},
	})
	if err != nil {
		return nil, err
	}
	return envelope.Seal(payload, from.kp)
}
