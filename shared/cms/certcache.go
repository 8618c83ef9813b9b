package cms

import (
	"bytes"
	"crypto/x509"
	"sync"
)

// certCache remembers parsed certificates by their exact DER bytes: the
// hub parses the same few agency, CA and timestamping certificates in
// every container it reads, and x509.ParseCertificate is a good part of
// the cost of reading one. As with crypto/tls's certificate cache, the
// parsed certificates are shared between the containers that carry them
// and must not be modified.
var certCache = parsedCerts{max: 4096}

type parsedCerts struct {
	mu  sync.Mutex
	max int // entries kept at most; beyond, an arbitrary one is dropped
	m   map[string]*x509.Certificate
}

// parse returns the certificate encoded by der, parsing it only when it
// is not remembered; a parse error is returned and not remembered.
func (p *parsedCerts) parse(der []byte) (*x509.Certificate, error) {
	p.mu.Lock()
	c, ok := p.m[string(der)]
	p.mu.Unlock()
	if ok {
		return c, nil
	}
	// A certificate's fields alias the bytes it was parsed from, and the
	// caller's buffer may be reused: a remembered one has its own copy.
	c, err := x509.ParseCertificate(bytes.Clone(der))
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[string]*x509.Certificate)
	}
	if len(p.m) >= p.max {
		for k := range p.m {
			delete(p.m, k)
			break
		}
	}
	p.m[string(c.Raw)] = c
	return c, nil
}
