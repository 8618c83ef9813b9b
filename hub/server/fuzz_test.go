package server_test

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/wire"
)

// FuzzAPI feeds arbitrary bodies to the calls that decode what agencies
// send, on a real hub and store, as an authenticated agency: the hub must
// answer every one with a well-formed error or success, never panic, and
// never answer 500 for bad input.
func FuzzAPI(f *testing.F) {
	h := hubtest.Start(f, hubtest.Options{Configure: func(c *config.Config) {
		c.RequestsPerSecond, c.Burst = 1e9, 1<<30 // fuzz the decoders, not the limiter
	}})
	peer := tls.ConnectionState{PeerCertificates: h.Agencies[quangNinh].Key.Certificates()}
	f.Add(uint8(0), []byte(`{"payload":"e30=","signature":"AA=="}`))
	f.Add(uint8(1), []byte(`{"payload":"eyJraW5kIjoic3RhdHVzIn0=","signature":""}`))
	f.Add(uint8(2), []byte(`{"cursors":[1,2,3]}`))
	f.Add(uint8(3), []byte("0123456789"))
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		var method, path string
		switch which % 4 {
		case 0:
			method, path = http.MethodPost, wire.PathMessages
		case 1:
			method, path = http.MethodPost, wire.PathStatuses
		case 2:
			method, path = http.MethodPost, wire.PathStatusesAck
		case 3:
			method, path = http.MethodPatch, "/v1/uploads/"+"00000000000000000000000000000000000000000000000000000000000000ff"+"?size=10&offset=0"
		}
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.TLS = &peer
		w := httptest.NewRecorder()
		h.Server.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s answered %d: %s", method, path, w.Code, w.Body.String())
		}
	})
}
