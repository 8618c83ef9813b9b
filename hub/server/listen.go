package server

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// Endpoint serves one handler on one port number twice: HTTP/3 over QUIC
// on UDP, and HTTP/2 over TLS on TCP for networks that block UDP, whose
// answers announce the QUIC endpoint with Alt-Svc.
type Endpoint struct {
	h3      *http3.Server
	h2      *http.Server
	quic    *quic.Transport
	ql      *quic.EarlyListener
	udp     net.PacketConn
	tcp     net.Listener
	log     *slog.Logger
	serving sync.WaitGroup
	errs    chan error
}

// QUICConfig is the hub's QUIC tuning: keep-alives so NATs keep idle
// long-polling clients reachable, and stream windows sized for large
// uploads without reserving much per idle connection.
func QUICConfig() *quic.Config {
	return &quic.Config{
		MaxIdleTimeout:                 90 * time.Second,
		KeepAlivePeriod:                25 * time.Second,
		MaxIncomingStreams:             256,
		InitialStreamReceiveWindow:     256 << 10,
		MaxStreamReceiveWindow:         8 << 20,
		InitialConnectionReceiveWindow: 512 << 10,
		MaxConnectionReceiveWindow:     16 << 20,
	}
}

// idleTimeout closes a connection that has carried no request for that
// long.
const idleTimeout = 120 * time.Second

// Listen binds UDP and TCP on addr ("host:port"; port 0 picks a free port
// number that is free for both).
func Listen(addr string, h http.Handler, tlsConf *tls.Config, log *slog.Logger) (*Endpoint, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %q: %w", addr, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var udp net.PacketConn
	var tcp net.Listener
	for attempt := 0; ; attempt++ {
		udp, err = net.ListenPacket("udp", net.JoinHostPort(host, port))
		if err != nil {
			return nil, fmt.Errorf("listen udp %s: %w", addr, err)
		}
		p := strconv.Itoa(udp.LocalAddr().(*net.UDPAddr).Port)
		tcp, err = net.Listen("tcp", net.JoinHostPort(host, p))
		if err == nil {
			break
		}
		udp.Close()
		if port != "0" || attempt == 10 {
			return nil, fmt.Errorf("listen tcp %s: %w", addr, err)
		}
	}
	e := &Endpoint{udp: udp, tcp: tcp, log: log, errs: make(chan error, 2)}
	// A stateless reset key that survives restarts lets a client whose
	// connection died with the hub learn it at its next packet, instead of
	// waiting out the idle timeout.
	resetKey, err := statelessResetKey(tlsConf)
	if err != nil {
		udp.Close()
		tcp.Close()
		return nil, err
	}
	e.quic = &quic.Transport{Conn: udp, StatelessResetKey: resetKey}
	// No session tickets: no client of ours resumes a session (hubclient
	// keeps no session cache), and an issued ticket, which carries the
	// agency's certificate, stays referenced by the connection's TLS and
	// QUIC state as long as it lives: several KB of live heap per idle
	// long-polling agency for the collector to mark, for nothing. (A
	// resumed session would still pass VerifyConnection's check of the
	// agency's certificate, and every request checks it again.)
	tlsConf = tlsConf.Clone()
	tlsConf.SessionTicketsDisabled = true
	h3TLS := http3.ConfigureTLSConfig(tlsConf.Clone())
	if e.ql, err = e.quic.ListenEarly(h3TLS, QUICConfig()); err != nil {
		udp.Close()
		tcp.Close()
		return nil, fmt.Errorf("listen quic %s: %w", addr, err)
	}
	// A connection with no request for IdleTimeout is closed on both
	// transports (a long poll in progress is a request): QUIC keep-alives
	// alone do not hold a connection, and its memory, for ever.
	e.h3 = &http3.Server{Handler: h, TLSConfig: h3TLS, QUICConfig: QUICConfig(), Logger: log, IdleTimeout: idleTimeout}
	tcpTLS := tlsConf.Clone()
	tcpTLS.NextProtos = []string{"h2", "http/1.1"}
	// Every TCP answer announces the QUIC port, from the first request to
	// the last of a graceful stop. The HTTP/3 server's own header
	// (SetQUICHeaders) is empty while it has no listener, before Serve
	// starts it and once Shutdown closes it, and answers in those moments
	// went out without it.
	altSvc := altSvcHeader(udp.LocalAddr().(*net.UDPAddr).Port)
	e.h2 = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Alt-Svc"] = []string{altSvc}
			h.ServeHTTP(w, r)
		}),
		TLSConfig:         tcpTLS,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	e.h3.Port = udp.LocalAddr().(*net.UDPAddr).Port
	return e, nil
}

// Addr is the address both transports listen on.
func (e *Endpoint) Addr() string { return e.tcp.Addr().String() }

// Serve serves both transports until Shutdown; it returns the first error
// of either that is not a shutdown.
func (e *Endpoint) Serve() error {
	e.serving.Add(2)
	go func() {
		defer e.serving.Done()
		if err := e.h3.ServeListener(e.ql); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, quic.ErrServerClosed) {
			e.errs <- fmt.Errorf("http/3: %w", err)
		}
	}()
	go func() {
		defer e.serving.Done()
		if err := e.h2.Serve(tlsListener(e.tcp, e.h2.TLSConfig)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.errs <- fmt.Errorf("http/2: %w", err)
		}
	}()
	e.log.Info("hub listening", "addr", e.Addr(), "transports", "h3/udp h2/tcp")
	e.serving.Wait()
	select {
	case err := <-e.errs:
		return err
	default:
		return nil
	}
}

// Shutdown stops accepting and waits for requests in flight (uploads
// among them) to finish, until ctx ends; then it closes what is left.
func (e *Endpoint) Shutdown(ctx context.Context) error {
	var wg sync.WaitGroup
	var err3, err2 error
	wg.Add(2)
	go func() { defer wg.Done(); err3 = e.h3.Shutdown(ctx) }()
	go func() { defer wg.Done(); err2 = e.h2.Shutdown(ctx) }()
	wg.Wait()
	if ctx.Err() != nil {
		e.h3.Close()
		e.h2.Close()
	}
	e.ql.Close()
	e.quic.Close()
	// The transport leaves the socket it was given open: close it, so that
	// the port is free and a client's next packet on a connection left
	// over is answered port unreachable (a connected client socket learns
	// at once that this node is gone).
	e.udp.Close()
	return errors.Join(err3, err2)
}

// statelessResetKey derives the QUIC stateless reset key from the hub's
// TLS private key, so it is the same after every restart and secret.
func statelessResetKey(conf *tls.Config) (*quic.StatelessResetKey, error) {
	if len(conf.Certificates) == 0 {
		return nil, errors.New("listen: the TLS configuration has no certificate")
	}
	der, err := x509.MarshalPKCS8PrivateKey(conf.Certificates[0].PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("listen: stateless reset key: %w", err)
	}
	h := sha256.New()
	h.Write([]byte("lienthong hub QUIC stateless reset key v1\x00"))
	h.Write(der)
	var key quic.StatelessResetKey
	copy(key[:], h.Sum(nil))
	return &key, nil
}

// altSvcHeader is the Alt-Svc value that announces HTTP/3 on port, as
// quic-go's http3 server writes it.
func altSvcHeader(port int) string {
	return fmt.Sprintf(`%s=":%d"; ma=2592000`, http3.NextProtoH3, port)
}

func tlsListener(l net.Listener, conf *tls.Config) net.Listener { return tls.NewListener(l, conf) }
