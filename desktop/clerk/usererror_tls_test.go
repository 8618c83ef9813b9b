package clerk

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"testing"

	"github.com/quic-go/quic-go"

	"lienthong/certs/certstest"
	"lienthong/desktop/i18n"
)

// TestExplainCertificateRefused: a TLS alert from the hub about the
// clerk's certificate, as crypto/tls really reports it over TCP and as
// QUIC reports it, reads ErrHubRefusedCertificate; other alerts and a
// local failure do not.
func TestExplainCertificateRefused(t *testing.T) {
	ca := certstest.NewForeign(t, "Ban Cơ yếu Chính phủ")
	srv := ca.Organisation(t, "Máy chủ", "Thử", "0100000000")
	pool := x509.NewCertPool()
	pool.AddCert(ca.Root)
	pool.AddCert(ca.Issuing)
	serverConf := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srv.Leaf.Raw}, PrivateKey: srv.Key, Leaf: srv.Leaf}},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS13}
	c, s := net.Pipe()
	go func() {
		ss := tls.Server(s, serverConf)
		_ = ss.Handshake()
		ss.Close()
	}()
	// No client certificate: TLS 1.3 finishes the client's handshake, and
	// the server's "certificate required" comes on the first read.
	cc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
	defer cc.Close()
	err := cc.Handshake()
	if err == nil {
		_, err = cc.Read(make([]byte, 1))
	}
	if err == nil {
		t.Fatal("no error without a client certificate")
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("hello: %w", err), true},
		{&quic.TransportError{Remote: true, ErrorCode: 0x100 + 116}, true},
		{&quic.TransportError{Remote: true, ErrorCode: 0x100 + 48}, true},
		{&quic.TransportError{Remote: false, ErrorCode: 0x100 + 116}, false},
		{&quic.TransportError{Remote: true, ErrorCode: 0x100 + 70}, false}, // protocol version
		{&net.OpError{Op: "remote error", Err: fmt.Errorf("tls: protocol version not supported")}, false},
		{&net.OpError{Op: "dial", Err: fmt.Errorf("tls: bad certificate")}, false},
	} {
		if got := Explain(tc.err).Key == i18n.ErrHubRefusedCertificate; got != tc.want {
			t.Errorf("%v: refused certificate = %v, want %v", tc.err, got, tc.want)
		}
	}
}
