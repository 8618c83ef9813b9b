package tsa_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"lienthong/certs"
	"lienthong/shared/cms"
	"lienthong/shared/tsa"
)

func digestOf(h crypto.Hash, data []byte) []byte {
	d := h.New()
	d.Write(data)
	return d.Sum(nil)
}

func TestRoundTrip(t *testing.T) {
	p := mustPKI(t)
	tests := []struct {
		name string
		alg  certs.KeyAlgorithm
		hash crypto.Hash
	}{
		{"ecdsa-p256 sha-256", certs.ECDSAP256, crypto.SHA256},
		{"ecdsa-p384 sha-384", certs.ECDSAP384, crypto.SHA384},
		{"rsa-2048 sha-512", certs.RSA2048, crypto.SHA512},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kp := p.tsas[tt.alg]
			_, hs := newServer(t, kp, nil)
			sigValue := []byte("the signature value of a PAdES signature")
			digest := digestOf(tt.hash, sigValue)
			before := time.Now().Truncate(time.Second)
			der, err := tsa.Request(context.Background(), hs.Client(), hs.URL, digest, tt.hash)
			if err != nil {
				t.Fatalf("Request: %v", err)
			}
			after := time.Now()
			tok, err := tsa.ParseToken(der)
			if err != nil {
				t.Fatalf("ParseToken: %v", err)
			}
			if tok.Time.Before(before) || tok.Time.After(after) {
				t.Errorf("token time %v outside [%v, %v]", tok.Time, before, after)
			}
			if tok.Accuracy != time.Second {
				t.Errorf("Accuracy = %v", tok.Accuracy)
			}
			if tok.Hash != tt.hash || !bytes.Equal(tok.HashedMessage, digest) {
				t.Errorf("imprint %v %x", tok.Hash, tok.HashedMessage)
			}
			if tok.Signer == nil || !tok.Signer.Equal(kp.Leaf) || len(tok.Certificates) != 1+len(kp.Chain) {
				t.Errorf("signer %v, %d certificates", tok.Signer, len(tok.Certificates))
			}
			if !tok.Policy.Equal(tsa.DefaultPolicy) {
				t.Errorf("policy %v", tok.Policy)
			}
			if err := tok.Verify(p.roots); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if err := tok.Covers(sigValue); err != nil {
				t.Errorf("Covers(signature value): %v", err)
			}
			if err := tok.Covers([]byte("other")); !errors.Is(err, tsa.ErrImprintMismatch) {
				t.Errorf("Covers(other) = %v, want ErrImprintMismatch", err)
			}
			// digitorus/timestamp reads and verifies our token too.
			ts, err := timestamp.Parse(der)
			if err != nil {
				t.Fatalf("digitorus timestamp.Parse: %v", err)
			}
			if !ts.Time.Equal(tok.Time) || ts.SerialNumber.Cmp(tok.SerialNumber) != 0 || !bytes.Equal(ts.HashedMessage, digest) {
				t.Errorf("digitorus reads time %v serial %v", ts.Time, ts.SerialNumber)
			}
			// The token goes into a CMS signature as B-T.
			sd, err := cms.Parse(der)
			if err != nil || !sd.HasSigningCertV2 || !sd.SigningCertV2Matches || sd.HasSigningTime {
				t.Errorf("token attributes: %v", err)
			}
		})
	}
}

func TestVerifyFailures(t *testing.T) {
	p := mustPKI(t)
	kp := p.tsas[certs.ECDSAP256]
	digest := digestOf(crypto.SHA256, []byte("x"))

	t.Run("untrusted root", func(t *testing.T) {
		_, hs := newServer(t, kp, nil)
		der, err := tsa.Request(context.Background(), hs.Client(), hs.URL, digest, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := tsa.ParseToken(der)
		if err != nil {
			t.Fatal(err)
		}
		other, err := certs.NewRoot(certs.CAName{CommonName: "Other Root"}, certs.ECDSAP256, 0)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509CertPool(other.Cert)
		if err := tok.Verify(pool); err == nil {
			t.Error("Verify accepted a token under another root")
		}
		if err := tok.Verify(nil); err == nil {
			t.Error("Verify(nil roots) succeeded")
		}
	})
	t.Run("time after the certificate expired", func(t *testing.T) {
		late := func() time.Time { return kp.Leaf.NotAfter.Add(time.Hour) }
		_, hs := newServer(t, kp, late)
		der, err := tsa.Request(context.Background(), hs.Client(), hs.URL, digest, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := tsa.ParseToken(der)
		if err != nil {
			t.Fatal(err)
		}
		if err := tok.Verify(p.roots); err == nil {
			t.Error("Verify accepted a token dated after its certificate expired")
		}
	})
	t.Run("signer without timestamping usage", func(t *testing.T) {
		// A token-shaped SignedData signed by a person certificate.
		info := minimalTSTInfo(t, digest)
		b, err := cms.NewEncapsulatedBuilder(cms.OIDTSTInfo, info, crypto.SHA256, p.person.Certificates())
		if err != nil {
			t.Fatal(err)
		}
		der, err := b.SignWith(p.person.Key)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := tsa.ParseToken(der)
		if err != nil {
			t.Fatal(err)
		}
		if err := tok.VerifySignature(); !errors.Is(err, tsa.ErrNotTimestamping) {
			t.Errorf("VerifySignature = %v, want ErrNotTimestamping", err)
		}
		if err := tok.Verify(p.roots); !errors.Is(err, tsa.ErrNotTimestamping) {
			t.Errorf("Verify = %v, want ErrNotTimestamping", err)
		}
	})
	t.Run("server refuses a person certificate", func(t *testing.T) {
		s := &tsa.Server{Signer: p.person, Logger: quietLogger()}
		if err := s.Validate(); !errors.Is(err, tsa.ErrNotTimestamping) {
			t.Errorf("Validate = %v, want ErrNotTimestamping", err)
		}
		hs := httptest.NewServer(s)
		defer hs.Close()
		_, err := tsa.Request(context.Background(), hs.Client(), hs.URL, digest, crypto.SHA256)
		var se *tsa.StatusError
		if !errors.As(err, &se) || se.FailureInfo != timestamp.SystemFailure {
			t.Errorf("Request = %v, want a systemFailure rejection", err)
		}
	})
	t.Run("key of another certificate", func(t *testing.T) {
		s := &tsa.Server{Signer: &certs.KeyPair{Leaf: kp.Leaf, Key: p.tsas[certs.ECDSAP384].Key}}
		if err := s.Validate(); err == nil {
			t.Error("Validate accepted a key that does not match")
		}
	})
}

// minimalTSTInfo encodes a TSTInfo by hand (encoding/asn1), independent of
// the server's encoder.
func minimalTSTInfo(t *testing.T, digest []byte) []byte {
	t.Helper()
	type algID struct{ Algorithm asn1OID }
	info := struct {
		Version int
		Policy  asn1OID
		Imprint struct {
			Alg    algID
			Digest []byte
		}
		Serial *big.Int
		Time   time.Time `asn1:"generalized"`
	}{Version: 1, Policy: asn1OID{1, 2, 3}, Serial: big.NewInt(42), Time: time.Now().UTC().Truncate(time.Second)}
	info.Imprint.Alg.Algorithm = asn1OID{2, 16, 840, 1, 101, 3, 4, 2, 1}
	info.Imprint.Digest = digest
	der, err := asn1Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// forwardingTSA relays queries to a real server after changing them with
// edit: a TSA that answers a different question than it was asked.
func forwardingTSA(t *testing.T, real http.Handler, edit func(*timestamp.Request)) *httptest.Server {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		edit(req)
		q, err := req.Marshal()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		r2 := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(q))
		r2.Header.Set("Content-Type", tsa.ContentTypeQuery)
		rec := httptest.NewRecorder()
		real.ServeHTTP(rec, r2)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(hs.Close)
	return hs
}

func TestClientChecks(t *testing.T) {
	p := mustPKI(t)
	kp := p.tsas[certs.ECDSAP256]
	real := &tsa.Server{Signer: kp, Logger: quietLogger()}
	digest := digestOf(crypto.SHA256, []byte("chữ ký"))
	tests := []struct {
		name string
		edit func(*timestamp.Request)
		want error
	}{
		{"honest", func(*timestamp.Request) {}, nil},
		{"nonce replaced", func(r *timestamp.Request) { r.Nonce = new(big.Int).Add(r.Nonce, big.NewInt(1)) }, tsa.ErrNonceMismatch},
		{"nonce dropped", func(r *timestamp.Request) { r.Nonce = nil }, tsa.ErrNonceMismatch},
		{"other message", func(r *timestamp.Request) { r.HashedMessage = digestOf(crypto.SHA256, []byte("khác")) }, tsa.ErrImprintMismatch},
		{"other hash", func(r *timestamp.Request) {
			r.HashAlgorithm = crypto.SHA512
			r.HashedMessage = digestOf(crypto.SHA512, []byte("chữ ký"))
		}, tsa.ErrImprintMismatch},
		{"no certificates", func(r *timestamp.Request) { r.Certificates = false }, cms.ErrNoSignerCertificate},
		{"unknown policy", func(r *timestamp.Request) { r.TSAPolicyOID = asn1OID{1, 2, 3, 4} }, tsa.ErrRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := forwardingTSA(t, real, tt.edit)
			tok, err := tsa.Request(context.Background(), hs.Client(), hs.URL, digest, crypto.SHA256)
			if tt.want == nil {
				if err != nil || tok == nil {
					t.Fatalf("Request = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Request = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("tampered token", func(t *testing.T) {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			real.ServeHTTP(rec, r)
			resp := rec.Body.Bytes()
			// Change the genTime's last digit of seconds inside the signed TSTInfo.
			i := bytes.Index(resp, []byte("Z\x30")) // GeneralizedTime ends with Z, accuracy SEQUENCE follows
			if i < 0 {
				http.Error(w, "no time found", 500)
				return
			}
			resp[i-1] ^= 1
			w.Header().Set("Content-Type", tsa.ContentTypeReply)
			w.Write(resp)
		}))
		defer hs.Close()
		_, err := tsa.Request(context.Background(), hs.Client(), hs.URL, digest, crypto.SHA256)
		if !errors.Is(err, cms.ErrDigestMismatch) {
			t.Errorf("Request = %v, want a cms digest mismatch", err)
		}
	})
	t.Run("http error page", func(t *testing.T) {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		}))
		defer hs.Close()
		_, err := tsa.Request(context.Background(), hs.Client(), hs.URL, digest, crypto.SHA256)
		if !errors.Is(err, tsa.ErrRejected) {
			t.Errorf("Request = %v, want ErrRejected", err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		hs := httptest.NewServer(real)
		defer hs.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := tsa.Request(ctx, hs.Client(), hs.URL, digest, crypto.SHA256); !errors.Is(err, context.Canceled) {
			t.Errorf("Request = %v, want context.Canceled", err)
		}
	})
	t.Run("bad digest length", func(t *testing.T) {
		if _, err := tsa.Request(context.Background(), nil, "http://127.0.0.1:1/", digest[:5], crypto.SHA256); err == nil {
			t.Error("Request accepted a short digest")
		}
	})
}

func TestServerBadRequests(t *testing.T) {
	p := mustPKI(t)
	_, hs := newServer(t, p.tsas[certs.ECDSAP256], nil)
	good, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digestOf(crypto.SHA256, nil), Nonce: big.NewInt(7)}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sha1Query, _ := (&timestamp.Request{HashAlgorithm: crypto.SHA1, HashedMessage: digestOf(crypto.SHA1, nil)}).Marshal()
	shortQuery, _ := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: []byte{1, 2, 3}}).Marshal()
	tests := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		wantCode    int
		wantFailure timestamp.FailureInfo // checked when the reply is a TimeStampResp
	}{
		{"granted", http.MethodPost, tsa.ContentTypeQuery, good, http.StatusOK, -2},
		{"GET", http.MethodGet, "", nil, http.StatusMethodNotAllowed, -2},
		{"wrong media type", http.MethodPost, "application/octet-stream", good, http.StatusUnsupportedMediaType, -2},
		{"garbage", http.MethodPost, tsa.ContentTypeQuery, []byte("not asn.1"), http.StatusBadRequest, timestamp.BadDataFormat},
		{"trailing data", http.MethodPost, tsa.ContentTypeQuery, append(bytes.Clone(good), 0), http.StatusBadRequest, timestamp.BadDataFormat},
		{"too large", http.MethodPost, tsa.ContentTypeQuery, make([]byte, tsa.MaxRequestSize+1), http.StatusRequestEntityTooLarge, timestamp.BadDataFormat},
		{"sha-1", http.MethodPost, tsa.ContentTypeQuery, sha1Query, http.StatusBadRequest, timestamp.BadAlgorithm},
		{"imprint length", http.MethodPost, tsa.ContentTypeQuery, shortQuery, http.StatusBadRequest, timestamp.BadDataFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, hs.URL, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, body)
			}
			if tt.wantFailure == -2 {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != tsa.ContentTypeReply {
				t.Fatalf("content type %q", ct)
			}
			_, err = tsa.ParseResponse(body)
			var se *tsa.StatusError
			if !errors.As(err, &se) || se.FailureInfo != tt.wantFailure || se.Text == "" {
				t.Errorf("ParseResponse = %v, want failure %v with a text", err, tt.wantFailure)
			}
			// The library reads our rejections the same way.
			if _, err := timestamp.ParseResponse(body); err == nil {
				t.Error("digitorus ParseResponse accepted a rejection")
			}
		})
	}
}

// TestSerialsMonotonic issues tokens concurrently, with a clock that stands
// still, and requires distinct, increasing serial numbers.
func TestSerialsMonotonic(t *testing.T) {
	p := mustPKI(t)
	fixed := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	_, hs := newServer(t, p.tsas[certs.ECDSAP256], func() time.Time { return fixed })
	const n = 16
	serials := make([]*big.Int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d := make([]byte, 32)
			rand.Read(d)
			der, err := tsa.Request(context.Background(), hs.Client(), hs.URL, d, crypto.SHA256)
			if err != nil {
				t.Error(err)
				return
			}
			tok, err := tsa.ParseToken(der)
			if err != nil {
				t.Error(err)
				return
			}
			serials[i] = tok.SerialNumber
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, s := range serials {
		if s == nil {
			t.Fatal("missing serial")
		}
		if seen[s.String()] {
			t.Fatalf("serial %v issued twice", s)
		}
		seen[s.String()] = true
		if s.Cmp(big.NewInt(fixed.UnixNano())) < 0 || s.Cmp(big.NewInt(fixed.UnixNano()+n)) >= 0 {
			t.Errorf("serial %v not in [now, now+%d)", s, n)
		}
	}
}
