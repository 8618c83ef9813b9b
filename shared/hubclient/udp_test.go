package hubclient

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"lienthong/certs/certstest"
)

// TestDeadNodeKnownAtNextPacket: when the process of a node dies (its
// socket closes without a word), a QUIC connection dialled by dialQUIC
// fails at its next packet, a keep-alive here, as its machine refuses it,
// instead of waiting out the idle timeout (30 s here).
func TestDeadNodeKnownAtNextPacket(t *testing.T) {
	pki := certstest.New(t)
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	tr := &quic.Transport{Conn: pc}
	defer tr.Close()
	ln, err := tr.Listen(&tls.Config{Certificates: []tls.Certificate{pki.Hub(t).TLSCertificate()}, NextProtos: []string{"test"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		if _, err := ln.Accept(ctx); err != nil {
			t.Error(err)
		}
	}()
	conf := &tls.Config{RootCAs: pki.Verifier(t).Roots(), ServerName: "localhost", NextProtos: []string{"test"}}
	c, err := dialQUIC(ctx, pc.LocalAddr().String(), conf, &quic.Config{MaxIdleTimeout: 30 * time.Second, KeepAlivePeriod: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseWithError(0, "")
	<-accepted
	pc.Close() // the node's process dies: no CONNECTION_CLOSE
	select {
	case <-c.Context().Done():
	case <-ctx.Done():
		t.Fatal("the connection to a dead node is still open")
	}
	if cause := context.Cause(c.Context()); !errors.Is(cause, syscall.ECONNREFUSED) {
		t.Fatalf("the connection ended with %v, not the refusal of the node's machine", cause)
	}
}
