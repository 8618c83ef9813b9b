package hubclient

import (
	"context"
	"crypto/tls"
	"net"
	"syscall"
	"time"

	"github.com/quic-go/quic-go"
)

// dialQUIC dials each QUIC connection from its own connected UDP socket,
// so that a node whose process died is known at once: its machine
// answers the next packet with ICMP port unreachable, which the kernel
// reports on a connected socket only (as ECONNREFUSED), and the
// connection fails instead of waiting out its idle timeout. A machine
// that died whole sends nothing, and Options.DeadAfter bounds the wait.
func dialQUIC(ctx context.Context, addr string, tlsConf *tls.Config, conf *quic.Config) (*quic.Conn, error) {
	raddr, err := net.ResolveUDPAddr("udp", addr) // an IP address but for a name that did not resolve (nodes.resolve)
	if err != nil {
		return nil, err
	}
	uc, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, err
	}
	conn, err := quic.Dial(ctx, &connectedUDP{uc}, raddr, tlsConf, conf)
	if err != nil {
		uc.Close()
		return nil, err
	}
	go func() {
		<-conn.Context().Done()
		uc.Close()
	}()
	return conn, nil
}

// connectedUDP is a connected UDP socket seen as the net.PacketConn quic-go
// reads and writes: it has one peer. It has no ReadMsgUDP, so quic-go uses
// it as a plain packet connection (none of the batching a server needs).
type connectedUDP struct{ c *net.UDPConn }

func (u *connectedUDP) ReadFrom(p []byte) (int, net.Addr, error) {
	n, err := u.c.Read(p)
	return n, u.c.RemoteAddr(), err
}

func (u *connectedUDP) WriteTo(p []byte, _ net.Addr) (int, error) { return u.c.Write(p) }
func (u *connectedUDP) Close() error                              { return u.c.Close() }
func (u *connectedUDP) LocalAddr() net.Addr                       { return u.c.LocalAddr() }
func (u *connectedUDP) SetDeadline(t time.Time) error             { return u.c.SetDeadline(t) }
func (u *connectedUDP) SetReadDeadline(t time.Time) error         { return u.c.SetReadDeadline(t) }
func (u *connectedUDP) SetWriteDeadline(t time.Time) error        { return u.c.SetWriteDeadline(t) }
func (u *connectedUDP) SetReadBuffer(n int) error                 { return u.c.SetReadBuffer(n) }
func (u *connectedUDP) SetWriteBuffer(n int) error                { return u.c.SetWriteBuffer(n) }
func (u *connectedUDP) SyscallConn() (syscall.RawConn, error)     { return u.c.SyscallConn() }
