package certs_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"lienthong/certs"
	"lienthong/shared/cms"
	"lienthong/shared/envelope"
	"lienthong/shared/pades"
	"lienthong/shared/receipt"
	"lienthong/shared/tsa"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/signer/golden.txt")

// goldenDir holds a fixed RSA-2048 PKI (keys in the clear: test data) and
// the SHA-256 of what each signing function produced with it before the
// signer abstraction existed. RSA PKCS#1 v1.5 is deterministic, so equal
// digests mean the same bytes on the wire.
var goldenDir = filepath.Join("testdata", "signer")

type goldenPKI struct {
	root, agency, hub, tsa *certs.KeyPair
}

func loadGoldenPKI(t *testing.T) *goldenPKI {
	t.Helper()
	load := func(name string) *certs.KeyPair {
		kp, err := certs.LoadKeyPair(filepath.Join(goldenDir, name+".crt"), filepath.Join(goldenDir, name+".key"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return kp
	}
	return &goldenPKI{agency: load("agency"), hub: load("hub"), tsa: load("tsa")}
}

// goldenTime is inside the validity of every golden certificate.
func goldenTime(p *goldenPKI) time.Time {
	return p.agency.Leaf.NotBefore.Add(time.Hour).Truncate(time.Second)
}

// goldenOutputs signs fixed inputs with every signing function.
func goldenOutputs(t *testing.T, p *goldenPKI) map[string][]byte {
	t.Helper()
	at := goldenTime(p)
	out := map[string][]byte{}
	digest := sha256.Sum256([]byte("lienthong golden"))

	der, err := cms.Sign(digest[:], crypto.SHA256, p.agency)
	if err != nil {
		t.Fatal(err)
	}
	out["cms"] = der

	packet, err := envelope.Seal([]byte(`{"kind":"document"}`), p.agency)
	if err != nil {
		t.Fatal(err)
	}
	out["envelope"] = packet

	r := &receipt.Receipt{Event: receipt.EventAccepted, MessageID: strings.Repeat("ab", 16),
		EnvelopeSHA256: receipt.EnvelopeHash(packet), Sender: "000.00.00.H49",
		Recipients: []string{"000.00.00.H41"}, At: at, Hub: "hub", LogIndex: 7}
	rec, err := receipt.Sign(r, p.hub)
	if err != nil {
		t.Fatal(err)
	}
	out["receipt"] = rec

	ts := &tsa.Server{Signer: p.tsa, Now: func() time.Time { return at }, Logger: slog.New(slog.DiscardHandler)}
	stamp := func(d []byte) []byte {
		q, err := (&timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: d, Nonce: big.NewInt(42), Certificates: true}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", "/", bytes.NewReader(q))
		req.Header.Set("Content-Type", "application/timestamp-query")
		rec := httptest.NewRecorder()
		ts.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("tsa: %d %s", rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	out["tsa"] = stamp(digest[:])

	pdf, err := os.ReadFile(filepath.Join("..", "..", "shared", "testdata", "pdf", "cong-van.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bt := range []bool{false, true} {
		opts := pades.Options{Signer: p.agency, Name: "Golden", Time: at}
		name := "pades-bb"
		if bt {
			name = "pades-bt"
			opts.Timestamp = func(_ context.Context, d []byte) ([]byte, error) {
				return tsa.ParseResponse(stamp(d))
			}
		}
		var buf writerAtBuffer
		if err := pades.Sign(context.Background(), &buf, bytes.NewReader(pdf), int64(len(pdf)), opts); err != nil {
			t.Fatal(err)
		}
		out[name] = buf.b
	}
	return out
}

// TestGoldenSignatures checks that every signing function writes the same
// bytes as before the signer abstraction.
func TestGoldenSignatures(t *testing.T) {
	p := loadGoldenPKI(t)
	outs := goldenOutputs(t, p)
	var b strings.Builder
	for _, name := range []string{"cms", "envelope", "receipt", "tsa", "pades-bb", "pades-bt"} {
		sum := sha256.Sum256(outs[name])
		b.WriteString(name + " " + hex.EncodeToString(sum[:]) + "\n")
	}
	path := filepath.Join(goldenDir, "golden.txt")
	if *updateGolden {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("signed bytes changed:\ngot\n%swant\n%s", got, want)
	}
}

// writerAtBuffer is an in-memory pades.Output.
type writerAtBuffer struct{ b []byte }

func (w *writerAtBuffer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

func (w *writerAtBuffer) WriteAt(p []byte, off int64) (int, error) {
	if need := int(off) + len(p); need > len(w.b) {
		w.b = append(w.b, make([]byte, need-len(w.b))...)
	}
	return copy(w.b[off:], p), nil
}
