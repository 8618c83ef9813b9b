package bench

import (
	"context"
	"crypto/sha256"
	"os"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
)

// relayPKI returns the hub's key pair, n agencies' and a verifier.
func relayPKI(t *testing.T, n int) (*certs.KeyPair, []*certs.KeyPair, *certs.Verifier) {
	pki := certstest.New(t)
	kps := make([]*certs.KeyPair, n)
	for i := range kps {
		kps[i] = pki.Agency(t, string(AgencyCode(i)), "Relay agency")
	}
	return pki.Hub(t), kps, pki.Verifier(t)
}

// relayDocs makes n documents of distinct bytes, sent round the agencies.
func relayDocs(n, agencies, size int) []RelayDoc {
	docs := make([]RelayDoc, n)
	for i := range docs {
		data := make([]byte, size+i)
		for j := range data {
			data[j] = byte(i*7 + j)
		}
		docs[i] = RelayDoc{Data: data, SHA256: sha256.Sum256(data), From: i % agencies, To: (i + 1) % agencies}
	}
	return docs
}

func TestRawRelay(t *testing.T) {
	hub, agencies, v := relayPKI(t, 3)
	docs := relayDocs(12, 3, 300<<10)
	var want int64
	for _, d := range docs {
		want += int64(len(d.Data))
	}
	for _, check := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := RawRelay(ctx, hub, agencies, v, docs, 4, check, nil)
		cancel()
		if err != nil {
			t.Fatalf("check %v: %v", check, err)
		}
		if res.Bytes != want || res.MBPerSec <= 0 || res.CPUPerGB <= 0 || res.Parallel != 4 || res.Checked != check {
			t.Fatalf("check %v: %+v, want %d bytes", check, res, want)
		}
	}
}

// TestRawRelayRefusesWrongDigest shows that the checking relay does the
// work it is timed for: a document whose bytes are not those its SHA-256
// names is refused, and the run fails.
func TestRawRelayRefusesWrongDigest(t *testing.T) {
	hub, agencies, v := relayPKI(t, 2)
	docs := relayDocs(6, 2, 64<<10)
	docs[3].SHA256[0] ^= 1
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := RawRelay(ctx, hub, agencies, v, docs, 2, true, nil); err == nil || !strings.Contains(err.Error(), "document 3") {
		t.Fatalf("a wrong digest relayed with checks: %v", err)
	}
	// The bare relay reads no digest: the same documents pass.
	if _, err := RawRelay(ctx, hub, agencies, v, docs, 2, false, nil); err != nil {
		t.Fatalf("bare relay: %v", err)
	}
}

func TestRawRelayRefusesUnknownAgency(t *testing.T) {
	hub, agencies, v := relayPKI(t, 2)
	docs := relayDocs(2, 2, 1<<10)
	docs[1].To = 2
	if _, err := RawRelay(context.Background(), hub, agencies, v, docs, 1, true, nil); err == nil {
		t.Fatal("a document to a third agency among two was accepted")
	}
}

// TestRawRelayAtProcess relays through a relay reached by its address,
// as one in a process of its own is (here this process's, so that its CPU
// time can be read): the agencies name themselves to it, the documents
// reach their recipients, a wrong digest is still refused, and the relay
// side's CPU is reported apart.
func TestRawRelayAtProcess(t *testing.T) {
	hub, agencies, v := relayPKI(t, 3)
	ln, err := listenRaw(hub, v, relayALPN)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ServeRelay(ctx, ln, true) }()
	at := &RelayProc{Addr: ln.Addr().String(), PID: os.Getpid()}
	docs := relayDocs(9, 3, 200<<10)
	res, err := RawRelay(ctx, hub, agencies, v, docs, 3, true, at)
	if err != nil {
		t.Fatal(err)
	}
	if res.RelayCPUPerGB <= 0 || res.CPUPerGB < res.RelayCPUPerGB || res.Bytes == 0 {
		t.Fatalf("%+v: want the relay's CPU apart and within the whole", res)
	}
	docs[4].SHA256[0] ^= 1
	if _, err := RawRelay(ctx, hub, agencies, v, docs, 3, true, at); err == nil || !strings.Contains(err.Error(), "document 4") {
		t.Fatalf("a wrong digest relayed with checks: %v", err)
	}
	cancel()
	ln.Close()
	if err := <-served; err == nil {
		t.Fatal("the relay stopped without saying why")
	}
}
