package bench

import (
	"bytes"
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
	Parallel int
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
// (4 bytes, big-endian) and its SHA-256.
const relayHeader = 4 + sha256.Size

// RawRelay relays docs over plain QUIC streams between the agencies, one
// connection each to a relay on loopback that runs with the hub's TLS and
// QUIC configuration. Each document goes on a stream of its own, parallel
// at once, headed by its index and SHA-256. The relay reads it whole, as a
// hub stores a document before delivery, and writes it on a new stream to
// the recipient, which reads it to the end and answers its count; the
// relay passes the count back to the sender. With check, the relay and the
// recipient hash what they read and refuse a document whose SHA-256 is not
// the one named. The clock runs from the first document sent to the last
// count received.
func RawRelay(ctx context.Context, hub *certs.KeyPair, agencies []*certs.KeyPair, v *certs.Verifier, docs []RelayDoc, parallel int, check bool) (RelayResult, error) {
	parallel = max(parallel, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ln, err := listenRaw(hub, v, relayALPN)
	if err != nil {
		return RelayResult{}, err
	}
	defer ln.Close()

	// Connect the agencies one at a time, so that the relay's n-th
	// accepted connection is agency n's.
	conns := make([]*quic.Conn, len(agencies))     // the agencies' ends
	relayEnds := make([]*quic.Conn, len(agencies)) // the relay's ends
	defer func() {
		for i := range conns {
			if conns[i] != nil {
				conns[i].CloseWithError(0, "")
			}
		}
	}()
	for i, kp := range agencies {
		if conns[i], err = dialRaw(ctx, ln.Addr().String(), kp, v, relayALPN); err != nil {
			return RelayResult{}, err
		}
		if relayEnds[i], err = ln.Accept(ctx); err != nil {
			return RelayResult{}, err
		}
	}
	r := &relay{ends: relayEnds, docs: docs, check: check}
	for _, d := range docs {
		if d.From < 0 || d.From >= len(agencies) || d.To < 0 || d.To >= len(agencies) {
			return RelayResult{}, errors.New("relay: a document's sender or recipient is not among the agencies")
		}
		r.maxLen = max(r.maxLen, len(d.Data))
	}
	var wg sync.WaitGroup
	for i := range agencies {
		wg.Add(2)
		go func() { defer wg.Done(); r.serve(ctx, relayEnds[i]) }()
		go func() { defer wg.Done(); receiveRelayed(ctx, conns[i], check) }()
	}
	defer func() { cancel(); wg.Wait() }()

	jobs := make(chan int)
	errs := make(chan error, parallel)
	var senders sync.WaitGroup
	sent := make([]int64, parallel)
	start, cpu0 := time.Now(), processCPU()
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
		CPUPerGB: cpuPerGB(cpu, total), Parallel: parallel, Checked: check}, nil
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
	if _, err := str.Write(appendRelayHeader(nil, i, d.SHA256)); err != nil {
		return err
	}
	if _, err := str.Write(d.Data); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return finish(str, int64(len(d.Data)))
}

func appendRelayHeader(b []byte, i int, sum [32]byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(i))
	return append(b, sum[:]...)
}

// relay is the relay's side of RawRelay.
type relay struct {
	ends   []*quic.Conn // to each agency, by index
	docs   []RelayDoc   // only their recipients are read
	maxLen int
	check  bool
}

// serve takes each stream a sender opens and relays it, until the run is
// over.
func (r *relay) serve(ctx context.Context, sender *quic.Conn) {
	for {
		in, err := sender.AcceptStream(ctx)
		if err != nil {
			return
		}
		go func() {
			if err := r.relayOne(ctx, in); err != nil {
				in.CancelRead(1)
				in.CancelWrite(1)
			}
		}()
	}
}

// relayOne reads a document whole from in, sends it to its recipient on a
// new stream, and passes the recipient's count back on in.
func (r *relay) relayOne(ctx context.Context, in *quic.Stream) error {
	var head [relayHeader]byte
	if _, err := io.ReadFull(in, head[:]); err != nil {
		return err
	}
	i := int(binary.BigEndian.Uint32(head[:4]))
	if i >= len(r.docs) {
		return errors.New("relay: no such document")
	}
	buf := bytes.NewBuffer(make([]byte, 0, r.maxLen+1))
	if _, err := buf.ReadFrom(in); err != nil {
		return err
	}
	doc := buf.Bytes()
	if r.check && sha256.Sum256(doc) != [32]byte(head[4:]) {
		return errors.New("relay: the document does not match its SHA-256")
	}
	out, err := r.ends[r.docs[i].To].OpenStreamSync(ctx)
	if err != nil {
		return err
	}
	if _, err := out.Write(head[:]); err != nil {
		return err
	}
	if _, err := out.Write(doc); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	var count [8]byte
	if _, err := io.ReadFull(out, count[:]); err != nil {
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
			if err == nil && check && !bytes.Equal(h.Sum(nil), head[4:]) {
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

// rawRelays measures RawRelay with the run's documents, senders and
// recipients, bare and then checked; nothing when the run only sends.
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
	if bare, err = RawRelay(ctx, e.hubKP, kps, e.verifier, rd, opts.Concurrency, false); err != nil {
		return RelayResult{}, RelayResult{}, err
	}
	checked, err = RawRelay(ctx, e.hubKP, kps, e.verifier, rd, opts.Concurrency, true)
	return bare, checked, err
}
