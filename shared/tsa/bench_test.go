package tsa_test

import (
	"bytes"
	"crypto"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/digitorus/timestamp"

	"lienthong/certs"
	"lienthong/shared/tsa"
)

// BenchmarkServe measures issuing one token (ECDSA P-256) through the
// handler, without the network.
func BenchmarkServe(b *testing.B) {
	p := mustPKI(b)
	kp := p.tsas[certs.ECDSAP256]
	s := &tsa.Server{Signer: kp, Logger: quietLogger()}
	q, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: make([]byte, 32), Nonce: big.NewInt(5), Certificates: true}).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(q))
		r.Header.Set("Content-Type", tsa.ContentTypeQuery)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
