package server

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"

	"lienthong/certs/certstest"
)

// TestAltSvcWhileQUICDoesNotServe: a TCP answer announces the QUIC port
// also while the HTTP/3 server has no listener (before Serve starts it,
// after Shutdown closes it), as every TCP answer must (docs/API.md).
func TestAltSvcWhileQUICDoesNotServe(t *testing.T) {
	pki := certstest.New(t)
	conf := &tls.Config{Certificates: []tls.Certificate{pki.Hub(t).TLSCertificate()}}
	e, err := Listen("127.0.0.1:0", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.Shutdown(ctx)
	})
	// Only the TCP side serves.
	go e.h2.Serve(tlsListener(e.tcp, e.h2.TLSConfig))

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Verifier(t).Roots(), ServerName: "localhost"}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + e.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := `h3=":` + portOf(t, e.udp.LocalAddr()) + `"; ma=2592000`
	if got := resp.Header.Get("Alt-Svc"); got != want {
		t.Fatalf("Alt-Svc %q, want %q", got, want)
	}
}

func portOf(t *testing.T, a net.Addr) string {
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}
