package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// rawClient is an HTTP client of the hub as agency code that sends what
// the test makes it send, over HTTP/2 on TCP or HTTP/3.
func rawClient(t *testing.T, h *hubtest.Hub, code string, tcp bool) *http.Client {
	t.Helper()
	conf := certs.ClientTLS(h.Agencies[code].Key, h.Verifier(), "localhost")
	var rt http.RoundTripper
	if tcp {
		conf.NextProtos = []string{"h2"}
		tr := &http.Transport{TLSClientConfig: conf, ForceAttemptHTTP2: true}
		t.Cleanup(tr.CloseIdleConnections)
		rt = tr
	} else {
		tr := &http3.Transport{TLSClientConfig: conf}
		t.Cleanup(func() { tr.Close() })
		rt = tr
	}
	return &http.Client{Transport: rt}
}

// stalled is a body that sends head and then nothing until the client
// closes it or ctx ends.
func stalled(ctx context.Context, head []byte) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		if _, err := pw.Write(head); err != nil {
			return
		}
		<-ctx.Done()
		pw.CloseWithError(ctx.Err())
	}()
	return pr
}

// throttled is an attachment read at most chunk bytes per ReadAt, with a
// pause before each: a slow but steady line.
type throttled struct {
	data  []byte
	chunk int
	pause time.Duration
}

func (r *throttled) ReadAt(p []byte, off int64) (int, error) {
	time.Sleep(r.pause)
	if off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.chunk)], r.data[off:])
	return n, nil
}

// submitStalled posts a packet body that declares 2 MiB − 1 bytes, sends
// head of them and stalls; it returns the status the hub answered, or 0
// when the request failed without an answer.
func submitStalled(ctx context.Context, c *http.Client, addr string, head []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+addr+wire.PathMessages, stalled(ctx, head))
	if err != nil {
		return 0, err
	}
	req.ContentLength = envelope.MaxPacketSize - 1
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// waitCount waits, for at most 30 s, until the hub has answered want
// requests to route with outcome.
func waitCount(t *testing.T, h *hubtest.Hub, route, outcome string, want float64) {
	t.Helper()
	var got float64
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got = h.Requests(t, "route", route, "outcome", outcome); got >= want {
			return
		}
	}
	t.Fatalf("%s answered %s %v times, want %v", route, outcome, got, want)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestSlowBodies: request bodies that stall are cut and what they held is
// released, over both transports; a slow but steady upload still
// succeeds. The timeouts are scaled down from the defaults.
func TestSlowBodies(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) {
		c.BodyIdleTimeout, c.BodyRateWindow, c.BodyMinRate = config.Duration(500*time.Millisecond), config.Duration(time.Second), 16<<10
		c.RequestsPerSecond, c.Burst = 1000, 1000
	}})
	for _, transport := range []struct {
		name string
		tcp  bool
	}{{"QUIC", false}, {"TCP", true}} {
		t.Run("stalled submissions are cut/"+transport.name, func(t *testing.T) {
			const n = 20
			stall, unstall := context.WithCancel(context.Background())
			defer unstall()
			c := rawClient(t, h, quangNinh, transport.tcp)
			base := heapInUse()
			cutBefore := h.Requests(t, "route", "POST "+wire.PathMessages, "outcome", string(wire.CodeUnavailable))
			head := bytes.Repeat([]byte{'{'}, 256<<10)
			var wg sync.WaitGroup
			statuses := make([]int, n)
			for i := range n {
				wg.Go(func() { statuses[i], _ = submitStalled(stall, c, h.Addr, head) })
			}
			// The hub ends every one by itself, though their clients keep
			// them open: each is counted as answered unavailable, and none
			// is left in flight. (Counted, not caught at a peak of n in
			// flight: on a loaded machine the first are cut before the
			// last arrive.)
			waitCount(t, h, "POST "+wire.PathMessages, string(wire.CodeUnavailable), cutBefore+n)
			waitGauge(t, h, "lienthong_hub_requests_in_flight", 0)
			unstall()
			wg.Wait()
			for i, st := range statuses {
				if st != 0 && st != http.StatusServiceUnavailable {
					t.Errorf("stalled submission %d answered %d", i, st)
				}
			}
			t.Logf("heap in use: %d KiB before, %d KiB after %d stalled submissions were cut", base>>10, heapInUse()>>10, n)
		})
	}
	t.Run("slow but steady upload succeeds", func(t *testing.T) {
		data := make([]byte, 400<<10)
		rand.Read(data)
		sum := sha256.Sum256(data)
		// 4 KiB every 20 ms: 200 KiB/s, ten times the minimum rate,
		// for 2 s, twice the rate window.
		slow := &throttled{data: data, chunk: 4 << 10, pause: 20 * time.Millisecond}
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.Client(t, quangNinh, true).Upload(ctx, hex.EncodeToString(sum[:]), slow, int64(len(data)), 0, nil); err != nil {
			t.Fatalf("slow upload: %v", err)
		}
		t.Logf("%d KiB uploaded in %v", len(data)>>10, time.Since(start).Round(time.Millisecond))
	})
}

// TestInFlightCaps: beyond an agency's cap of requests in flight the hub
// answers rate_limited, beyond its own cap unavailable, both at once,
// before the body is read, with Retry-After.
func TestInFlightCaps(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) {
		c.MaxInFlight, c.MaxInFlightPerAgency = 3, 2
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stall, unstall := context.WithCancel(ctx)
	defer unstall()
	qn := rawClient(t, h, quangNinh, true)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { submitStalled(stall, qn, h.Addr, []byte("{")) })
	}
	waitGauge(t, h, "lienthong_hub_requests_in_flight", 2)

	refused := func(c *http.Client, want wire.Code, status int) {
		t.Helper()
		req, _ := http.NewRequestWithContext(stall, http.MethodPost, "https://"+h.Addr+wire.PathMessages, stalled(stall, []byte("{")))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		defer resp.Body.Close()
		var we wire.Error
		if err := json.NewDecoder(resp.Body).Decode(&we); err != nil || we.Code != want || resp.StatusCode != status || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("answer %d %+v (%v), Retry-After %q; want %d %s", resp.StatusCode, we, err, resp.Header.Get("Retry-After"), status, want)
		}
	}
	refused(qn, wire.CodeRateLimited, http.StatusTooManyRequests)
	// Another agency still gets in, up to the hub's cap.
	na := rawClient(t, h, ngheAn, true)
	wg.Go(func() { submitStalled(stall, na, h.Addr, []byte("{")) })
	waitGauge(t, h, "lienthong_hub_requests_in_flight", 3)
	refused(rawClient(t, h, vpcp, true), wire.CodeUnavailable, http.StatusServiceUnavailable)

	unstall()
	wg.Wait()
	waitGauge(t, h, "lienthong_hub_requests_in_flight", 0)
	if _, err := h.Client(t, quangNinh, false).Hello(ctx); err != nil {
		t.Fatalf("after the requests ended: %v", err)
	}
}

// TestBodyMemoryBudget: packets are read whole into memory, so the bytes
// they declare are counted against the hub's budget; past it a request is
// refused unavailable before its body is read, and the budget comes back
// when the requests end.
func TestBodyMemoryBudget(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) { c.MaxBodyMemoryMB = 8 }})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stall, unstall := context.WithCancel(ctx)
	defer unstall()
	c := rawClient(t, h, quangNinh, true)
	var wg sync.WaitGroup
	for range 4 { // 4 × 2 MiB: the whole budget
		wg.Go(func() { submitStalled(stall, c, h.Addr, []byte("{")) })
	}
	waitGauge(t, h, "lienthong_hub_requests_in_flight", 4)
	status, err := submitStalled(ctx, c, h.Addr, []byte("{"))
	if err != nil || status != http.StatusServiceUnavailable {
		t.Fatalf("a fifth packet of 2 MiB: %d %v, want 503", status, err)
	}
	unstall()
	wg.Wait()
	waitGauge(t, h, "lienthong_hub_requests_in_flight", 0)
	for range 5 { // all of it is back
		wg.Go(func() { submitStalled(stall, c, h.Addr, []byte("{")) })
	}
	if _, err := h.Client(t, quangNinh, true).Submit(ctx, []byte("{}")); wire.CodeOf(err) != wire.CodeMalformed {
		t.Fatalf("a small packet once the budget is back: %v", err)
	}
}
