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
	"sync"
	"time"

	"github.com/quic-go/quic-go"

	"lienthong/certs"
)

// relayALPN names the relay measurement's protocol.
const relayALPN = "lienthong-bench-relay"

// RelayResult is the rate of a bare QUIC relay: every document crosses
// QUIC twice, from its sender to the relay and from the relay to its
// recipient, and the relay keeps it in memory and does nothing else: no
// storage, no HTTP/3, no signature. It is the ceiling of an exchange of
// the same shape on the same machine.
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

// RelayProc is a relay serving (ServeRelay) in a process of its own, so
// that a run reads its CPU time apart from the agencies'.
type RelayProc struct {
	Addr string // its QUIC address
	PID  int
}

// RelaySpec is what a relay process needs: the run's PKI folder (the
// hub's key pair and the roots, as the hub has them) and whether it
// checks each document's SHA-256.
type RelaySpec struct {
	PKIDir string
	Check  bool
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
		ln, err := listenRaw(hub, v, relayALPN)
		if err != nil {
			return RelayResult{}, err
		}
		defer ln.Close()
		wg.Go(func() { _ = ServeRelay(ctx, ln, check) })
		at = &RelayProc{Addr: ln.Addr().String()}
	} else {
		relayCPU = func() (time.Duration, error) { return pidCPU(at.PID) }
	}

	conns := make([]*quic.Conn, len(agencies))
	defer func() {
		for i := range conns {
			if conns[i] != nil {
				conns[i].CloseWithError(0, "")
			}
		}
	}()
	for i, kp := range agencies {
		var err error
		if conns[i], err = dialRaw(ctx, at.Addr, kp, v, relayALPN); err != nil {
			return RelayResult{}, err
		}
		if err := helloRelay(ctx, conns[i], i); err != nil {
			return RelayResult{}, fmt.Errorf("relay: agency %d: %w", i, err)
		}
		wg.Go(func() { receiveRelayed(ctx, conns[i], check) })
	}

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
				if err := sendRelayed(ctx, conns[d.From], i, d); err != nil {
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
		CPUPerGB: cpuPerGB(cpu+rcpu, total), RelayCPUPerGB: cpuPerGB(rcpu, total), Parallel: parallel, Checked: check}, nil
}

// helloRelay names agency i to the relay on its connection and waits for
// the relay to have taken it, so that documents to it can be relayed.
func helloRelay(ctx context.Context, conn *quic.Conn, i int) error {
	str, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	var head [relayHeader]byte
	binary.BigEndian.PutUint32(head[:4], relayHello)
	binary.BigEndian.PutUint32(head[4:8], uint32(i))
	if _, err := str.Write(head[:]); err != nil {
		return err
	}
	if err := str.Close(); err != nil {
		return err
	}
	_, err = io.ReadFull(str, make([]byte, 1))
	return err
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
	n := binary.BigEndian.Uint64(head[8:16])
	if out == nil || n > MaxPrepared {
		return errors.New("relay: no such recipient, or too long")
	}
	doc := make([]byte, n)
	if _, err := io.ReadFull(in, doc); err != nil {
		return err
	}
	if k, err := in.Read(make([]byte, 1)); k > 0 || err != io.EOF {
		return errors.New("relay: the document is longer than said")
	}
	if r.check && sha256.Sum256(doc) != [32]byte(head[16:]) {
		return errors.New("relay: the document does not match its SHA-256")
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
			h := sha256.New()
			if err == nil {
				var dst io.Writer = io.Discard
				if check {
					dst = h
				}
				n, err = io.Copy(dst, str)
			}
			if err == nil && check && !bytes.Equal(h.Sum(nil), head[16:]) {
				err = errors.New("relay: the document does not match its SHA-256")
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

// RelayServe is a relay process's side of RelaySpawner: it loads the
// hub's key pair and the roots from spec.PKIDir, listens on loopback,
// calls ready with its address, and relays until ctx ends.
func RelayServe(ctx context.Context, spec RelaySpec, ready func(addr string)) error {
	e := &env{pkiDir: spec.PKIDir}
	if err := e.loadTrust(); err != nil {
		return err
	}
	ln, err := listenRaw(e.hubKP, e.verifier, relayALPN)
	if err != nil {
		return err
	}
	defer ln.Close()
	ready(ln.Addr().String())
	err = ServeRelay(ctx, ln, spec.Check)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// rawRelays measures RawRelay with the run's documents, senders and
// recipients, bare and then checked, each relay in a process of its own
// when opts say how to start one; nothing when the run only sends.
func (e *env) rawRelays(ctx context.Context, docs []*doc, opts Options) (bare, checked RelayResult, err error) {
	if opts.AcceptOnly {
		return RelayResult{}, RelayResult{}, nil
	}
	kps := make([]*certs.KeyPair, len(e.agencies))
	for i, a := range e.agencies {
		kps[i] = a.kp
	}
	rd := make([]RelayDoc, len(docs))
	for i, d := range docs {
		rd[i] = RelayDoc{Data: d.pdf, From: d.from, To: d.to}
		if _, err := hex.Decode(rd[i].SHA256[:], []byte(d.digest)); err != nil {
			return RelayResult{}, RelayResult{}, err
		}
	}
	one := func(check bool) (res RelayResult, err error) {
		if opts.SpawnRelay == nil {
			return RawRelay(ctx, e.hubKP, kps, e.verifier, rd, opts.Concurrency, check, nil)
		}
		at, stop, err := opts.SpawnRelay(ctx, RelaySpec{PKIDir: e.pkiDir, Check: check, Procs: cmp.Or(e.procs, e.hubProcs)})
		if err != nil {
			return RelayResult{}, fmt.Errorf("start the relay process: %w", err)
		}
		defer func() { err = errors.Join(err, stop()) }()
		return RawRelay(ctx, e.hubKP, kps, e.verifier, rd, opts.Concurrency, check, &at)
	}
	if bare, err = one(false); err != nil {
		return RelayResult{}, RelayResult{}, err
	}
	checked, err = one(true)
	return bare, checked, err
}
