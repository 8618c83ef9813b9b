package apicheck

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"testing"

	"lienthong/certs"
)

// Proxy checks the traffic of a hub running as its own process, which no
// Recorder can wrap: it serves HTTP/2 and HTTP/1.1 over TLS on a loopback
// port as the hub (its certificate is serverKP, so clients connect with
// DisableQUIC and the hub's name), forwards every request, in its HTTP
// version, to the hub at hubAddr over TCP as the agency whose certificate
// the client presented (one of agencies, trusted by roots), and checks each
// exchange with a Recorder. The mismatches fail t when it ends. It returns
// the proxy's address.
func Proxy(t testing.TB, hubAddr, serverName string, serverKP *certs.KeyPair, roots *x509.CertPool, agencies []*certs.KeyPair) string {
	t.Helper()
	return WrappedProxy(t, hubAddr, serverName, serverKP, roots, agencies, nil)
}

// WrappedProxy is Proxy with wrap (if not nil) around the checked
// forwarding: a test that counts the requests, or answers some itself as
// an older hub would, does it there, and what it answers is not checked.
func WrappedProxy(t testing.TB, hubAddr, serverName string, serverKP *certs.KeyPair, roots *x509.CertPool, agencies []*certs.KeyPair, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	rec, err := NewRecorder()
	if err != nil {
		t.Fatal(err)
	}
	// Each agency's requests go on in the HTTP version they came in, so
	// that the hub's HTTP/1.1 is the client's.
	type pair struct{ h1, h2 *http.Transport }
	transports := map[string]pair{} // by the agency certificate's raw bytes
	for _, kp := range agencies {
		var tp pair
		for _, h2 := range []bool{false, true} {
			var protos http.Protocols
			protos.SetHTTP1(!h2)
			protos.SetHTTP2(h2)
			tr := &http.Transport{
				TLSClientConfig: &tls.Config{
					Certificates: []tls.Certificate{kp.TLSCertificate()}, RootCAs: roots, ServerName: serverName,
					MinVersion: tls.VersionTLS13,
				},
				Protocols: &protos,
			}
			t.Cleanup(tr.CloseIdleConnections)
			if h2 {
				tp.h2 = tr
			} else {
				tp.h1 = tr
			}
		}
		transports[string(kp.Leaf.Raw)] = tp
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "https", Host: hubAddr})
			r.Out.Host = r.In.Host
		},
		Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.TLS == nil || len(req.TLS.PeerCertificates) == 0 {
				return nil, errors.New("apicheck proxy: a client without a certificate")
			}
			tp, ok := transports[string(req.TLS.PeerCertificates[0].Raw)]
			if !ok {
				return nil, errors.New("apicheck proxy: a client certificate of no agency given")
			}
			if req.ProtoMajor == 1 {
				return tp.h1.RoundTrip(req)
			}
			return tp.h2.RoundTrip(req)
		}),
		// A hub that cannot be reached (not up yet, or gone) is a dropped
		// connection to the client, as without the proxy, and no
		// exchange to check.
		ErrorHandler: func(http.ResponseWriter, *http.Request, error) { panic(http.ErrAbortHandler) },
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	handler := rec.Wrap(proxy)
	if wrap != nil {
		handler = wrap(handler)
	}
	srv := &http.Server{
		Handler: handler,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{serverKP.TLSCertificate()}, ClientAuth: tls.RequireAnyClientCert,
			MinVersion: tls.VersionTLS13, NextProtos: []string{"h2", "http/1.1"},
		},
	}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() {
		srv.Close()
		rec.Report(t)
	})
	return ln.Addr().String()
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
