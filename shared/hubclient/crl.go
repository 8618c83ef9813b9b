package hubclient

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"

	"lienthong/certs"
	"lienthong/shared/wire"
)

// MaxCRLBytes bounds a CRL answer: a national PKI's lists are a few
// megabytes.
const MaxCRLBytes = 32 << 20

// CRLs fetches the PKI's current revocation lists from the hub. Their
// signatures are not checked here: a certs.Verifier uses a list only once
// it verifies with the certificate's issuer.
func (c *Client) CRLs(ctx context.Context) ([]*x509.RevocationList, error) {
	b, err := c.get(ctx, wire.PathCRL, MaxCRLBytes+1)
	if err != nil {
		return nil, err
	}
	return ReadCRLs(bytes.NewReader(b))
}

// ReadCRLs reads revocation lists as the hub and CRL distribution points
// serve them: PEM "X509 CRL" blocks, or one DER list, at most MaxCRLBytes;
// an empty answer is no list.
func ReadCRLs(r io.Reader) ([]*x509.RevocationList, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxCRLBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read CRLs: %w", err)
	}
	if len(data) > MaxCRLBytes {
		return nil, fmt.Errorf("read CRLs: more than %d bytes", MaxCRLBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil // a hub configured without CRLs
	}
	return certs.ParseCRLs(data)
}
