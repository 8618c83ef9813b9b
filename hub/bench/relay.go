package bench

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"lienthong/certs"
)

// relayALPN names the relay measurement's protocol.
const relayALPN = "lienthong-bench-relay"

// RelayResult is the rate of a bare relay, over QUIC or over TLS on TCP:
// every document crosses twice, from its sender to the relay and from the
// relay to its recipient, and the relay keeps it in memory and does
// nothing else: no storage, no HTTP, no signature. It is the ceiling of an
// exchange of the same shape on the same machine.
type RelayResult struct {
	Bytes    int64
	Elapsed  time.Duration
	MBPerSec float64
	CPUPerGB float64 // CPU-seconds of relay and agencies per gigabyte delivered
	// RelayCPUPerGB is the relay side's own CPU-seconds per gigabyte,
	// read from its process when it ran in one of its own (RelayProc);
	// 0 when it ran in this process, beside the agencies.
	RelayCPUPerGB float64
	Parallel      int
	// Checked: the relay and the recipient each checked every document
	// against the SHA-256 its sender named, as a content-addressed
	// exchange must.
	Checked bool
	TCP     bool // over TLS on TCP (RawTCPRelay), not QUIC (RawRelay)
}

// hubToRelay is the hub's CPU per gigabyte over the relay process's; 0
// when either is unknown.
func hubToRelay(hub CPUUse, relay RelayResult) float64 {
	if hub.PerGB <= 0 || relay.RelayCPUPerGB <= 0 {
		return 0
	}
	return hub.PerGB / relay.RelayCPUPerGB
}

// RelayDoc is one document of RawRelay: its bytes, its SHA-256, and the
// indexes of its sender and recipient among the agencies.
type RelayDoc struct {
	Data     []byte
	SHA256   [32]byte
	From, To int
}

// relayHeader is what precedes a document on a relay stream: its index
// and its recipient's (4 bytes each, big-endian), its length (8 bytes)
// and its SHA-256. A stream whose index is relayHello instead is an
// agency's first, which names it in the recipient's place.
const relayHeader = 4 + 4 + 8 + sha256.Size

const relayHello = 1<<32 - 1

// errWrongDigest: a document's bytes are not those of the SHA-256 its
// sender named.
var errWrongDigest = errors.New("relay: the document does not match its SHA-256")

// RelayProc is a relay serving (ServeRelay, ServeTCPRelay) in a process
// of its own, so that a run reads its CPU time apart from the agencies'.
type RelayProc struct {
	Addr string // its QUIC or TCP address, as its RelaySpec says
	PID  int
}

// RelaySpec is what a relay process needs: the run's PKI folder (the
// hub's key pair and the roots, as the hub has them), whether it checks
// each document's SHA-256 and whether it relays over TLS on TCP rather
// than QUIC.
type RelaySpec struct {
	PKIDir string
	Check  bool
	TCP    bool
	Procs  int // its GOMAXPROCS, the hub's; 0: the runtime's default
}

// RelaySpawner starts a relay process and returns it and a function that
// stops it and waits for its end.
type RelaySpawner func(ctx context.Context, spec RelaySpec) (RelayProc, func() error, error)

// RawRelay relays docs over plain QUIC streams between the agencies, one
// connection each to a relay on loopback that runs with the hub's TLS and
// QUIC configuration: in this process, or the one at (then its CPU time is
// read apart, in RelayResult.RelayCPUPerGB). Each document goes on a
// stream of its own, parallel at once, headed by its index, recipient,
// length and SHA-256. The relay reads it whole, as a hub stores a document
// before delivery, and writes it on a new stream to the recipient, which
// reads it to the end and answers its count; the relay passes the count
// back to the sender. With check, the relay and the recipient hash what
// they read and refuse a document whose SHA-256 is not the one named. The
// clock runs from the first document sent to the last count received.
func RawRelay(ctx context.Context, hub *certs.KeyPair, agencies []*certs.KeyPair, v *certs.Verifier, docs []RelayDoc, parallel int, check bool, at *RelayProc) (RelayResult, error) {
	return rawRelay(ctx, false, hub, agencies, v, docs, parallel, check, at)
}

// relayEnds are the agencies' ends of a relay, connected and named to it:
// send sends document i and waits for its recipient's count.
type relayEnds interface {
	send(ctx context.Context, i int, d RelayDoc) error
	Close()
}

// rawRelay is RawRelay over QUIC, or RawTCPRelay over TLS on TCP.
func rawRelay(ctx context.Context, tcp bool, hub *certs.KeyPair, agencies []*certs.KeyPair, v *certs.Verifier, docs []RelayDoc, parallel int, check bool, at *RelayProc) (RelayResult, error) {
	parallel = max(parallel, 1)
	for _, d := range docs {
		if d.From < 0 || d.From >= len(agencies) || d.To < 0 || d.To >= len(agencies) {
			return RelayResult{}, errors.New("relay: a document's sender or recipient is not among the agencies")
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	relayCPU := func() (time.Duration, error) { return 0, nil }
	if at == nil {
		ln, err := listenRelay(hub, v, tcp)
		if err != nil {
			return RelayResult{}, err
		}
		defer ln.Close()
		wg.Go(func() { _ = ln.serve(ctx, check) })
		at = &RelayProc{Addr: ln.Addr().String()}
	} else {
		relayCPU = func() (time.Duration, error) { return pidCPU(at.PID) }
	}
	connect := connectRelay
	if tcp {
		connect = connectTCPRelay
	}
	ends, err := connect(ctx, at.Addr, agencies, v, parallel, check, &wg)
	if err != nil {
		return RelayResult{}, err
	}
	defer ends.Close()

	jobs := make(chan int)
	errs := make(chan error, parallel)
	var senders sync.WaitGroup
	sent := make([]int64, parallel)
	start, cpu0 := time.Now(), processCPU()
	rcpu0, err := relayCPU()
	if err != nil {
		return RelayResult{}, err
	}
	for w := range parallel {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := range jobs {
				d := docs[i]
				if err := ends.send(ctx, i, d); err != nil {
					errs <- fmt.Errorf("document %d: %w", i, err)
					cancel()
					return
				}
				sent[w] += int64(len(d.Data))
			}
		}()
	}
feed:
	for i := range docs {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	senders.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	rcpu, err := relayCPU()
	if err != nil {
		return RelayResult{}, err
	}
	rcpu -= rcpu0
	select {
	case err := <-errs:
		return RelayResult{}, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return RelayResult{}, err
	}
	var total int64
	for _, n := range sent {
		total += n
	}
	return RelayResult{Bytes: total, Elapsed: elapsed, MBPerSec: float64(total) / 1e6 / elapsed.Seconds(),
		CPUPerGB: cpuPerGB(cpu+rcpu, total), RelayCPUPerGB: cpuPerGB(rcpu, total), Parallel: parallel, Checked: check, TCP: tcp}, nil
}

// quicEnds are the agencies' connections to a QUIC relay, one each.
type quicEnds []*quic.Conn

// connectRelay connects each agency to the QUIC relay at addr, names it,
// and receives what the relay sends it until ctx ends (in wg). One
// connection each carries any number of documents at once: parallel does
// not matter.
func connectRelay(ctx context.Context, addr string, agencies []*certs.KeyPair, v *certs.Verifier, _ int, check bool, wg *sync.WaitGroup) (relayEnds, error) {
	conns := make(quicEnds, 0, len(agencies))
	for i, kp := range agencies {
		conn, err := dialRaw(ctx, addr, kp, v, relayALPN)
		if err != nil {
			conns.Close()
			return nil, err
		}
		conns = append(conns, conn)
		if err := helloRelay(ctx, conn, i); err != nil {
			conns.Close()
			return nil, fmt.Errorf("relay: agency %d: %w", i, err)
		}
		wg.Go(func() { receiveRelayed(ctx, conn, check) })
	}
	return conns, nil
}

func (c quicEnds) send(ctx context.Context, i int, d RelayDoc) error {
	return sendRelayed(ctx, c[d.From], i, d)
}

func (c quicEnds) Close() {
	for _, conn := range c {
		conn.CloseWithError(0, "")
	}
}

// helloRelay names agency i to the relay on its connection and waits for
// the relay to have taken it, so that documents to it can be relayed.
func helloRelay(ctx context.Context, conn *quic.Conn, i int) error {
	str, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if _, err := str.Write(appendHello(nil, relayHello, i)); err != nil {
		return err
	}
	if err := str.Close(); err != nil {
		return err
	}
	_, err = io.ReadFull(str, make([]byte, 1))
	return err
}

// appendHello appends the header that names agency to the relay, in the
// recipient's place, behind kind (relayHello, or on TCP relayReceive) in
// the index's.
func appendHello(b []byte, kind uint32, agency int) []byte {
	b = binary.BigEndian.AppendUint32(b, kind)
	b = binary.BigEndian.AppendUint32(b, uint32(agency))
	return append(b, make([]byte, relayHeader-8)...)
}

// sendRelayed sends document i on a new stream and waits for the
// recipient's count, or for the end of ctx: a stream's reads and writes
// do not see it, and the relay may stop before taking the stream.
func sendRelayed(ctx context.Context, conn *quic.Conn, i int, d RelayDoc) error {
	str, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	defer context.AfterFunc(ctx, func() {
		str.CancelWrite(1)
		str.CancelRead(1)
	})()
	if _, err := str.Write(appendRelayHeader(nil, i, d)); err != nil {
		return err
	}
	if _, err := str.Write(d.Data); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return finish(str, int64(len(d.Data)))
}

func appendRelayHeader(b []byte, i int, d RelayDoc) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(i))
	b = binary.BigEndian.AppendUint32(b, uint32(d.To))
	b = binary.BigEndian.AppendUint64(b, uint64(len(d.Data)))
	return append(b, d.SHA256[:]...)
}

// relay is the relay's side of RawRelay.
type relay struct {
	check bool
	mu    sync.Mutex
	ends  map[uint32]*quic.Conn // to each agency, by index
}

// ServeRelay is the relay side of RawRelay: it serves the agencies that
// connect to ln, each of which names itself on its first stream, until ctx
// ends, and returns why it stopped. With check, it refuses a document
// whose bytes are not those of the SHA-256 named.
func ServeRelay(ctx context.Context, ln *quic.Listener, check bool) error {
	r := &relay{check: check, ends: make(map[uint32]*quic.Conn)}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.Accept(ctx)
		if err != nil {
			return err
		}
		wg.Go(func() { r.serve(ctx, conn) })
	}
}

// serve takes each stream an agency opens and relays it, until the run is
// over.
func (r *relay) serve(ctx context.Context, sender *quic.Conn) {
	for {
		in, err := sender.AcceptStream(ctx)
		if err != nil {
			return
		}
		go func() {
			if err := r.relayOne(ctx, sender, in); err != nil {
				in.CancelRead(1)
				in.CancelWrite(1)
			}
		}()
	}
}

// relayOne reads a document whole from in, sends it to its recipient on a
// new stream, and passes the recipient's count back on in; or takes the
// agency's name from its first stream.
func (r *relay) relayOne(ctx context.Context, from *quic.Conn, in *quic.Stream) error {
	var head [relayHeader]byte
	if _, err := io.ReadFull(in, head[:]); err != nil {
		return err
	}
	to := binary.BigEndian.Uint32(head[4:8])
	if binary.BigEndian.Uint32(head[:4]) == relayHello {
		r.mu.Lock()
		r.ends[to] = from
		r.mu.Unlock()
		if _, err := in.Write([]byte{1}); err != nil {
			return err
		}
		return in.Close()
	}
	r.mu.Lock()
	out := r.ends[to]
	r.mu.Unlock()
	if out == nil {
		return errNoRecipient
	}
	doc, err := readDocument(in, &head, r.check)
	if err != nil {
		return err
	}
	if k, err := in.Read(make([]byte, 1)); k > 0 || err != io.EOF {
		return errors.New("relay: the document is longer than said")
	}
	str, err := out.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if _, err := str.Write(head[:]); err != nil {
		return err
	}
	if _, err := str.Write(doc); err != nil {
		return err
	}
	if err := str.Close(); err != nil {
		return err
	}
	var count [8]byte
	if _, err := io.ReadFull(str, count[:]); err != nil {
		return err
	}
	if _, err := in.Write(count[:]); err != nil {
		return err
	}
	return in.Close()
}

// errNoRecipient: a document's recipient has not named itself to the
// relay.
var errNoRecipient = errors.New("relay: no such recipient")

// readDocument reads the document head announces whole from r, as a hub
// stores a document before delivering it, and with check refuses it
// unless its bytes are those of the SHA-256 head names.
func readDocument(r io.Reader, head *[relayHeader]byte, check bool) ([]byte, error) {
	n := binary.BigEndian.Uint64(head[8:16])
	if n > MaxPrepared {
		return nil, errors.New("relay: the document is too long")
	}
	doc := make([]byte, n)
	if _, err := io.ReadFull(r, doc); err != nil {
		return nil, err
	}
	if check && sha256.Sum256(doc) != [32]byte(head[16:]) {
		return nil, errWrongDigest
	}
	return doc, nil
}

// receiveRelayed reads each stream the relay opens to the end, checks it
// against the SHA-256 in its header when asked, and answers its count,
// until the run is over.
func receiveRelayed(ctx context.Context, conn *quic.Conn, check bool) {
	for {
		str, err := conn.AcceptStream(ctx)
		if err != nil {
			return
		}
		go func() {
			var head [relayHeader]byte
			_, err := io.ReadFull(str, head[:])
			var n int64
			if err == nil {
				n, err = readRelayed(str, &head, check)
			}
			if err != nil {
				str.CancelRead(1)
				str.CancelWrite(1)
				return
			}
			answerCount(str, n)
		}()
	}
}

// readRelayed reads a relayed document from r to its end, as its
// recipient, and returns its length; with check, it refuses it unless its
// bytes are those of the SHA-256 head names.
func readRelayed(r io.Reader, head *[relayHeader]byte, check bool) (int64, error) {
	if !check {
		return io.Copy(io.Discard, r)
	}
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err == nil && !bytes.Equal(h.Sum(nil), head[16:]) {
		err = errWrongDigest
	}
	return n, err
}

// RelayServe is a relay process's side of RelaySpawner: it loads the
// hub's key pair and the roots from spec.PKIDir, listens on loopback (on
// TCP with spec.TCP, else QUIC), calls ready with its address, and relays
// until ctx ends.
func RelayServe(ctx context.Context, spec RelaySpec, ready func(addr string)) error {
	e := &env{pkiDir: spec.PKIDir}
	if err := e.loadTrust(); err != nil {
		return err
	}
	ln, err := listenRelay(e.hubKP, e.verifier, spec.TCP)
	if err != nil {
		return err
	}
	defer ln.Close()
	ready(ln.Addr().String())
	err = ln.serve(ctx, spec.Check)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// relayListener is a relay's listener, on QUIC or on TCP, and how it
// serves.
type relayListener interface {
	Addr() net.Addr
	Close() error
	serve(ctx context.Context, check bool) error
}

type quicRelayListener struct{ *quic.Listener }

func (l quicRelayListener) serve(ctx context.Context, check bool) error {
	return ServeRelay(ctx, l.Listener, check)
}

type tcpRelayListener struct{ net.Listener }

func (l tcpRelayListener) serve(ctx context.Context, check bool) error {
	return ServeTCPRelay(ctx, l.Listener, check)
}

// listenRelay listens on loopback for a relay's agencies with the hub's
// TLS configuration: on TCP with tcp, else on QUIC.
func listenRelay(hub *certs.KeyPair, v *certs.Verifier, tcp bool) (relayListener, error) {
	if tcp {
		ln, err := listenTCPRelay(hub, v)
		if err != nil {
			return nil, err
		}
		return tcpRelayListener{ln}, nil
	}
	ln, err := listenRaw(hub, v, relayALPN)
	if err != nil {
		return nil, err
	}
	return quicRelayListener{ln}, nil
}

// relays are a run's relay measurements (rawRelays): the bare and the
// checking QUIC relays, and the checking relay over TLS on TCP.
type relays struct{ bare, checked, checkedTCP RelayResult }

// rawRelays measures RawRelay with the run's documents, senders and
// recipients, bare and then checked, then RawTCPRelay checked, each relay
// in a process of its own when opts say how to start one; nothing when
// the run only sends.
func (e *env) rawRelays(ctx context.Context, docs []*doc, opts Options) (relays, error) {
	if opts.AcceptOnly {
		return relays{}, nil
	}
	kps := make([]*certs.KeyPair, len(e.agencies))
	for i, a := range e.agencies {
		kps[i] = a.kp
	}
	rd := make([]RelayDoc, len(docs))
	for i, d := range docs {
		rd[i] = RelayDoc{Data: d.pdf, From: d.from, To: d.to}
		if _, err := hex.Decode(rd[i].SHA256[:], []byte(d.digest)); err != nil {
			return relays{}, err
		}
	}
	one := func(spec RelaySpec) (res RelayResult, err error) {
		relay := RawRelay
		if spec.TCP {
			relay = RawTCPRelay
		}
		if opts.SpawnRelay == nil {
			return relay(ctx, e.hubKP, kps, e.verifier, rd, opts.Concurrency, spec.Check, nil)
		}
		spec.PKIDir, spec.Procs = e.pkiDir, cmp.Or(e.procs, e.hubProcs)
		at, stop, err := opts.SpawnRelay(ctx, spec)
		if err != nil {
			return RelayResult{}, fmt.Errorf("start the relay process: %w", err)
		}
		defer func() { err = errors.Join(err, stop()) }()
		return relay(ctx, e.hubKP, kps, e.verifier, rd, opts.Concurrency, spec.Check, &at)
	}
	var r relays
	var err error
	if r.bare, err = one(RelaySpec{}); err != nil {
		return relays{}, err
	}
	if r.checked, err = one(RelaySpec{Check: true}); err != nil {
		return relays{}, err
	}
	if r.checkedTCP, err = one(RelaySpec{Check: true, TCP: true}); err != nil {
		return relays{}, fmt.Errorf("over tcp: %w", err)
	}
	return r, nil
}
