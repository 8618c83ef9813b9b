package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// TestRevokedConnection revokes an agency while its connection is open:
// the handshake was good, but from the CRL reload on, the same connection
// may do nothing more (forbidden), its long poll in progress ends, and the
// hub signs no "delivered" receipt for it.
func TestRevokedConnection(t *testing.T) {
	for _, transport := range []struct {
		name string
		tcp  bool
	}{{"QUIC", false}, {"TCP fallback", true}} {
		t.Run(transport.name, func(t *testing.T) {
			h := hubtest.Start(t, hubtest.Options{})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			qn := h.Client(t, quangNinh, transport.tcp)
			na := h.Client(t, ngheAn, transport.tcp)
			doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "301", ngheAn)
			doc.send(t, ctx, qn)
			in, err := na.Inbox(ctx, 0, 0)
			if err != nil || len(in.Items) != 1 {
				t.Fatalf("inbox before the revocation: %v", err)
			}

			// An upload in progress, its body stalled (the body timeouts
			// are far off): the revocation ends it too.
			stall, unstall := context.WithCancel(ctx)
			defer unstall()
			uploadEnded := make(chan struct{})
			go func() {
				defer close(uploadEnded)
				url := fmt.Sprintf("https://%s/v1/uploads/%s?size=%d&offset=0", h.Addr, strings.Repeat("ab", 32), 1<<20)
				req, _ := http.NewRequestWithContext(stall, http.MethodPatch, url, stalled(stall, []byte("%PDF-")))
				if resp, err := rawClient(t, h, ngheAn, transport.tcp).Do(req); err == nil {
					resp.Body.Close()
				}
			}()
			polled := make(chan error, 1)
			go func() {
				_, err := na.Statuses(ctx, 0, 25*time.Second)
				polled <- err
			}()
			waitGauge(t, h, "lienthong_hub_long_polls", 1)
			waitGauge(t, h, "lienthong_hub_requests_in_flight", 2)
			h.Revoke(ngheAn)
			start := time.Now()
			select {
			case err := <-polled:
				if wire.CodeOf(err) != wire.CodeForbidden {
					t.Fatalf("the long poll ended with %v, want forbidden", err)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("the long poll of a revoked agency did not end")
			}
			t.Logf("long poll ended %v after the reload", time.Since(start))
			waitGauge(t, h, "lienthong_hub_requests_in_flight", 0) // the upload too
			unstall()
			<-uploadEnded

			// The connection is the one made before the revocation: a new
			// handshake would be refused by TLS, not answered forbidden.
			if _, err := na.Inbox(ctx, 0, 0); wire.CodeOf(err) != wire.CodeForbidden {
				t.Errorf("inbox after the revocation: %v", err)
			}
			var buf bytes.Buffer
			if _, err := na.Download(ctx, doc.id, doc.digest, 0, &buf); wire.CodeOf(err) != wire.CodeForbidden || buf.Len() != 0 {
				t.Errorf("download after the revocation: %v (%d bytes)", err, buf.Len())
			}
			if _, err := na.Ack(ctx, doc.id); wire.CodeOf(err) != wire.CodeForbidden {
				t.Errorf("ack after the revocation: %v", err)
			}
			list, err := qn.Receipts(ctx, doc.id)
			if err != nil {
				t.Fatal(err)
			}
			for _, raw := range list {
				if r, _, err := receipt.Verify(raw, h.Verifier(), certs.DefaultReceiptSigner); err != nil || r.Event != receipt.EventAccepted {
					t.Errorf("receipt %+v (%v): the hub signed more than the acceptance", r, err)
				}
			}
			// The agency that was not revoked carries on.
			if _, err := qn.Hello(ctx); err != nil {
				t.Errorf("another agency after the revocation: %v", err)
			}
		})
	}
}

// waitGauge waits until the hub's gauge reaches want.
func waitGauge(t *testing.T, h *hubtest.Hub, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got float64
	for time.Now().Before(deadline) {
		got = gauge(t, h, name)
		if got == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s = %v, want %v", name, got, want)
}

// gauge reads one of the hub's gauges.
func gauge(t *testing.T, h *hubtest.Hub, name string) float64 {
	t.Helper()
	families, err := h.Server.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
