package bench

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quic-go/quic-go"

	"lienthong/certs"
	"lienthong/hub/server"
)

// rawALPN names the raw measurement's protocol, so that it can never be
// mistaken for the hub's.
const rawALPN = "lienthong-bench-raw"

// RawResult is the plain QUIC transfer rate.
type RawResult struct {
	Bytes    int64
	Elapsed  time.Duration
	MBPerSec float64
	// CPUPerGB is the CPU-seconds both ends used per gigabyte sent.
	CPUPerGB float64
	// PerDocMBPerSec is the rate when each document goes on a stream of
	// its own, Parallel at once, over one connection: what HTTP/3 does
	// with one request per document. 0 when not measured.
	PerDocMBPerSec float64
	Parallel       int
}

// RawQUIC measures how fast one quic-go stream moves chunks (repeated
// until at least minBytes, or 64 MiB when minBytes is 0, and at most
// 1 GiB) from a client to a server on loopback, with the hub's TLS
// configuration (certs.ServerTLS, certs.ClientTLS: TLS 1.3, mutual
// certificates) and the hub's QUIC configuration on the server side. The
// clock runs from the first byte written to the server's answer that it
// has read everything. It then measures the same bytes sent one chunk
// per stream, parallel streams at once (RawResult.PerDocMBPerSec).
func RawQUIC(ctx context.Context, hub, agency *certs.KeyPair, v *certs.Verifier, chunks [][]byte, minBytes int64, parallel int) (RawResult, error) {
	parallel = max(parallel, 1)
	if minBytes == 0 {
		minBytes = 64 << 20
	}
	var per int64
	for _, c := range chunks {
		per += int64(len(c))
	}
	if per == 0 {
		return RawResult{}, errors.New("nothing to send")
	}
	total := per
	for total < minBytes && total+per <= 1<<30 {
		total += per
	}
	res, err := rawRun(ctx, hub, agency, v, func(ctx context.Context, conn *quic.Conn) (int64, error) {
		str, err := conn.OpenStreamSync(ctx)
		if err != nil {
			return 0, err
		}
		var sent int64
		for sent < total {
			for _, c := range chunks {
				if _, err := str.Write(c); err != nil {
					return 0, fmt.Errorf("write: %w", err)
				}
				sent += int64(len(c))
			}
		}
		return sent, finish(str, sent)
	})
	if err != nil {
		return RawResult{}, err
	}
	perDoc, err := rawRun(ctx, hub, agency, v, func(ctx context.Context, conn *quic.Conn) (int64, error) {
		return perDocStreams(ctx, conn, chunks, total, parallel)
	})
	if err != nil {
		return RawResult{}, err
	}
	res.PerDocMBPerSec, res.Parallel = perDoc.MBPerSec, parallel
	return res, nil
}

// perDocStreams sends each chunk on a stream of its own, parallel at
// once, until total bytes are sent.
func perDocStreams(ctx context.Context, conn *quic.Conn, chunks [][]byte, total int64, parallel int) (int64, error) {
	jobs := make(chan []byte)
	var sent atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, parallel)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range jobs {
				str, err := conn.OpenStreamSync(ctx)
				if err == nil {
					_, err = str.Write(c)
				}
				if err == nil {
					err = finish(str, int64(len(c)))
				}
				if err != nil {
					errs <- err
					return
				}
				sent.Add(int64(len(c)))
			}
		}()
	}
	var queued int64
feed:
	for queued < total {
		for _, c := range chunks {
			select {
			case jobs <- c:
			case err := <-errs:
				close(jobs)
				wg.Wait()
				return 0, err
			}
			queued += int64(len(c))
			if queued >= total {
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return sent.Load(), nil
}

// finish closes the sending side of str and checks the server's count of
// what it read.
func finish(str *quic.Stream, sent int64) error {
	if err := str.Close(); err != nil {
		return err
	}
	return readCount(str, sent)
}

// readCount reads the server's count of what it read (8 bytes,
// big-endian, as answerCount writes it) and checks it against sent.
func readCount(r io.Reader, sent int64) error {
	var ack [8]byte
	if _, err := io.ReadFull(r, ack[:]); err != nil {
		return fmt.Errorf("read the server's count: %w", err)
	}
	if got := int64(binary.BigEndian.Uint64(ack[:])); got != sent {
		return fmt.Errorf("the server read %d bytes of %d", got, sent)
	}
	return nil
}

// rawRun serves a sink on loopback, connects to it, and times send.
func rawRun(ctx context.Context, hub, agency *certs.KeyPair, v *certs.Verifier, send func(context.Context, *quic.Conn) (int64, error)) (RawResult, error) {
	ln, err := listenRaw(hub, v, rawALPN)
	if err != nil {
		return RawResult{}, err
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() { served <- sink(ctx, ln) }()

	conn, err := dialRaw(ctx, ln.Addr().String(), agency, v, rawALPN)
	if err != nil {
		return RawResult{}, err
	}
	defer conn.CloseWithError(0, "")
	start, cpu0 := time.Now(), processCPU()
	sent, err := send(ctx, conn)
	if err != nil {
		return RawResult{}, err
	}
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	conn.CloseWithError(0, "")
	if err := <-served; err != nil {
		return RawResult{}, err
	}
	return RawResult{Bytes: sent, Elapsed: elapsed, MBPerSec: float64(sent) / 1e6 / elapsed.Seconds(), CPUPerGB: cpuPerGB(cpu, sent)}, nil
}

// sink accepts one connection and, on each of its streams, reads to the
// end and answers the count as 8 big-endian bytes, until the client
// closes the connection.
func sink(ctx context.Context, ln *quic.Listener) error {
	conn, err := ln.Accept(ctx)
	if err != nil {
		return err
	}
	for {
		str, err := conn.AcceptStream(ctx)
		if err != nil {
			return nil // the client closed the connection: done
		}
		go func() {
			n, err := io.Copy(io.Discard, str)
			if err != nil {
				str.CancelWrite(1)
				return
			}
			answerCount(str, n)
		}()
	}
}

// answerCount tells the sender of str how many bytes were read (8 bytes,
// big-endian, as finish reads them) and closes the sending side.
func answerCount(str *quic.Stream, n int64) {
	_, _ = str.Write(binary.BigEndian.AppendUint64(nil, uint64(n)))
	_ = str.Close()
}

// listenRaw listens on loopback for alpn with the hub's TLS and QUIC
// configuration.
func listenRaw(hub *certs.KeyPair, v *certs.Verifier, alpn string) (*quic.Listener, error) {
	return quic.ListenAddr("127.0.0.1:0", serverTLS(hub, v, alpn), server.QUICConfig())
}

// dialRaw connects to a listenRaw listener as the agency kp.
func dialRaw(ctx context.Context, addr string, kp *certs.KeyPair, v *certs.Verifier, alpn string) (*quic.Conn, error) {
	conn, err := quic.DialAddr(ctx, addr, clientTLS(kp, v, alpn), &quic.Config{MaxIdleTimeout: 90 * time.Second, KeepAlivePeriod: 25 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	return conn, nil
}

// serverTLS is the hub's TLS configuration (certs.ServerTLS: TLS 1.3,
// an agency's certificate demanded) for alpn alone.
func serverTLS(hub *certs.KeyPair, v *certs.Verifier, alpn string) *tls.Config {
	conf := certs.ServerTLS(hub, v)
	conf.NextProtos = []string{alpn}
	return conf
}

// clientTLS is an agency's TLS configuration towards the hub
// (certs.ClientTLS) for alpn alone.
func clientTLS(kp *certs.KeyPair, v *certs.Verifier, alpn string) *tls.Config {
	conf := certs.ClientTLS(kp, v, "localhost")
	conf.NextProtos = []string{alpn}
	return conf
}
