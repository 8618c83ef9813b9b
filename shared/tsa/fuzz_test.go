package tsa_test

import (
	"bytes"
	"context"
	"crypto"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/digitorus/timestamp"

	"lienthong/certs"
	"lienthong/shared/tsa"
)

// seedResponses returns a granted reply, its token and a rejection from the
// real server.
func seedResponses(f *testing.F) (reply, token, rejection []byte) {
	p := mustPKI(f)
	kp := p.tsas[certs.ECDSAP256]
	s := &tsa.Server{Signer: kp, Logger: quietLogger()}
	q, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: make([]byte, 32), Nonce: big.NewInt(99), Certificates: true}).Marshal()
	if err != nil {
		f.Fatal(err)
	}
	post := func(body []byte) []byte {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", tsa.ContentTypeQuery)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Body.Bytes()
	}
	reply = post(q)
	token, err = tsa.ParseResponse(reply)
	if err != nil {
		f.Fatal(err)
	}
	return reply, token, post([]byte("x"))
}

func FuzzParseToken(f *testing.F) {
	_, token, _ := seedResponses(f)
	f.Add(token)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := tsa.ParseToken(data)
		if err != nil {
			return
		}
		_ = tok.VerifySignature()
		_ = tok.Covers(data)
		if tok.Signer != nil {
			_ = tok.Verify(mustPKI(t).roots)
		}
	})
}

func FuzzParseResponse(f *testing.F) {
	reply, _, rejection := seedResponses(f)
	f.Add(reply)
	f.Add(rejection)
	f.Fuzz(func(t *testing.T, data []byte) {
		token, err := tsa.ParseResponse(data)
		if err == nil {
			_, _ = tsa.ParseToken(token)
		}
	})
}

// FuzzServe feeds arbitrary queries to the server's handler.
func FuzzServe(f *testing.F) {
	p := mustPKI(f)
	kp := p.tsas[certs.ECDSAP256]
	s := &tsa.Server{Signer: kp, Logger: quietLogger()}
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA1} {
		q, err := (&timestamp.Request{HashAlgorithm: h, HashedMessage: make([]byte, h.Size()), Nonce: big.NewInt(1), Certificates: true}).Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query []byte) {
		r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/", bytes.NewReader(query))
		r.Header.Set("Content-Type", tsa.ContentTypeQuery)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusOK:
			token, err := tsa.ParseResponse(w.Body.Bytes())
			if err != nil {
				t.Fatalf("granted reply does not parse: %v", err)
			}
			tok, err := tsa.ParseToken(token)
			if err != nil {
				t.Fatalf("issued token does not parse: %v", err)
			}
			if err := tok.VerifySignature(); err != nil && tok.Signer != nil {
				t.Fatalf("issued token does not verify: %v", err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if _, err := tsa.ParseResponse(w.Body.Bytes()); err == nil {
				t.Fatal("refusal parses as granted")
			}
		default:
			t.Fatalf("status %d", w.Code)
		}
	})
}
