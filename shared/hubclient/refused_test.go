package hubclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/hubtest"
	"lienthong/shared/hubclient"

	"github.com/quic-go/quic-go"
)

// TestCertificateOfUntrustedCA: a client whose certificate was issued by
// a CA the hub does not name stops its own handshake, over QUIC and over
// TCP alike, and says why (certs.ErrRefusedByServer), rather than sending
// a request on a connection the hub is closing, which fails as a broken
// pipe or a reset and reads as the network down.
func TestCertificateOfUntrustedCA(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	rogue := certstest.NewForeign(t, "CA không được tin cậy")
	kp := rogue.Organisation(t, "Ủy ban nhân dân tỉnh Nghệ An", "Văn phòng UBND tỉnh", "2900325808")
	for _, tcp := range []bool{false, true} {
		c, err := hubclient.New(h.Addr, kp, h.Verifier(), hubclient.Options{DisableQUIC: tcp, ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		for range 3 {
			_, err = c.Hello(ctx)
			if !errors.Is(err, certs.ErrRefusedByServer) || !errors.Is(err, certs.ErrUntrusted) {
				t.Fatalf("tcp %v: hello with a certificate of an untrusted CA: %v, want ErrRefusedByServer and ErrUntrusted", tcp, err)
			}
			// Over QUIC the refusal is QUIC's: no fall back to TCP,
			// which would refuse the same way.
			if overQUIC := errors.As(err, new(*quic.TransportError)); overQUIC == tcp {
				t.Fatalf("tcp %v: the refusal came over QUIC: %v (%v)", tcp, overQUIC, err)
			}
		}
		cancel()
		c.Close()
	}
}
