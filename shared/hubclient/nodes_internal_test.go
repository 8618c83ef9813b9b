package hubclient

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
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

// TestReadBody: an answer of a declared length is read into a buffer of
// that length, one cut short is an error rather than a truncated answer,
// and a length over the bound (or none) is read as it comes, within the
// limit, without a buffer of the declared size.
func TestReadBody(t *testing.T) {
	answer := func(body string, declared int64) *http.Response {
		return &http.Response{Body: io.NopCloser(strings.NewReader(body)), ContentLength: declared}
	}
	b, err := readBody(answer(`{"a":1}`, 7), 1<<20)
	if err != nil || string(b) != `{"a":1}` || cap(b) != 7 {
		t.Fatalf("declared: %q (cap %d), %v", b, cap(b), err)
	}
	if b, err := readBody(answer(`{"a":`, 7), 1<<20); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("cut short: %q, %v", b, err)
	}
	if b, err := readBody(answer(`{"a":1}`, -1), 1<<20); err != nil || string(b) != `{"a":1}` {
		t.Fatalf("undeclared: %q, %v", b, err)
	}
	if b, err := readBody(answer(`{"a":1}`, 1<<40), 4); err != nil || string(b) != `{"a"` {
		t.Fatalf("declared beyond the limit: %q, %v", b, err)
	}
	if b, err := readBody(answer(`{"a":1}`, maxSized+1), 1<<40); err != nil || string(b) != `{"a":1}` || cap(b) > maxSized {
		t.Fatalf("declared beyond maxSized: %q (cap %d), %v", b, cap(b), err)
	}
}
