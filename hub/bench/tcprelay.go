package bench

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"

	"lienthong/certs"
)

// relayReceive, in a TCP relay connection's first header, says that its
// agency receives documents on it; relayHello there says that it sends
// them.
const relayReceive = relayHello - 1

// RawTCPRelay is RawRelay over TLS 1.3 on TCP, with the hub's TLS
// configuration (certs.ServerTLS, certs.ClientTLS): the yardstick for
// clients that move large transfers to HTTP/2 over TLS on TCP, which
// costs less CPU per byte than QUIC.
//
// TCP has no streams: a connection carries one document at a time, as a
// QUIC stream does, and stays open for the next, so that no handshake is
// timed. Before the clock starts each agency opens tcpRelayConns
// connections to send on and as many to receive on, and names itself and
// the connection's role on each. A sender takes an idle connection of its
// own; the relay reads the document whole, checks it, hands it to an idle
// receiving connection of its recipient and passes the recipient's count
// back. Bare TLS connections and not HTTP/2, as the QUIC yardstick is bare
// QUIC streams and not HTTP/3: both measure the transport and the checks,
// no HTTP framing.
func RawTCPRelay(ctx context.Context, hub *certs.KeyPair, agencies []*certs.KeyPair, v *certs.Verifier, docs []RelayDoc, parallel int, check bool, at *RelayProc) (RelayResult, error) {
	return rawRelay(ctx, true, hub, agencies, v, docs, parallel, check, at)
}

// tcpRelayConns is how many connections each of n agencies opens to send
// on, and as many to receive on, for parallel documents in flight: twice
// an even share, so that a document seldom waits for one, and never more
// than parallel (not parallel each: many agencies would open thousands).
func tcpRelayConns(parallel, n int) int {
	return min(parallel, 2*((parallel+n-1)/n))
}

// listenTCPRelay listens on loopback TCP for a TCP relay's agencies, with
// the hub's TLS configuration.
func listenTCPRelay(hub *certs.KeyPair, v *certs.Verifier) (net.Listener, error) {
	return tls.Listen("tcp", "127.0.0.1:0", serverTLS(hub, v, relayALPN))
}

// tcpEnds are the agencies' connections to a TCP relay.
type tcpEnds struct {
	idle  []chan net.Conn // each agency's sending connections not in use
	conns []net.Conn      // all, sending and receiving
}

// connectTCPRelay opens each agency's sending and receiving connections
// to the TCP relay at addr, and answers on the receiving ones until they
// close (in wg).
func connectTCPRelay(ctx context.Context, addr string, agencies []*certs.KeyPair, v *certs.Verifier, parallel int, check bool, wg *sync.WaitGroup) (relayEnds, error) {
	k := tcpRelayConns(parallel, len(agencies))
	e := &tcpEnds{idle: make([]chan net.Conn, len(agencies))}
	for i, kp := range agencies {
		e.idle[i] = make(chan net.Conn, k)
		for range k {
			out, err := e.dial(ctx, addr, kp, v, relayHello, i)
			if err != nil {
				e.Close()
				return nil, fmt.Errorf("relay: agency %d: %w", i, err)
			}
			e.idle[i] <- out
			in, err := e.dial(ctx, addr, kp, v, relayReceive, i)
			if err != nil {
				e.Close()
				return nil, fmt.Errorf("relay: agency %d: %w", i, err)
			}
			wg.Go(func() { receiveTCPRelayed(in, check) })
		}
	}
	return e, nil
}

// dial connects to the relay at addr as agency kp, the agency-th, and
// names it and the connection's role (kind: relayHello to send,
// relayReceive to receive); it returns once the relay has taken them.
func (e *tcpEnds) dial(ctx context.Context, addr string, kp *certs.KeyPair, v *certs.Verifier, kind uint32, agency int) (net.Conn, error) {
	d := tls.Dialer{Config: clientTLS(kp, v, relayALPN)}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	e.conns = append(e.conns, c)
	defer context.AfterFunc(ctx, func() { c.Close() })()
	if _, err := c.Write(appendHello(nil, kind, agency)); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		return nil, fmt.Errorf("the relay did not take the connection: %w", err)
	}
	return c, nil
}

// send sends document i on an idle connection of its sender and waits for
// the recipient's count, or for the end of ctx.
func (e *tcpEnds) send(ctx context.Context, i int, d RelayDoc) error {
	var c net.Conn
	select {
	case c = <-e.idle[d.From]:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer context.AfterFunc(ctx, func() { c.Close() })()
	if err := sendTCPRelayed(c, i, d); err != nil {
		c.Close() // in the middle of a document: of no more use
		return err
	}
	e.idle[d.From] <- c
	return nil
}

func sendTCPRelayed(c net.Conn, i int, d RelayDoc) error {
	if _, err := c.Write(appendRelayHeader(nil, i, d)); err != nil {
		return err
	}
	if _, err := c.Write(d.Data); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return readCount(c, int64(len(d.Data)))
}

func (e *tcpEnds) Close() {
	for _, c := range e.conns {
		c.Close()
	}
}

// receiveTCPRelayed reads each document the relay sends on c, checks it
// against the SHA-256 in its header when asked, and answers its count,
// until c closes; it closes c on a document it refuses.
func receiveTCPRelayed(c net.Conn, check bool) {
	defer c.Close()
	for {
		var head [relayHeader]byte
		if _, err := io.ReadFull(c, head[:]); err != nil {
			return
		}
		size := int64(binary.BigEndian.Uint64(head[8:16]))
		n, err := readRelayed(io.LimitReader(c, size), &head, check)
		if err != nil || n != size {
			return
		}
		if _, err := c.Write(binary.BigEndian.AppendUint64(nil, uint64(n))); err != nil {
			return
		}
	}
}

// tcpRelay is the relay's side of RawTCPRelay.
type tcpRelay struct {
	check bool
	mu    sync.Mutex
	// inboxes hold the documents on their way to each agency, by index,
	// taken by its receiving connections.
	inboxes map[uint32]chan *delivery
}

// delivery is a document the relay has read whole, on its way to its
// recipient.
type delivery struct {
	head  [relayHeader]byte
	doc   []byte
	count [8]byte    // the recipient's, once done has said nil
	done  chan error // buffered: the receiving connection never waits
}

// ServeTCPRelay is the relay side of RawTCPRelay: it serves the agencies'
// connections to ln (listenTCPRelay's, TLS), each of which names its
// agency and whether it sends or receives on it, until ctx ends, and
// returns why it stopped. With check, it refuses a document whose bytes
// are not those of the SHA-256 named, and closes the connection it came
// on.
func ServeTCPRelay(ctx context.Context, ln net.Listener, check bool) error {
	r := &tcpRelay{check: check, inboxes: make(map[uint32]chan *delivery)}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer context.AfterFunc(ctx, func() { ln.Close() })()
	for {
		c, err := ln.Accept()
		if err != nil {
			return cmp.Or(ctx.Err(), err)
		}
		wg.Go(func() { r.serve(ctx, c) })
	}
}

// serve takes an agency's connection by its first header, which names the
// agency and the connection's role, and relays what it sends or delivers
// what it receives, until c or ctx ends.
func (r *tcpRelay) serve(ctx context.Context, c net.Conn) {
	defer c.Close()
	defer context.AfterFunc(ctx, func() { c.Close() })()
	var head [relayHeader]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return
	}
	agency := binary.BigEndian.Uint32(head[4:8])
	switch binary.BigEndian.Uint32(head[:4]) {
	case relayHello:
		if _, err := c.Write([]byte{1}); err == nil {
			_ = r.relayFrom(ctx, c)
		}
	case relayReceive:
		inbox := r.inbox(agency, true)
		if _, err := c.Write([]byte{1}); err == nil {
			deliver(ctx, c, inbox)
		}
	}
}

// inbox returns the documents on their way to agency; with create, a new
// inbox if it has none, else nil.
func (r *tcpRelay) inbox(agency uint32, create bool) chan *delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	in := r.inboxes[agency]
	if in == nil && create {
		in = make(chan *delivery)
		r.inboxes[agency] = in
	}
	return in
}

// relayFrom relays each document an agency sends on c, one after the
// other: it reads it whole and checks it, hands it to an idle receiving
// connection of its recipient, and passes the recipient's count back;
// until c ends, or a document fails.
func (r *tcpRelay) relayFrom(ctx context.Context, c net.Conn) error {
	for {
		d := &delivery{done: make(chan error, 1)}
		if _, err := io.ReadFull(c, d.head[:]); err != nil {
			return err
		}
		inbox := r.inbox(binary.BigEndian.Uint32(d.head[4:8]), false)
		if inbox == nil {
			return errNoRecipient
		}
		var err error
		if d.doc, err = readDocument(c, &d.head, r.check); err != nil {
			return err
		}
		select {
		case inbox <- d:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case err = <-d.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err != nil {
			return err
		}
		if _, err := c.Write(d.count[:]); err != nil {
			return err
		}
	}
}

// deliver writes each document of inbox on c, an agency's receiving
// connection, and reads the agency's count, until ctx ends or c fails.
func deliver(ctx context.Context, c net.Conn, inbox <-chan *delivery) {
	for {
		select {
		case d := <-inbox:
			err := deliverOne(c, d)
			d.done <- err
			if err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

func deliverOne(c net.Conn, d *delivery) error {
	if _, err := c.Write(d.head[:]); err != nil {
		return err
	}
	if _, err := c.Write(d.doc); err != nil {
		return err
	}
	_, err := io.ReadFull(c, d.count[:])
	return err
}
