package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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

// FuzzUpload drives the upload path (the digest in the path, the size and
// offset parameters, the body) on a real hub and store as an
// authenticated agency: no panic, no 500 for bad input, every answer a
// wire.Error or an upload state, and no upload answered done unless the
// hub holds bytes of that size under that digest that hash to it.
func FuzzUpload(f *testing.F) {
	h := hubtest.Start(f, hubtest.Options{Configure: func(c *config.Config) {
		c.RequestsPerSecond, c.Burst = 1e9, 1<<30
		c.MaxAttachmentMB = 1
	}})
	peer := tls.ConnectionState{PeerCertificates: h.Agencies[quangNinh].Key.Certificates()}
	hello := sha256.Sum256([]byte("hello"))
	digest := hex.EncodeToString(hello[:])
	f.Add(true, digest, "5", "0", []byte("hello"))
	f.Add(true, digest, "5", "2", []byte("llo"))
	f.Add(false, digest, "5", "", []byte(nil))
	f.Add(true, digest, "5", "0", []byte("hellohello"))
	f.Add(true, digest, "4", "0", []byte("hell"))
	f.Add(true, strings.Repeat("0", 64), "3", "0", []byte("abc"))
	f.Add(true, strings.ToUpper(digest), "5", "0", []byte("hello"))
	f.Add(true, digest, "-1", "0", []byte(nil))
	f.Add(true, digest, "99999999999999999999", "0", []byte(nil))
	f.Add(true, digest, "5", "6", []byte("x"))
	f.Add(false, digest+"/..", "5", "0", []byte(nil))
	f.Fuzz(func(t *testing.T, patch bool, dgst, size, offset string, body []byte) {
		method := http.MethodPost
		if patch {
			method = http.MethodPatch
		}
		target := "/v1/uploads/" + url.PathEscape(dgst) + "?" + url.Values{"size": {size}, "offset": {offset}}.Encode()
		req := httptest.NewRequest(method, target, bytes.NewReader(body))
		req.TLS = &peer
		w := httptest.NewRecorder()
		h.Server.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s answered %d: %s", method, target, w.Code, w.Body.String())
		}
		if w.Code != http.StatusOK {
			var we wire.Error
			if err := json.Unmarshal(w.Body.Bytes(), &we); err != nil || we.Code == "" || we.Code.HTTPStatus() != w.Code {
				t.Fatalf("%s %s: %d %q is not a wire error of that status", method, target, w.Code, w.Body.String())
			}
			return
		}
		var st wire.UploadState
		if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || st.SHA256 != dgst || st.Offset < 0 || st.Offset > st.Size {
			t.Fatalf("%s %s: answer %q (%v)", method, target, w.Body.String(), err)
		}
		if !st.Done {
			return
		}
		blob, err := h.Store.OpenBlob(context.Background(), dgst)
		if err != nil {
			t.Fatalf("done, but no blob %s: %v", dgst, err)
		}
		defer blob.Close()
		sum := sha256.New()
		n, err := io.Copy(sum, blob)
		if err != nil || n != st.Size || hex.EncodeToString(sum.Sum(nil)) != dgst {
			t.Fatalf("done, but the blob holds %d bytes hashing to %x (%v)", n, sum.Sum(nil), err)
		}
	})
}
