// Package front holds agencies' long polls in a process of its own beside
// the hub: the long-poll front (lienthong-hub front).
//
// An idle agency keeps one long poll open, and with it a connection whose
// state (QUIC's, TLS's, the client's certificates, the request) is about
// 90 KB of heap in the process that holds it. Ten thousand of them make a
// heap of most of a gigabyte, and each collection of the hub's heap then
// takes both cores for a second or more while documents wait. The front
// holds those connections instead, and allocates little, so it rarely
// collects; the hub keeps a small heap and collects quickly.
//
// The front answers the long polls (GET /v1/inbox, /v1/statuses,
// /v1/updates, /v1/edxml/inbox and /v1/edxml/statuses) on its own
// address, over the same QUIC and TCP with mutual TLS as the hub. It never
// reads the store: every answer is the hub's, asked for on the hub's
// control socket (package control; the hub's system user only) with the
// client's certificates and a wait of zero (Backend), so that the hub
// identifies the agency, checks it against the CRLs in force and the
// directory, and applies its rate limits to each answer, as for a request
// made to it directly. Between answers the front waits for the hub to say
// that the agency has something new: the hub streams the agencies it wakes
// on the same socket (PathWakes), one per line, and "*" for all of them.
// A poll registers before it asks the hub, and the stream, once connected,
// wakes every poll, so nothing the hub commits is missed. When the stream
// drops (the hub stops), every poll asks again: a hub that does not
// answer makes them end unavailable, and clients poll the hub's other
// nodes, or the hub itself (hubclient.Options.PollAddr).
//
// The front's answers are the hub's own, byte for byte; its caps (polls in
// all, polls per client certificate) and its refusal of anything but a
// long poll (not_found) are its only answers of its own.
package front

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"

	"lienthong/certs"
	"lienthong/hub/server"
	"lienthong/shared/wire"
)

// The front's protocol with the hub, on the hub's control socket.
const (
	// PathPrefix before a long poll's path (wire.PathInbox,
	// wire.PathStatuses, wire.PathUpdates) asks the hub for the answer
	// without waiting.
	PathPrefix = "/front"
	// PathWakes streams the agencies the hub wakes.
	PathWakes = "/front/wakes"
	// HeaderChain carries the client's certificates, leaf first, each in
	// base64 DER, separated by commas.
	HeaderChain = "Lienthong-Front-Chain"
	// HeaderAgency answers the agency the hub identified.
	HeaderAgency = "Lienthong-Front-Agency"
	// wakeAll on the stream wakes every poll.
	wakeAll = "*"
)

// Paths are the long polls the front holds.
var Paths = []string{wire.PathInbox, wire.PathStatuses, wire.PathUpdates, wire.PathEdXMLInbox, wire.PathEdXMLStatuses}

// maxChain bounds the certificates a forwarded request may carry.
const maxChain = 8

// Backend serves the front's protocol in the hub: srv answers, its relay
// tells the wake-ups.
func Backend(srv *server.Server) http.Handler {
	mux := http.NewServeMux()
	for _, p := range Paths {
		mux.HandleFunc("GET "+PathPrefix+p, func(w http.ResponseWriter, r *http.Request) { forwarded(srv, p, w, r) })
	}
	mux.HandleFunc("GET "+PathWakes, func(w http.ResponseWriter, r *http.Request) { wakes(srv, w, r) })
	return mux
}

// forwarded answers a front's client as the API would answer the same
// request made to the hub, without waiting.
func forwarded(srv *server.Server, path string, w http.ResponseWriter, r *http.Request) {
	chain, err := parseChain(r.Header.Get(HeaderChain))
	if err != nil {
		writeError(w, wire.CodeBadRequest, err.Error()) // the front's client sees it
		return
	}
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, HandshakeComplete: true, PeerCertificates: chain}
	r.URL.Path, r.URL.RawPath = path, ""
	// Without waiting: the front waits. A wait that is not a number of
	// seconds stays, for the hub to refuse.
	q := r.URL.Query()
	if _, ok := wire.ParseWait(q.Get("wait")); ok {
		q.Set("wait", "0")
		r.URL.RawQuery = q.Encode()
	}
	r = r.WithContext(server.WithIdentified(r.Context(), func(agency certs.AgencyCode) {
		w.Header().Set(HeaderAgency, string(agency))
	}))
	srv.ServeHTTP(w, r)
}

// parseChain reads HeaderChain.
func parseChain(h string) ([]*x509.Certificate, error) {
	if h == "" {
		return nil, errors.New("front: no client certificate")
	}
	parts := strings.Split(h, ",")
	if len(parts) > maxChain {
		return nil, errors.New("front: too many certificates")
	}
	chain := make([]*x509.Certificate, 0, len(parts))
	for _, p := range parts {
		der, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			return nil, errors.New("front: a certificate is not base64")
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, errors.New("front: a certificate does not parse")
		}
		chain = append(chain, c)
	}
	return chain, nil
}

// chainHeader is HeaderChain for a client's certificates.
func chainHeader(chain []*x509.Certificate) string {
	var b strings.Builder
	for i, c := range chain {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(base64.StdEncoding.EncodeToString(c.Raw))
	}
	return b.String()
}

// wakeQueue is how many wake-ups wait for the stream; past it the stream
// says "*" once it catches up.
const wakeQueue = 4096

// wakes streams the agencies srv's relay wakes until the client goes, or
// the relay drains.
func wakes(srv *server.Server, w http.ResponseWriter, r *http.Request) {
	rel := srv.Relay()
	queue := make(chan []certs.AgencyCode, wakeQueue)
	var overflow atomic.Bool
	stop := rel.Watch(func(agencies []certs.AgencyCode) {
		select {
		case queue <- append([]certs.AgencyCode(nil), agencies...):
		default:
			overflow.Store(true)
		}
	})
	defer stop()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if rc.Flush() != nil {
		return
	}
	var buf []byte
	for {
		select {
		case agencies := <-queue:
			buf = appendWake(buf[:0], agencies)
			for more := true; more; {
				select {
				case agencies := <-queue:
					buf = appendWake(buf, agencies)
				default:
					more = false
				}
			}
			if overflow.Swap(false) {
				buf = append(buf, wakeAll+"\n"...)
			}
			if _, err := w.Write(buf); err != nil || rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-rel.Draining():
			return
		}
	}
}

// appendWake appends the stream's lines for one wake-up: each agency, or
// "*" for all.
func appendWake(buf []byte, agencies []certs.AgencyCode) []byte {
	if agencies == nil {
		return append(buf, wakeAll+"\n"...)
	}
	for _, a := range agencies {
		buf = append(buf, a...)
		buf = append(buf, '\n')
	}
	return buf
}
