// Package bench is the hub's load generator (lienthong-hub bench). It
// starts a hub in-process (or targets one), simulates agencies with their
// own certificates that send each other real PAdES-signed PDFs of a given
// size through the real client and acknowledge what they receive, and
// measures:
//
//   - documents and megabytes per second relayed end to end (upload,
//     submit, long-polled inbox, download, acknowledge);
//   - documents per second durably accepted (the hub answered Submit, which
//     it does only after an fsync);
//   - the latency from the sender starting to send to the recipient having
//     the document (downloaded, checked and acknowledged), p50 and p99;
//   - next to them, the raw rate of the same bytes over one plain quic-go
//     stream on loopback with the same certificates and TLS configuration,
//     measured in the same run, and the ratio of the two;
//   - the ceiling of an exchange of that shape: the same documents between
//     the same agencies through a bare QUIC relay that keeps each in memory
//     (two crossings and nothing else), once as is and once checking each
//     document's SHA-256 at the relay and at the recipient, the least a
//     content-addressed exchange does (RawRelay);
//   - in idle mode, the hub's memory per idle long-polling connection.
//
// Everything runs on loopback and is bounded in count and time.
// Documents and packets are made and signed before the clock starts, so
// the figures are the hub's and the transport's, not the PDF signer's.
package bench

import (
	"bytes"
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
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
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
	// AcceptOnly sends without receiving: it measures durable acceptance
	// alone (deliveries stay queued).
	AcceptOnly bool
	// Hub targets a running hub ("host:port") instead of starting one; PKI
	// is then its demo PKI folder, whose agencies (at most 6) are used.
	Hub, PKI string
	// Dir holds the in-process hub's PKI and store; empty: a temporary
	// folder, removed at the end.
	Dir string
	// RawBytes is how many bytes the raw QUIC measurement sends; 0: the
	// documents' bytes, at least 64 MiB (repeated) and at most 1 GiB.
	RawBytes int64
	Logger   *slog.Logger // the in-process hub's log; nil: discarded
	// HeapProfile, in idle mode, receives a heap profile (pprof) taken
	// while the idle connections are open; nil: none.
	HeapProfile io.Writer
	// CPUProfile receives a CPU profile (pprof) of the exchange alone:
	// not the documents' signing, nor the raw measurement; nil: none.
	CPUProfile io.Writer
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
	case o.Docs < 1 || o.Concurrency < 1 || o.Rate < 0:
		return errors.New("bench: docs and concurrency must be positive, rate not negative")
	case o.Size*int64(o.Docs) > MaxPrepared:
		return fmt.Errorf("bench: %d documents of %d bytes is over the %d bytes a run prepares", o.Docs, o.Size, int64(MaxPrepared))
	}
	return nil
}

// Result is what a run measured.
type Result struct {
	Options   Options
	Transport string // "h3" or "h2"

	Accepted, Delivered, Failed int
	Bytes                       int64         // attachment bytes delivered
	Elapsed                     time.Duration // first send started to last acknowledgement
	AcceptElapsed               time.Duration // first send started to last Submit answered

	DocsPerSec, MBPerSec float64 // delivered end to end
	// CPUPerGB is the CPU-seconds the process (hub and agencies) used per
	// gigabyte delivered, over the exchange; CPUPerDoc the same per
	// document accepted.
	CPUPerGB       float64
	CPUPerDoc      time.Duration
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
	// Procs is GOMAXPROCS during the exchange, RawProcs during the raw
	// QUIC measurement.
	Procs, RawProcs int
	// ServerTimes is the in-process hub's mean time per route (long polls
	// included in GET /v1/inbox), to see what dominates.
	ServerTimes []RouteTime
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
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	e, err := setup(ctx, &opts)
	if err != nil {
		return nil, err
	}
	res, err := run(ctx, e, opts)
	return res, errors.Join(err, e.stop())
}

func run(ctx context.Context, e *env, opts Options) (*Result, error) {
	docs, err := prepare(ctx, e, opts)
	if err != nil {
		return nil, err
	}
	chunks := make([][]byte, len(docs))
	for i, d := range docs {
		chunks[i] = d.pdf
	}
	raw, err := RawQUIC(ctx, e.hubKP, e.agencies[0].kp, e.verifier, chunks, opts.RawBytes, opts.Concurrency)
	if err != nil {
		return nil, fmt.Errorf("raw quic: %w", err)
	}
	if err := e.connect(opts.TCP); err != nil {
		return nil, err
	}
	// One request each first, so that handshakes are not timed.
	for _, a := range e.agencies {
		if _, err := a.client.Hello(ctx); err != nil {
			return nil, fmt.Errorf("hello as %s: %w", a.code, err)
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
	relay, relayChecked, err := e.rawRelays(ctx, docs, opts)
	if err != nil {
		return nil, fmt.Errorf("raw relay: %w", err)
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
	res.Raw, res.Relay, res.RelayChecked = raw, relay, relayChecked
	res.Procs, res.RawProcs = runtime.GOMAXPROCS(0), rawProcs
	if raw.MBPerSec > 0 {
		res.Ratio = res.MBPerSec / raw.MBPerSec
	}
	res.Transport = e.agencies[0].client.Transport()
	if e.opsAddr != "" {
		if res.ServerTimes, err = scrapeRouteTimes(ctx, e.opsAddr); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// prepare makes and signs every document and its packet: document i goes
// from agency i mod N to another agency, the pairs cycling through all.
func prepare(ctx context.Context, e *env, opts Options) ([]*doc, error) {
	n := len(e.agencies)
	docs := make([]*doc, opts.Docs)
	pads := make([]int, n)
	for i := range docs {
		from := i % n
		to := (from + 1 + (i/n)%(n-1)) % n
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

// tracker records when each document started and when it was delivered.
type tracker struct {
	mu          sync.Mutex
	start       map[string]time.Time
	first       time.Time
	lastAccept  time.Time
	lastDeliver time.Time
	latencies   []time.Duration
	acceptLat   []time.Duration
	accepted    int
	failed      int
	delivered   int
	bytes       int64
	firstErr    error
	sendersDone bool
	allDone     chan struct{}
}

func (t *tracker) begin(id string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.start[id] = at
	if t.first.IsZero() || at.Before(t.first) {
		t.first = at
	}
}

func (t *tracker) accept(id string, err error) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.failed++
		if t.firstErr == nil {
			t.firstErr = err
		}
		return
	}
	t.accepted++
	t.lastAccept = now
	t.acceptLat = append(t.acceptLat, now.Sub(t.start[id]))
}

func (t *tracker) deliver(id string, size int64) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	start, ok := t.start[id]
	if !ok {
		return // not this run's
	}
	delete(t.start, id)
	t.delivered++
	t.bytes += size
	t.lastDeliver = now
	t.latencies = append(t.latencies, now.Sub(start))
	t.checkDone()
}

func (t *tracker) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.firstErr == nil {
		t.firstErr = err
	}
}

func (t *tracker) sendersFinished() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sendersDone = true
	t.checkDone()
}

func (t *tracker) checkDone() {
	if t.sendersDone && t.delivered >= t.accepted {
		select {
		case <-t.allDone:
		default:
			close(t.allDone)
		}
	}
}

// exchange sends docs and receives them at the same time, and measures.
func exchange(ctx context.Context, e *env, docs []*doc, opts Options) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	tr := &tracker{start: map[string]time.Time{}, allDone: make(chan struct{})}
	cpu0 := processCPU()

	recvCtx, stopReceivers := context.WithCancel(ctx)
	var receivers sync.WaitGroup
	for _, a := range e.agencies {
		if opts.AcceptOnly {
			break
		}
		receivers.Add(1)
		go func() {
			defer receivers.Done()
			receive(recvCtx, e, a, tr)
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the long polls reach the hub

	type job struct {
		d  *doc
		at time.Time
	}
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		// With a rate, document i is due at begin + i/rate, and its
		// latency counts from then even if every sender was busy: a
		// backlog shows in the figures instead of slowing the schedule.
		begin := time.Now()
		for i, d := range docs {
			at := time.Now()
			if opts.Rate > 0 {
				at = begin.Add(time.Duration(float64(i) / opts.Rate * float64(time.Second)))
				if wait := time.Until(at); wait > 0 {
					select {
					case <-time.After(wait):
					case <-ctx.Done():
						return
					}
				}
			}
			select {
			case jobs <- job{d, at}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var senders sync.WaitGroup
	for range opts.Concurrency {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for j := range jobs {
				start := j.at
				if opts.Rate == 0 {
					start = time.Now()
				}
				tr.begin(j.d.id, start)
				c := e.agencies[j.d.from].client
				err := c.Upload(ctx, j.d.digest, bytes.NewReader(j.d.pdf), int64(len(j.d.pdf)), 0, nil)
				if err == nil {
					_, err = c.Submit(ctx, j.d.packet)
				}
				tr.accept(j.d.id, err)
			}
		}()
	}
	senders.Wait()
	tr.sendersFinished()
	if !opts.AcceptOnly {
		select {
		case <-tr.allDone:
		case <-ctx.Done():
		}
	}
	cpu := processCPU() - cpu0
	stopReceivers()
	receivers.Wait()

	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.delivered < tr.accepted && !opts.AcceptOnly {
		return nil, fmt.Errorf("bench: %d of %d accepted documents delivered before the time limit (first error: %v)", tr.delivered, tr.accepted, tr.firstErr)
	}
	res := &Result{
		Options: opts, Accepted: tr.accepted, Delivered: tr.delivered, Failed: tr.failed, Bytes: tr.bytes,
		Elapsed: tr.lastDeliver.Sub(tr.first), AcceptElapsed: tr.lastAccept.Sub(tr.first), FirstError: tr.firstErr,
	}
	if res.Elapsed > 0 {
		res.DocsPerSec = float64(res.Delivered) / res.Elapsed.Seconds()
		res.MBPerSec = float64(res.Bytes) / 1e6 / res.Elapsed.Seconds()
	}
	if res.AcceptElapsed > 0 {
		res.AcceptedPerSec = float64(res.Accepted) / res.AcceptElapsed.Seconds()
	}
	res.CPUPerGB = cpuPerGB(cpu, res.Bytes)
	if res.Accepted > 0 {
		res.CPUPerDoc = cpu / time.Duration(res.Accepted)
	}
	res.P50, res.P99, res.Max = percentiles(tr.latencies)
	res.AcceptP50, res.AcceptP99, _ = percentiles(tr.acceptLat)
	return res, nil
}

// receiveParallel is how many documents of an inbox page an agency
// fetches at once.
const receiveParallel = 4

// receive is one agency's receiving loop: long-poll the inbox, verify the
// packet, download and check each attachment, acknowledge.
func receive(ctx context.Context, e *env, a *agency, tr *tracker) {
	var after uint64
	for ctx.Err() == nil {
		in, err := a.client.Inbox(ctx, after, 5*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				tr.fail(fmt.Errorf("inbox of %s: %w", a.code, err))
				time.Sleep(50 * time.Millisecond)
			}
			continue
		}
		// A page is fetched a few documents at a time, as a sync engine
		// with parallel downloads would.
		var wg sync.WaitGroup
		sem := make(chan struct{}, receiveParallel)
		for _, item := range in.Items {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				size, err := fetch(ctx, e, a, item)
				if err != nil {
					if ctx.Err() == nil {
						tr.fail(err)
					}
					return
				}
				tr.deliver(item.MessageID, size)
			}()
		}
		wg.Wait()
		after = in.Next
	}
}

func fetch(ctx context.Context, e *env, a *agency, item wire.InboxItem) (int64, error) {
	d, _, err := envelope.OpenDocument(item.Packet, e.verifier, 0)
	if err != nil {
		return 0, fmt.Errorf("packet %s: %w", item.MessageID, err)
	}
	var size int64
	for _, att := range d.Attachments {
		h := sha256.New()
		n, err := a.client.Download(ctx, item.MessageID, att.SHA256, 0, h)
		if err != nil {
			return 0, fmt.Errorf("download %s: %w", item.MessageID, err)
		}
		if hex.EncodeToString(h.Sum(nil)) != att.SHA256 || n != att.Size {
			return 0, fmt.Errorf("download %s: the attachment does not match its digest", item.MessageID)
		}
		size += n
	}
	if _, err := a.client.Ack(ctx, item.MessageID); err != nil {
		return 0, fmt.Errorf("ack %s: %w", item.MessageID, err)
	}
	return size, nil
}

func percentiles(d []time.Duration) (p50, p99, maximum time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.5) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return at(0.50), at(0.99), s[len(s)-1]
}

// Print writes the result in the tool's fixed shape.
func (r *Result) Print(w io.Writer) {
	o := r.Options
	rate := "unlimited"
	if o.Rate > 0 {
		rate = fmt.Sprintf("%g docs/s", o.Rate)
	}
	fmt.Fprintf(w, "agencies %d, documents %d of %d bytes (signed PDFs), concurrency %d, rate %s, transport %s, GOMAXPROCS %d (raw QUIC: %d)\n",
		o.Agencies, o.Docs, o.Size, o.Concurrency, rate, r.Transport, r.Procs, r.RawProcs)
	fmt.Fprintf(w, "raw QUIC, one stream, same TLS:  %8.1f MB/s  (%d MB in %v, %.2f CPU-s/GB both ends)\n", r.Raw.MBPerSec, r.Raw.Bytes/1e6, r.Raw.Elapsed.Round(time.Millisecond), r.Raw.CPUPerGB)
	fmt.Fprintf(w, "raw QUIC, a stream per document: %8.1f MB/s  (%d streams at once, one connection)\n", r.Raw.PerDocMBPerSec, r.Raw.Parallel)
	if rl := r.Relay; rl.MBPerSec > 0 {
		fmt.Fprintf(w, "raw QUIC relay, two crossings:   %8.1f MB/s  = %.0f%% of raw (same documents: agencies → relay in memory → agencies, %d at once, %.2f CPU-s/GB)\n",
			rl.MBPerSec, 100*rl.MBPerSec/r.Raw.MBPerSec, rl.Parallel, rl.CPUPerGB)
	}
	if rl := r.RelayChecked; rl.MBPerSec > 0 {
		fmt.Fprintf(w, "  and checking SHA-256 twice:    %8.1f MB/s  = %.0f%% of raw (at the relay and the recipient, %.2f CPU-s/GB)\n",
			rl.MBPerSec, 100*rl.MBPerSec/r.Raw.MBPerSec, rl.CPUPerGB)
	}
	fmt.Fprintf(w, "end to end (delivered, acked):   %8.1f MB/s  %8.1f docs/s  = %.0f%% of raw (ceiling 50%%: each byte crosses QUIC twice)",
		r.MBPerSec, r.DocsPerSec, 100*r.Ratio)
	if r.RelayChecked.MBPerSec > 0 {
		fmt.Fprintf(w, ", %.0f%% of the checking relay", 100*r.MBPerSec/r.RelayChecked.MBPerSec)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "CPU of the exchange (hub+agencies): %v per document", r.CPUPerDoc.Round(time.Microsecond))
	if r.Bytes > 0 {
		fmt.Fprintf(w, ", %.2f CPU-s/GB delivered", r.CPUPerGB)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "durably accepted (Submit OK):    %8.1f docs/s  (%d in %v)\n", r.AcceptedPerSec, r.Accepted, r.AcceptElapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "latency send to delivered:       p50 %v  p99 %v  max %v\n", r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond))
	fmt.Fprintf(w, "latency send to accepted:        p50 %v  p99 %v\n", r.AcceptP50.Round(10*time.Microsecond), r.AcceptP99.Round(10*time.Microsecond))
	if len(r.ServerTimes) > 0 {
		fmt.Fprintf(w, "hub time per request (mean):    ")
		for _, rt := range r.ServerTimes {
			fmt.Fprintf(w, " %s %v ×%.0f;", rt.Route, rt.Mean.Round(10*time.Microsecond), rt.Count)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "failed: %d", r.Failed)
	if r.FirstError != nil {
		fmt.Fprintf(w, " (first error: %v)", r.FirstError)
	}
	fmt.Fprintln(w)
}

// ParseSize reads a size as the tool's flags give it: "10240", "10KB" or
// "1MB" (KB and MB are ×1024, case ignored).
func ParseSize(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case strings.HasSuffix(u, "MB"):
		mult, u = 1<<20, strings.TrimSuffix(u, "MB")
	case strings.HasSuffix(u, "KB"):
		mult, u = 1<<10, strings.TrimSuffix(u, "KB")
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return 0, fmt.Errorf("want a positive size like 10240, 10KB or 1MB, got %q", s)
	}
	return n * mult, nil
}
