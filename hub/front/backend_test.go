package front

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/shared/wire"
)

// TestChainHeader: the certificates the front forwards come back as they
// were; a header that is empty, holds too many or is not certificates is
// refused.
func TestChainHeader(t *testing.T) {
	var chain []*x509.Certificate
	for i := range 2 {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: "c"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		chain = append(chain, c)
	}
	got, err := parseChain(chainHeader(chain))
	if err != nil || len(got) != 2 || !got[0].Equal(chain[0]) || !got[1].Equal(chain[1]) {
		t.Fatalf("round trip: %v", err)
	}
	one := chainHeader(chain[:1])
	for name, h := range map[string]string{
		"empty": "", "too many": strings.Repeat(one+",", maxChain) + one, "not base64": "@@", "not a certificate": "AAAA",
	} {
		if _, err := parseChain(h); err == nil {
			t.Errorf("%s: accepted", name)
		}
		// The backend answers it in the API's form, before asking the hub.
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, PathPrefix+Paths[0], nil)
		req.Header.Set(HeaderChain, h)
		Backend(nil).ServeHTTP(rec, req)
		var e wire.Error
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code != http.StatusBadRequest || e.Code != wire.CodeBadRequest ||
			rec.Header().Get("Content-Type") != wire.ContentJSON {
			t.Errorf("%s: the backend answered %d %q (%v)", name, rec.Code, rec.Body.String(), err)
		}
	}
}

// TestAppendWake: one line per agency, "*" for all.
func TestAppendWake(t *testing.T) {
	got := string(appendWake(appendWake(nil, []certs.AgencyCode{"000.00.00.H49", "000.00.00.H41"}), nil))
	if want := "000.00.00.H49\n000.00.00.H41\n*\n"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

// TestClientsBounded: the front keeps what it knows of certificates
// between their polls, but no more than about twice as many as it may
// hold polls, and never forgets one that holds a poll.
func TestClientsBounded(t *testing.T) {
	f, err := New(Options{Socket: "/nonexistent", MaxPolls: 3})
	if err != nil {
		t.Fatal(err)
	}
	held := [32]byte{0xff}
	if _, err := f.enter(held); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		key := [32]byte{byte(i)}
		if _, err := f.enter(key); err != nil {
			t.Fatal(err)
		}
		f.leave(key)
		if n := len(f.clients); n > 2*3+1 {
			t.Fatalf("after %d certificates the front knows %d", i+1, n)
		}
	}
	if f.clients[held] == nil || f.clients[held].polls != 1 || f.Polls() != 1 {
		t.Fatalf("the certificate holding a poll was forgotten: %+v", f.clients[held])
	}
	for i := range 3 {
		if _, err := f.enter([32]byte{0xee, byte(i)}); i < 2 && err != nil || i == 2 && err == nil {
			t.Fatalf("poll %d of 3 in all: %v", i+2, err)
		}
	}
}

// TestAnswerBounded: an answer of the hub longer than MaxAnswer is refused
// whole, and one within it is kept as it came.
func TestAnswerBounded(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hub.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	hub := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 100))
	})}
	go hub.Serve(ln)
	defer hub.Close()
	req := httptest.NewRequest(http.MethodGet, Paths[0], nil)
	req.TLS = &tls.ConnectionState{}
	for _, max := range []int64{99, 100} {
		f, err := New(Options{Socket: sock, MaxAnswer: max})
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.askHub(t.Context(), req)
		if max == 99 && (err == nil || !strings.Contains(err.Error(), "over 99 bytes")) {
			t.Fatalf("an answer of 100 bytes with MaxAnswer 99: %v", err)
		}
		if max == 100 && (err != nil || a.buf.Len() != 100) {
			t.Fatalf("an answer of 100 bytes with MaxAnswer 100: %v", err)
		}
	}
}
