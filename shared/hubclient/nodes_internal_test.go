package hubclient

import (
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/quic-go/quic-go"

	"lienthong/certs"
)

// TestNodeDown: which errors send a request on to another node, and
// which prove it never reached the node (so that even a request that is
// not safe to repeat may go on).
func TestNodeDown(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	for _, tc := range []struct {
		name         string
		err          error
		down, unsent bool
	}{
		{"refused at dial", fmt.Errorf("get: %w", dial), true, true},
		{"QUIC handshake timeout", &quic.HandshakeTimeoutError{}, true, true},
		{"reset while reading", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true, false},
		{"cut off mid-answer", io.ErrUnexpectedEOF, true, false},
		{"QUIC idle timeout", &quic.IdleTimeoutError{}, true, false},
		{"closed by the node", &quic.ApplicationError{Remote: true}, true, false},
		{"hub revoked", fmt.Errorf("hub certificate: %w", certs.ErrRevoked), false, false},
		{"wrong name", x509.HostnameError{}, false, false},
		{"unknown authority", x509.UnknownAuthorityError{}, false, false},
		{"TLS alert over QUIC", &quic.TransportError{ErrorCode: 0x12a, Remote: true}, false, false},
		{"body taken back", errRequestOver, false, false},
	} {
		if got := nodeDown(tc.err); got != tc.down {
			t.Errorf("%s: nodeDown = %v, want %v", tc.name, got, tc.down)
		}
		if got := unsent(tc.err); got != tc.unsent {
			t.Errorf("%s: unsent = %v, want %v", tc.name, got, tc.unsent)
		}
	}
}
