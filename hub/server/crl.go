package server

import (
	"net/http"

	"lienthong/certs"
	"lienthong/shared/wire"
)

// crl serves the revocation lists the hub verifies with (its verifier's,
// reloaded from the configured files), as PEM, so that clients judge a
// signer's revocation with the same lists. A CRL is signed by its CA and
// public: the client checks its signature, not the hub's word.
func (s *Server) crl(w http.ResponseWriter, r *request) error {
	var out []byte
	for _, l := range s.opts.Verifier.CRLs() {
		out = append(out, certs.EncodeCRLPEM(l.Raw)...)
	}
	w.Header().Set("Content-Type", wire.ContentCRL)
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(out)
	return err
}
