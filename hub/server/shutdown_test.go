package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/shared/wire"
)

// TestShutdownFinishesUploads stops the hub while an upload is on the
// wire: the upload must complete and be committed before the hub exits.
func TestShutdownFinishesUploads(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	pdf := readPDF(t, "quyet-dinh.pdf")
	sum := sha256.Sum256(pdf)
	digest := hex.EncodeToString(sum[:])
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rt := &http3.Transport{TLSClientConfig: certs.ClientTLS(h.Agencies[quangNinh].Key, h.Verifier(), "localhost")}
	defer rt.Close()
	pr, pw := io.Pipe()
	url := fmt.Sprintf("https://%s/v1/uploads/%s?size=%d&offset=0", h.Addr, digest, len(pdf))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, url, pr)
	started := make(chan struct{})
	go func() {
		pw.Write(pdf[:len(pdf)/2])
		close(started)
		time.Sleep(300 * time.Millisecond) // the hub is shutting down meanwhile
		pw.Write(pdf[len(pdf)/2:])
		pw.Close()
	}()
	type result struct {
		st  wire.UploadState
		err error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var st wire.UploadState
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			done <- result{err: fmt.Errorf("%s: %s", resp.Status, b)}
			return
		}
		done <- result{st: st, err: json.NewDecoder(resp.Body).Decode(&st)}
	}()
	<-started
	waitInFlight(t, h)
	stopped := make(chan struct{})
	go func() { h.Stop(); close(stopped) }()
	r := <-done
	if r.err != nil {
		t.Fatalf("upload in flight during shutdown: %v", r.err)
	}
	<-stopped
	if !r.st.Done || r.st.Offset != int64(len(pdf)) {
		t.Fatalf("upload state after shutdown: %+v", r.st)
	}
}

// waitInFlight waits until the hub is handling a request.
func waitInFlight(t *testing.T, h *hubtest.Hub) {
	t.Helper()
	for i := 0; i < 500; i++ {
		families, err := h.Server.Metrics().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == "lienthong_hub_requests_in_flight" && f.GetMetric()[0].GetGauge().GetValue() >= 1 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the hub never started handling the upload")
}
