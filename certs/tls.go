package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// ServerTLS returns a TLS 1.3 server config that presents kp and demands a
// client certificate that v accepts as an agency (chained to a root, in
// date, not revoked, standing for exactly one agency: Verifier.Agency),
// except that a certificate of a trusted CA that no agency registered
// passes the handshake, so that the server can answer why: handlers read
// the agency with Verifier.PeerAgency, which refuses it (ErrUnregistered).
// The client CAs, named to the client, are v's at the time of the call.
//
// The chain is verified once, by Verifier.Agency in VerifyConnection,
// which runs on every handshake: crypto/tls only checks that the client
// holds the key of the certificate it sent. Its own verification (with
// tls.RequireAndVerifyClientCert) built and checked the same chain again
// on every connection, where Verifier remembers a chain it has built.
func ServerTLS(kp *KeyPair, v *Verifier) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{kp.TLSCertificate()},
		ClientAuth:   tls.RequireAnyClientCert,
		ClientCAs:    v.ClientCAs(),
		Time:         v.now,
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := v.Agency(cs.PeerCertificates)
			if errors.Is(err, ErrUnregistered) {
				// Chained, in date, not revoked, but unknown to the
				// directory: let the handshake through so that the
				// server answers why (PeerAgency refuses it on every
				// request) rather than a bare TLS alert.
				return nil
			}
			return err
		},
	}
}

// ErrRefusedByServer: the client did not offer its certificate because
// the server could not accept it, which the client knows during the
// handshake: its CA is not among those the server names, or it has
// expired. The error wraps ErrUntrusted or ErrExpired as well.
var ErrRefusedByServer = errors.New("the server would refuse this certificate")

// ClientTLS returns a TLS 1.3 client config that presents kp and accepts
// only a server certificate for serverName chained to v's roots and not
// revoked.
//
// A certificate the server would refuse fails the handshake here, with
// ErrRefusedByServer, rather than being sent: in TLS 1.3 the server's
// refusal comes after the client has finished its handshake, and reaches
// a client that has already written its request as a reset connection or
// a bare "broken pipe", which reads as the network down.
func ClientTLS(kp *KeyPair, v *Verifier, serverName string) *tls.Config {
	cert := kp.TLSCertificate()
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		GetClientCertificate: func(req *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if err := acceptable(req, &cert, kp.Leaf, v.now()); err != nil {
				return nil, err
			}
			return &cert, nil
		},
		RootCAs:    v.Roots(),
		ServerName: serverName,
		Time:       v.now,
		VerifyConnection: func(cs tls.ConnectionState) error {
			chains := cs.VerifiedChains
			if len(chains) == 0 {
				return errors.New("the hub presented no verified certificate chain")
			}
			chain := chains[0]
			for i := 0; i+1 < len(chain); i++ {
				if status, _ := v.Revocation(chain[i], chain[i+1]); status == RevocationRevoked {
					return fmt.Errorf("hub certificate %q: %w", chain[i].Subject.CommonName, ErrRevoked)
				}
			}
			return nil
		},
	}
}

// PeerAgency returns the agency of a connection accepted with ServerTLS.
// The handshake has already verified the chain; this only decides the
// identity, with the registrations in force now (a registration removed
// since the handshake counts).
func (v *Verifier) PeerAgency(cs tls.ConnectionState) (AgencyCode, error) {
	if len(cs.PeerCertificates) == 0 {
		return "", ErrNoCertificate
	}
	return v.peerAgency(cs.PeerCertificates[0])
}

// acceptable reports whether the server that sent req can accept cert,
// whose end-entity certificate is leaf, at now.
func acceptable(req *tls.CertificateRequestInfo, cert *tls.Certificate, leaf *x509.Certificate, now time.Time) error {
	if leaf == nil {
		return fmt.Errorf("%w: no certificate", ErrRefusedByServer)
	}
	// Expired by the client's clock. (Not yet valid is left to the server:
	// a certificate issued minutes ago must not be refused by a clock
	// that runs a little slow.)
	if now.After(leaf.NotAfter) {
		return fmt.Errorf("%w: %q expired on %s: %w", ErrRefusedByServer, leaf.Subject.CommonName,
			leaf.NotAfter.Format(time.DateOnly), ErrExpired)
	}
	if err := req.SupportsCertificate(cert); err != nil {
		// Its chain names no CA the server lists (or its key signs with
		// no scheme the server accepts).
		return fmt.Errorf("%w: %q, issued by %q: %v: %w", ErrRefusedByServer, leaf.Subject.CommonName,
			leaf.Issuer.CommonName, err, ErrUntrusted)
	}
	return nil
}
