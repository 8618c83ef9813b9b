package server_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"lienthong/hub/hubtest"
	"lienthong/shared/hubclient"
)

// TestFallbackToTCP points a client with QUIC enabled at a port where only
// TCP answers (UDP is "blocked"): it must get through over HTTP/2 by
// itself.
func TestFallbackToTCP(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", h.Addr)
			if err != nil {
				in.Close()
				continue
			}
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	a := h.Agencies[quangNinh]
	c, err := hubclient.New(ln.Addr().String(), a.Key, h.Verifier(), hubclient.Options{ServerName: "localhost", QUICHandshakeTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hello, err := c.Hello(ctx)
	if err != nil {
		t.Fatalf("hello with UDP blocked: %v", err)
	}
	if hello.Agency != quangNinh || c.Transport() != "h2" {
		t.Fatalf("agency %s over %q", hello.Agency, c.Transport())
	}
	// Later requests stay on TCP rather than trying QUIC each time.
	if _, err := c.Directory(ctx); err != nil || c.Transport() != "h2" {
		t.Fatalf("directory: %v over %q", err, c.Transport())
	}
}
