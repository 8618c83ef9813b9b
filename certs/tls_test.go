package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestMutualTLS runs real TLS 1.3 handshakes on loopback and checks who
// gets in and what identity the server sees.
func TestMutualTLS(t *testing.T) {
	p := newTestPKI(t)
	hub, err := p.issuing.IssueHub(HubRequest{DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}, "")
	if err != nil {
		t.Fatal(err)
	}
	good := p.agency(t, "000.00.00.H49")
	revoked := p.agency(t, "000.00.00.H41")
	person, err := p.issuing.IssuePerson(PersonRequest{FullName: "A", Position: "B", Agency: "000.00.00.H49"}, "")
	if err != nil {
		t.Fatal(err)
	}
	foreignPKI := newTestPKI(t)
	foreign := foreignPKI.agency(t, "000.00.00.H49")
	crl, err := p.issuing.CRL([]Revocation{{Serial: revoked.Leaf.SerialNumber, Time: time.Now().Add(-time.Minute)}}, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := ParseCRL(crl)
	v := p.verifier(t)
	v.SetCRLs(parsed)

	ln, err := tls.Listen("tcp", "127.0.0.1:0", ServerTLS(hub, v))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	seen := make(chan string, 16) // agencies the server accepted
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c *tls.Conn) {
				defer c.Close()
				if err := c.Handshake(); err != nil {
					return
				}
				code, err := v.PeerAgency(c.ConnectionState())
				if err != nil {
					return
				}
				seen <- string(code)
				io.WriteString(c, string(code))
			}(conn.(*tls.Conn))
		}
	}()

	// dial connects with cfg and returns what the server says: the
	// agency it saw.
	dial := func(cfg *tls.Config) ([]byte, error) {
		conn, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		return io.ReadAll(conn)
	}

	tests := []struct {
		name       string
		client     *KeyPair
		clientPKI  *testPKI
		serverName string
		wantCode   string // empty: the connection must fail
		wantErr    string
	}{
		{"good agency", good, p, "localhost", "000.00.00.H49", ""},
		{"by IP", good, p, "127.0.0.1", "000.00.00.H49", ""},
		{"revoked agency", revoked, p, "localhost", "", "bad certificate"},
		// A root of the same name as ours: the client cannot tell it
		// from the hub's list of CAs (TestClientStopsBeforeRefusal).
		{"foreign root", foreign, p, "localhost", "", "certificate"},
		{"person certificate", person, p, "localhost", "", "certificate"},
		{"client does not trust the hub", good, foreignPKI, "localhost", "", "unknown authority"},
		{"wrong host name", good, p, "hub.example.vn", "", "not hub.example.vn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ClientTLS(tt.client, tt.clientPKI.verifier(t), tt.serverName)
			got, err := dial(cfg)
			if tt.wantCode != "" {
				if err != nil || string(got) != tt.wantCode {
					t.Fatalf("got %q, %v; want %q", got, err, tt.wantCode)
				}
				if s := <-seen; s != tt.wantCode {
					t.Fatalf("server saw %q", s)
				}
				return
			}
			if err == nil {
				t.Fatalf("connection accepted, server said %q", got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
	t.Run("no client certificate", func(t *testing.T) {
		cfg := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: v.Roots(), ServerName: "localhost"}
		conn, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err == nil {
			_, err = io.ReadAll(conn)
			conn.Close()
		}
		if err == nil || errors.Is(err, io.EOF) {
			t.Fatalf("anonymous client got in: %v", err)
		}
	})
	// Certificates the clerk's ClientTLS would not send, sent anyway by a
	// client of its own: the server's one verification refuses each.
	t.Run("sent anyway", func(t *testing.T) {
		expired := p.craft(t, clientTemplate(AgencyURIPrefix+"000.00.00.H49"), time.Now().Add(-2*LeafValidity), LeafValidity)
		ca := &KeyPair{Leaf: p.issuing.Cert, Chain: []*x509.Certificate{p.root.Cert}, Key: p.issuing.Key}
		for _, c := range []struct {
			name string
			kp   *KeyPair
			want string // empty: accepted as this agency
		}{
			{"good agency", good, "000.00.00.H49"},
			{"expired agency", expired, ""},
			{"revoked agency", revoked, ""},
			{"the hub's certificate", hub, ""},
			{"a CA's certificate", ca, ""},
			{"under another root", foreign, ""},
		} {
			cfg := &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: v.Roots(), ServerName: "localhost",
				Certificates: []tls.Certificate{c.kp.TLSCertificate()}}
			got, err := dial(cfg)
			switch {
			case c.want != "" && (err != nil || string(got) != c.want):
				t.Errorf("%s: got %q, %v; want %q", c.name, got, err, c.want)
			case c.want != "":
				if s := <-seen; s != c.want {
					t.Errorf("%s: the server saw %q", c.name, s)
				}
			case err == nil || !strings.Contains(err.Error(), "bad certificate"):
				t.Errorf("%s: got %q, %v; want a bad certificate alert", c.name, got, err)
			}
		}
	})
	t.Run("TLS 1.2 refused", func(t *testing.T) {
		cfg := ClientTLS(good, v, "localhost")
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		if conn, err := tls.Dial("tcp", ln.Addr().String(), cfg); err == nil {
			conn.Close()
			t.Fatal("TLS 1.2 handshake succeeded")
		}
	})
}

// TestClientStopsBeforeRefusal checks that the client's handshake stops
// with ErrRefusedByServer, rather than sending its certificate, when the
// server could not accept it: a CA the server does not name, or expired.
func TestClientStopsBeforeRefusal(t *testing.T) {
	p := newTestPKI(t)
	good := p.agency(t, "000.00.00.H49")
	cert := good.TLSCertificate()
	ours := &tls.CertificateRequestInfo{
		AcceptableCAs:    [][]byte{p.root.Cert.RawSubject},
		SignatureSchemes: []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256, tls.PSSWithSHA256, tls.Ed25519},
		Version:          tls.VersionTLS13,
	}
	other := *ours
	other.AcceptableCAs = [][]byte{[]byte("0\x00")} // an empty DN: no CA of ours
	now := good.Leaf.NotBefore.Add(time.Hour)

	if err := acceptable(ours, &cert, good.Leaf, now); err != nil {
		t.Fatalf("our CA, in date: %v", err)
	}
	if err := acceptable(&other, &cert, good.Leaf, now); !errors.Is(err, ErrRefusedByServer) || !errors.Is(err, ErrUntrusted) {
		t.Fatalf("a CA the server does not name: %v, want ErrRefusedByServer and ErrUntrusted", err)
	}
	at := good.Leaf.NotAfter.Add(time.Hour)
	if err := acceptable(ours, &cert, good.Leaf, at); !errors.Is(err, ErrRefusedByServer) || !errors.Is(err, ErrExpired) {
		t.Fatalf("at %s, expired: %v, want ErrRefusedByServer and ErrExpired", at, err)
	}
	// A certificate not yet valid by a clock that runs slow is offered:
	// the server, whose clock counts, decides.
	if err := acceptable(ours, &cert, good.Leaf, good.Leaf.NotBefore.Add(-time.Hour)); err != nil {
		t.Fatalf("before its start by the client's clock: %v, want it offered", err)
	}
}

// BenchmarkServerHandshake is the server's side of a full TLS 1.3
// handshake with an agency (the client's side runs too, in another
// goroutine): what a hub spends on each connection, ten thousand at
// once after a restart.
func BenchmarkServerHandshake(b *testing.B) {
	p := newTestPKI(b)
	hub, err := p.issuing.IssueHub(HubRequest{DNSNames: []string{"localhost"}}, "")
	if err != nil {
		b.Fatal(err)
	}
	v := p.verifier(b)
	server, client := ServerTLS(hub, v), ClientTLS(p.agency(b, "000.00.00.H49"), v, "localhost")
	for b.Loop() {
		sc, cc := net.Pipe()
		done := make(chan error, 1)
		go func() {
			c := tls.Client(cc, client)
			done <- c.Handshake()
			io.Copy(io.Discard, c)
		}()
		s := tls.Server(sc, server)
		if err := s.Handshake(); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
