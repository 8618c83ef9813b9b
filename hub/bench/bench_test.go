package bench

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/config"
	"lienthong/hub/control"
	"lienthong/hub/service"
	"lienthong/hub/store"
	"lienthong/shared/hubclient"
	"lienthong/shared/pades"
)

func TestSignedPDF(t *testing.T) {
	pki := certstest.New(t)
	kp := pki.Agency(t, "000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh")
	roots := x509.NewCertPool()
	roots.AddCert(pki.Root.Cert)
	tests := []struct {
		name  string
		size  int64
		close bool // within sizeSlack of the size
		dense bool // compresses by less than a tenth, as real signed PDFs do
	}{
		{"below the smallest signed PDF", 100, false, false},
		{"10 KB", 10 << 10, true, false}, // the signature's hex is a third of it
		{"100 KB", 100 << 10, true, true},
		{"1 MB", 1 << 20, true, true},
	}
	var prev []byte
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdf, err := SignedPDF(context.Background(), kp, "test "+tt.name, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if tt.close && abs(int64(len(pdf))-tt.size) > sizeSlack {
				t.Fatalf("%d bytes, want %d ± %d", len(pdf), tt.size, sizeSlack)
			}
			if bytes.Equal(pdf, prev) {
				t.Fatal("two labels gave the same bytes")
			}
			prev = pdf
			if n := deflated(t, pdf); tt.dense && n < len(pdf)*9/10 {
				t.Fatalf("%d bytes deflate to %d: a real signed PDF hardly compresses", len(pdf), n)
			}
			rep, err := pades.Verify(bytes.NewReader(pdf), int64(len(pdf)), pades.VerifyOptions{Roots: roots})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Signatures) != 1 || !rep.Valid() {
				t.Fatalf("report: %d signatures, valid %v: %+v", len(rep.Signatures), rep.Valid(), rep.Signatures[0])
			}
			s := rep.Signatures[0]
			if !s.SignatureValid || !s.DigestValid || !s.Trusted || !s.CoversWholeFile || s.Level != "B-B" {
				t.Fatalf("signature: %+v", s)
			}
		})
	}
}

// deflated returns the size of b compressed with DEFLATE at its best.
func deflated(t *testing.T, b []byte) int {
	var out bytes.Buffer
	w, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Len()
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"10240", 10240, true},
		{"10KB", 10 << 10, true},
		{"1mb", 1 << 20, true},
		{" 5 MB", 0, false},
		{"0", 0, false},
		{"-1KB", 0, false},
		{"KB", 0, false},
		{"1GB", 0, false},
		{"99999999999999MB", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Fatalf("ParseSize(%q) = %d, %v; want %d (ok %v)", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestOptionsRefused(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"one agency", Options{Agencies: 1}, "agencies"},
		{"too many agencies", Options{Agencies: MaxAgencies + 1}, "agencies"},
		{"tiny documents", Options{Size: 10}, "size"},
		{"documents over the hub's limit", Options{Size: 101 << 20}, "size"},
		{"negative rate", Options{Rate: -1}, "rate"},
		{"more than a run prepares", Options{Size: 100 << 20, Docs: 11}, "prepares"},
		{"a warm-up beyond what a run prepares", Options{Size: 100 << 20, Docs: 5, Warmup: 6}, "prepares"},
		{"negative warm-up", Options{Warmup: -1}, "warm-up"},
		{"remote without its PKI", Options{Hub: "127.0.0.1:1"}, "--pki"},
		{"remote and in-process", Options{Hub: "127.0.0.1:1", PKI: "x", InProcess: true}, "do not apply"},
		{"remote and a hub binary", Options{Hub: "127.0.0.1:1", PKI: "x", HubBinary: "/bin/true"}, "do not apply"},
		{"a CPU profile of the agencies alone", Options{CPUProfile: io.Discard}, "--in-process"},
		{"nodes without PostgreSQL", Options{Nodes: 2}, "--postgres"},
		{"nodes in this process", Options{Nodes: 2, Postgres: "host=/x", InProcess: true}, "do not apply"},
		{"more nodes than agencies", Options{Agencies: 2, Nodes: 3, Postgres: "host=/x"}, "each node an agency"},
		{"remote on PostgreSQL", Options{Hub: "127.0.0.1:1", PKI: "x", Postgres: "host=/x"}, "does not apply"},
		{"a postmaster without PostgreSQL", Options{PostgresPIDs: []int{1}}, "go with --postgres"},
		{"an existing database without PostgreSQL", Options{PostgresExisting: true}, "go with --postgres"},
		{"no such hub binary", Options{HubBinary: "/nonexistent/lienthong-hub"}, "no lienthong-hub executable"},
		{"a hub binary that is not executable", Options{HubBinary: "bench_test.go"}, "not an executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

const metricsSample = `# HELP lienthong_hub_request_seconds API request duration by route, long polls included.
# TYPE lienthong_hub_request_seconds histogram
lienthong_hub_request_seconds_bucket{route="POST /v1/messages",le="0.001"} 0
lienthong_hub_request_seconds_sum{route="POST /v1/messages"} 0.5
lienthong_hub_request_seconds_count{route="POST /v1/messages"} 100
lienthong_hub_request_seconds_sum{route="GET /v1/hello"} 0.0002
lienthong_hub_request_seconds_count{route="GET /v1/hello"} 4
lienthong_hub_request_seconds_count{route="GET /v1/never"} 0
lienthong_hub_requests_total{outcome="ok",route="GET /v1/hello"} 4
`

func TestParseRouteTimes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []RouteTime
	}{
		{"exposition", metricsSample, []RouteTime{
			{Route: "GET /v1/hello", Count: 4, Mean: 50 * time.Microsecond},
			{Route: "POST /v1/messages", Count: 100, Mean: 5 * time.Millisecond},
		}},
		{"empty", "", nil},
		{"garbage", "lienthong_hub_request_seconds_count{route=\"x\"} many\n}{\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRouteTimes(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParseRouteTimes(f *testing.F) {
	f.Add([]byte(metricsSample))
	f.Add([]byte("lienthong_hub_request_seconds_sum{route=\"a\",route=\"b\"} 1e308\nlienthong_hub_request_seconds_count{} NaN\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseRouteTimes(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, rt := range got {
			if rt.Count <= 0 || rt.Route == "" {
				t.Fatalf("kept %+v", rt)
			}
		}
	})
}

// TestRun exchanges real signed PDFs through a hub, each way the tool can
// run, and checks the counts the report rests on: mostly with the hub in
// this process, and end to end and accept-only against a real
// lienthong-hub process, whose own CPU time must be reported.
func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		process bool // the hub as a process of its own
	}{
		{"QUIC", Options{Agencies: 3, Size: 20 << 10, Docs: 24, Concurrency: 4}, false},
		{"TCP fallback", Options{Agencies: 2, Size: 12 << 10, Docs: 10, TCP: true}, false},
		{"paced", Options{Agencies: 3, Size: 12 << 10, Docs: 20, Concurrency: 8, Rate: 50}, false},
		{"warmed up", Options{Agencies: 2, Size: 12 << 10, Docs: 10, Warmup: 7, Rate: 100}, false},
		{"accept only", Options{Agencies: 2, Size: 12 << 10, Docs: 10, AcceptOnly: true}, false},
		{"bulk over TCP", Options{Agencies: 2, Size: 300 << 10, Docs: 6}, false},
		{"bulk over QUIC", Options{Agencies: 2, Size: 300 << 10, Docs: 6, BulkQUIC: true}, false},
		{"hub process", Options{Agencies: 3, Size: 20 << 10, Docs: 30, Concurrency: 6}, true},
		{"hub process, accept only", Options{Agencies: 2, Size: 12 << 10, Docs: 30, AcceptOnly: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			opts := tt.opts
			opts.Dir, opts.RawBytes = t.TempDir(), 2<<20
			if tt.process {
				opts.HubBinary = hubBinaryForTest(t)
			} else {
				opts.InProcess = true
			}
			start := time.Now()
			res, err := Run(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			res.Print(&out)
			t.Log("\n" + out.String())
			wantDelivered := opts.Docs
			if opts.AcceptOnly {
				wantDelivered = 0
			}
			if res.Accepted != opts.Docs || res.Failed != 0 || res.Delivered != wantDelivered || res.Bytes != int64(wantDelivered)*opts.Size {
				t.Fatalf("accepted %d, failed %d (%v), delivered %d, %d bytes", res.Accepted, res.Failed, res.FirstError, res.Delivered, res.Bytes)
			}
			wantTransport := "h3"
			if opts.TCP {
				wantTransport = "h2"
			}
			wantBulk := ""
			switch {
			case opts.Size <= hubclient.BulkMin:
			case opts.BulkQUIC && !opts.TCP:
				wantBulk = "h3"
			default:
				wantBulk = "h2"
			}
			if res.Transport != wantTransport || res.BulkTransport != wantBulk {
				t.Fatalf("transport %q, bulk transfers %q: want %q and %q", res.Transport, res.BulkTransport, wantTransport, wantBulk)
			}
			if res.Raw.MBPerSec <= 0 || res.Raw.Bytes < 2<<20 || res.AcceptedPerSec <= 0 || res.AcceptP99 < res.AcceptP50 {
				t.Fatalf("figures: %+v", res)
			}
			if !opts.AcceptOnly && (res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 || res.Ratio <= 0) {
				t.Fatalf("latency figures: %+v", res)
			}
			relayed := int64(opts.Docs) * opts.Size
			if opts.AcceptOnly {
				relayed = 0
			}
			if res.Relay.Bytes != relayed || res.RelayChecked.Bytes != relayed || res.Relay.Checked || res.RelayChecked.Checked != !opts.AcceptOnly ||
				(relayed > 0) != (res.Relay.MBPerSec > 0 && res.RelayChecked.MBPerSec > 0) {
				t.Fatalf("relay figures: %+v, checked %+v", res.Relay, res.RelayChecked)
			}
			if tcp := res.RelayCheckedTCP; tcp.Bytes != relayed || tcp.Checked != !opts.AcceptOnly || tcp.TCP != !opts.AcceptOnly || (relayed > 0) != (tcp.MBPerSec > 0) {
				t.Fatalf("checking TCP relay figures: %+v", tcp)
			}
			switch wu := res.Warmup; {
			case opts.Warmup == 0 && wu != nil:
				t.Fatalf("a warm-up reported for a run without: %+v", wu)
			case opts.Warmup > 0 && (wu == nil || wu.Docs != opts.Warmup || wu.Failed != 0 || wu.P50 <= 0 || wu.P99 < wu.P50 || wu.Max < wu.P99 || wu.AcceptP99 <= 0):
				t.Fatalf("warm-up figures: %+v", wu)
			case opts.Warmup > 0 && !strings.Contains(out.String(), fmt.Sprintf("warm-up, sent first and in no figure above: %d documents", opts.Warmup)):
				t.Fatalf("the report leaves out the warm-up:\n%s", out.String())
			}
			if opts.Rate > 0 {
				// 20 documents at 50/s cannot start in under 0.38 s.
				if min := time.Duration(float64(opts.Docs-1) / opts.Rate * float64(time.Second)); time.Since(start) < min {
					t.Fatalf("a paced run took %v, less than %v", time.Since(start), min)
				}
			}
			submits := 0.0
			for _, rt := range res.ServerTimes {
				if rt.Route == "POST /v1/messages" {
					submits = rt.Count
				}
			}
			if submits != float64(opts.Docs) {
				t.Fatalf("the hub counted %v submissions, want %d: %v", submits, opts.Docs, res.ServerTimes)
			}
			moved := res.Bytes
			if opts.AcceptOnly {
				moved = res.AcceptedBytes
			}
			if res.AcceptedBytes != int64(opts.Docs)*opts.Size || res.Local.Total <= 0 || res.Local.PerDoc <= 0 || res.Local.PerGB != cpuPerGB(res.Local.Total, moved) {
				t.Fatalf("this process's CPU: %+v for %d bytes", res.Local, moved)
			}
			if !tt.process {
				if res.Hub != (CPUUse{}) || res.HubProcs != 0 {
					t.Fatalf("a hub process's CPU reported for a hub in this process: %+v, GOMAXPROCS %d", res.Hub, res.HubProcs)
				}
				return
			}
			if res.Hub.Total <= 0 || res.Hub.PerDoc != res.Hub.Total/time.Duration(opts.Docs) || res.Hub.PerGB != cpuPerGB(res.Hub.Total, moved) || res.HubProcs < 1 {
				t.Fatalf("the hub process's CPU: %+v, GOMAXPROCS %d", res.Hub, res.HubProcs)
			}
			if !strings.Contains(out.String(), "CPU of the exchange, hub process:") {
				t.Fatalf("the report leaves out the hub's CPU:\n%s", out.String())
			}
			// Stopped gracefully, the hub removed its control socket; a
			// killed one leaves it.
			if _, err := os.Stat(filepath.Join(opts.Dir, "data", control.SocketName)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the hub's control socket remains after the run: %v", err)
			}
		})
	}
}

// TestRunCancelled shows that a run stopped from outside (Ctrl+C) stops
// its hub process gracefully too: cancelled once the hub answers on its
// control socket, whatever the run is doing then.
func TestRunCancelled(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "data", control.SocketName)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if cl, err := control.Dial(ctx, filepath.Join(dir, "data")); err == nil {
				cl.Close()
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	_, err := Run(ctx, Options{Agencies: 2, Size: 12 << 10, Docs: 100, Rate: 10, HubBinary: hubBinaryForTest(t), Dir: dir, RawBytes: 1 << 20})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the cancellation", err)
	}
	if _, err := os.Stat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the hub's control socket remains: it was killed or still runs (%v)", err)
	}
}

// TestRunHubFails shows that a hub process that cannot start fails the
// run at once, with what it said.
func TestRunHubFails(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "lienthong-hub")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 'lienthong-hub: error: the store is held' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Run(ctx, Options{Agencies: 2, Docs: 2, HubBinary: fake, Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "ended before it was ready") || !strings.Contains(err.Error(), "the store is held") {
		t.Fatalf("err = %v", err)
	}
}

func TestFindHubBinary(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "lienthong-bench")
	beside := filepath.Join(dir, HubBinaryName)
	onPath := func(string) (string, error) { return "/usr/local/bin/lienthong-hub", nil }
	notOnPath := func(string) (string, error) { return "", exec.ErrNotFound }

	got, err := findHubBinary(self, onPath)
	if err != nil || got != "/usr/local/bin/lienthong-hub" {
		t.Fatalf("none beside: %q, %v; want the one on PATH", got, err)
	}
	if _, err := findHubBinary(self, notOnPath); !errors.Is(err, ErrNoHubBinary) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("none anywhere: %v", err)
	}
	if err := os.WriteFile(beside, []byte("not executable"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := findHubBinary(self, onPath); err != nil || got != "/usr/local/bin/lienthong-hub" {
		t.Fatalf("a file beside that cannot run: %q, %v; want the one on PATH", got, err)
	}
	if err := os.Chmod(beside, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findHubBinary(self, onPath); err != nil || got != beside {
		t.Fatalf("beside: %q, %v; want %q first", got, err, beside)
	}
}

// TestRunRemote targets a hub run from a configuration over a demo PKI, as
// "lienthong-hub demo" runs it, with the demo agencies.
func TestRunRemote(t *testing.T) {
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	if err := certs.Demo(pkiDir, certs.ECDSAP256); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Listen, cfg.OpsListen, cfg.DataDir = "127.0.0.1:0", "", filepath.Join(dir, "data")
	cfg.TLSCert, cfg.TLSKey = filepath.Join(pkiDir, "hub.crt"), filepath.Join(pkiDir, "hub.key")
	cfg.ReceiptCert, cfg.ReceiptKey = filepath.Join(pkiDir, "receipt.crt"), filepath.Join(pkiDir, "receipt.key")
	cfg.Roots = filepath.Join(pkiDir, "ca.crt")
	h, err := service.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, a := range certs.DemoAgencies {
		if _, err := h.Store().UpsertAgency(ctx, &store.Agency{Code: a.Code, Name: a.Name, Level: a.Code.Level(), Active: true}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	res, err := Run(ctx, Options{Hub: h.Addr(), PKI: pkiDir, Agencies: 3, Size: 12 << 10, Docs: 9, RawBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Delivered != 9 || res.Failed != 0 || len(res.ServerTimes) != 0 {
		t.Fatalf("delivered %d failed %d, server times %v (a remote hub's are not scraped)", res.Delivered, res.Failed, res.ServerTimes)
	}
	t.Run("more agencies than the demo PKI has", func(t *testing.T) {
		_, err := Run(ctx, Options{Hub: h.Addr(), PKI: pkiDir, Agencies: len(certs.DemoAgencies) + 1})
		if err == nil || !strings.Contains(err.Error(), "demo PKI") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestIdle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 20
	res, err := Idle(ctx, Options{Agencies: 4, Dir: t.TempDir(), IdleCPUWindow: 300 * time.Millisecond}, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res.Print(&out)
	t.Log("\n" + out.String())
	// Each connection holds at least its long poll's handler goroutine on
	// the hub (and here, the client's goroutines too).
	if res.Conns != n || !res.InProcessClients || res.Goroutines < n || res.PerConn <= 0 || res.HeapAfter <= res.HeapBefore ||
		res.CPUWindow != 300*time.Millisecond || res.HubCPU < 0 || res.ClientsCPU != 0 {
		t.Fatalf("%+v", res)
	}
	if res.ConnectWall <= 0 || res.ConnectCPU <= 0 || !strings.Contains(out.String(), "connecting them: ") {
		t.Fatalf("connecting: %v wall, %v CPU\n%s", res.ConnectWall, res.ConnectCPU, out.String())
	}
	if !strings.Contains(out.String(), "CPU while they idle (300ms): hub process ") {
		t.Fatalf("no idle CPU line:\n%s", out.String())
	}
	if res.Transport != "h3" || !strings.Contains(out.String(), "idle long-polling connections: 20 over h3 (") {
		t.Fatalf("transport %q:\n%s", res.Transport, out.String())
	}
	if res.Exchange != nil || strings.Contains(out.String(), "exchange") {
		t.Fatalf("an exchange without a rate:\n%s", out.String())
	}
	for _, bad := range []struct {
		name string
		opts Options
		n    int
	}{
		{"against a remote hub", Options{Hub: "127.0.0.1:1", PKI: "x"}, n},
		{"no connections", Options{}, 0},
		{"too many connections", Options{}, MaxIdle + 1},
		{"one agency to exchange", Options{Rate: 10, ExchangeAgencies: 1}, n},
		{"too many agencies in all", Options{Rate: 10, Agencies: MaxAgencies}, n},
		{"a negative dead-after", Options{IdleDeadAfter: -time.Second}, n},
		{"a negative CPU window", Options{IdleCPUWindow: -time.Second}, n},
	} {
		t.Run(bad.name, func(t *testing.T) {
			if _, err := Idle(ctx, bad.opts, bad.n, nil); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestIdleTCP: with TCP the idle clients hold their long polls over
// HTTP/2, and the report says so.
func TestIdleTCP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 10
	res, err := Idle(ctx, Options{Agencies: 2, TCP: true, Dir: t.TempDir(), IdleCPUWindow: 100 * time.Millisecond}, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res.Print(&out)
	if res.Transport != "h2" || !strings.Contains(out.String(), "idle long-polling connections: 10 over h2 (") {
		t.Fatalf("transport %q:\n%s", res.Transport, out.String())
	}
}

// TestIdleFront: with a long-poll front, the hub runs as a process of its
// own, the idle clients' long polls and the exchange's recipients' are
// held by the front's process, whose heap the figure per connection
// counts with the hub's, and the exchange is still delivered.
func TestIdleFront(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const n, docs = 20, 10
	res, err := Idle(ctx, Options{Agencies: 4, ExchangeAgencies: 2, Docs: docs, Warmup: 2, Rate: 50, Front: true, HubBinary: hubBinaryForTest(t),
		IdleCPUWindow: 200 * time.Millisecond, Dir: t.TempDir()}, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res.Print(&out)
	t.Log("\n" + out.String())
	frontGrown := int64(res.FrontHeapAfter+res.FrontStackAfter) - int64(res.FrontHeapBefore+res.FrontStackBefore)
	if !res.Front || res.FrontHeapBefore == 0 || frontGrown < n*20_000 {
		t.Fatalf("the front's memory grew by %d bytes for %d connections: %+v", frontGrown, n, res)
	}
	if x := res.Exchange; x == nil || x.Delivered != docs || x.Failed != 0 || res.FrontExchangeCPU <= 0 || x.Nodes != 1 || x.Hub.Total <= 0 {
		t.Fatalf("the exchange through the front: %+v", res)
	}
	// The hub runs as a process of its own: its heap is read from its
	// profile, and the connections are not in it.
	if res.HeapBefore == 0 || int64(res.HeapAfter)-int64(res.HeapBefore) > frontGrown {
		t.Fatalf("the hub's heap %d -> %d against the front's growth %d", res.HeapBefore, res.HeapAfter, frontGrown)
	}
	for _, want := range []string{
		"idle long-polling connections: 20 over h3 (clients in this tool's process, held by a long-poll front)",
		"front heap: ", "front stacks: ", "memory per idle connection (heap + stacks, hub and front): ",
		"; front process ", "front process during the exchange: ",
		"(clients in this tool's process, the hub in its own)", "CPU of the exchange, hub process (idle polls included): ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if _, err := Run(ctx, Options{Front: true}); err == nil {
		t.Error("a front outside idle mode was accepted")
	}
}

// TestIdleExchange: with a rate, an exchange between other agencies runs
// through the hub while the idle connections are open, and the report
// has both the memory and the latencies.
func TestIdleExchange(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const n, docs = 50, 20
	var spawned IdleClientsSpec
	spawn := func(ctx context.Context, spec IdleClientsSpec) (func() error, error) {
		spawned = spec
		return inProcess(ctx, spec)
	}
	res, err := Idle(ctx, Options{Agencies: 5, ExchangeAgencies: 3, Docs: docs, Warmup: 4, Rate: 50, IdleDeadAfter: time.Minute, IdleCPUWindow: time.Second, Dir: t.TempDir()}, n, spawn)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res.Print(&out)
	t.Log("\n" + out.String())
	if spawned.N != n || spawned.Agencies != 5 || spawned.DeadAfter != time.Minute {
		t.Fatalf("idle clients %+v", spawned)
	}
	if res.Conns != n || res.PerConn <= 0 || res.Goroutines < n {
		t.Fatalf("memory part: %+v", res)
	}
	x := res.Exchange
	if x == nil {
		t.Fatal("no exchange")
	}
	if x.Options.Agencies != 3 || x.Accepted != docs || x.Delivered != docs || x.Failed != 0 || x.P50 <= 0 || x.P99 < x.P50 || x.Transport != "h3" {
		t.Fatalf("exchange part: %+v", x)
	}
	if x.Warmup == nil || x.Warmup.Docs != 4 || x.Warmup.Failed != 0 || x.Warmup.P99 <= 0 {
		t.Fatalf("the exchange's warm-up: %+v", x.Warmup)
	}
	for _, want := range []string{
		"idle long-polling connections: 50 ",
		"memory per idle connection (heap + stacks): ",
		"exchange while they poll: agencies 3 (clients in the hub's process), documents 20 of 10240 bytes (signed PDFs), concurrency 10, rate 50 docs/s, transport h3",
		"latency send to delivered:       p50 ",
		"durably accepted (Submit OK): ",
		"failed: 0\n",
		"warm-up, sent first and in no figure above: 4 documents, send to delivered p50 ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// The benchmarks run the tool's three measured scenarios and report
// their figures; run them with -benchtime=1x (each iteration is a whole
// run with its own hub):
//
//	go test -run '^$' -bench . -benchtime=1x ./hub/bench/
func BenchmarkRelay1MB(b *testing.B) {
	benchRun(b, Options{Agencies: 4, Size: 1 << 20, Docs: 100, Concurrency: 8})
}

func BenchmarkAccept10KB(b *testing.B) {
	benchRun(b, Options{Agencies: 8, Size: 10 << 10, Docs: 1000, Concurrency: 64, AcceptOnly: true})
}

func BenchmarkLatency10KBAt100PerSec(b *testing.B) {
	benchRun(b, Options{Agencies: 8, Size: 10 << 10, Docs: 500, Warmup: 200, Concurrency: 32, Rate: 100})
}

func benchRun(b *testing.B, opts Options) {
	var res *Result
	opts.HubBinary = hubBinaryForTest(b)
	for range b.N {
		opts.Dir = b.TempDir()
		var err error
		if res, err = Run(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(res.DocsPerSec, "docs/s")
	b.ReportMetric(res.AcceptedPerSec, "accepted/s")
	b.ReportMetric(res.MBPerSec, "MB/s")
	b.ReportMetric(res.Raw.MBPerSec, "rawMB/s")
	b.ReportMetric(100*res.Ratio, "%raw")
	if res.RelayChecked.MBPerSec > 0 {
		b.ReportMetric(100*res.RelayChecked.MBPerSec/res.Raw.MBPerSec, "%raw-checking-relay")
	}
	b.ReportMetric(float64(res.P99.Microseconds())/1e3, "p99-ms")
	b.ReportMetric(res.Hub.PerDoc.Seconds()*1e3, "hub-CPU-ms/doc")
	if res.Hub.PerGB > 0 {
		b.ReportMetric(res.Hub.PerGB, "hub-CPU-s/GB")
	}
}

func BenchmarkIdle1000(b *testing.B) {
	var res *IdleResult
	for range b.N {
		var err error
		if res, err = Idle(context.Background(), Options{Agencies: 50, Dir: b.TempDir()}, 1000, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(res.PerConn/1e3, "KB/conn(incl.clients)")
}

func TestPair(t *testing.T) {
	for _, tt := range []struct{ n, nodes int }{{4, 1}, {4, 2}, {5, 2}, {6, 3}, {3, 3}, {7, 2}} {
		t.Run(fmt.Sprintf("%d agencies on %d nodes", tt.n, tt.nodes), func(t *testing.T) {
			seen := map[[2]int]bool{}
			for i := range 10 * tt.n * tt.n {
				from, to := pair(i, tt.n, tt.nodes)
				if from != i%tt.n || to < 0 || to >= tt.n || to == from {
					t.Fatalf("document %d: %d → %d", i, from, to)
				}
				if tt.nodes > 1 && to%tt.nodes == from%tt.nodes {
					t.Fatalf("document %d: %d → %d, both on node %d", i, from, to, to%tt.nodes)
				}
				seen[[2]int{from, to}] = true
			}
			want := 0 // every pair allowed is used
			for a := range tt.n {
				for b := range tt.n {
					if a != b && (tt.nodes <= 1 || a%tt.nodes != b%tt.nodes) {
						want++
					}
				}
			}
			if len(seen) != want {
				t.Fatalf("%d pairs used, want %d", len(seen), want)
			}
		})
	}
}

// TestRunPostgres runs the hub on PostgreSQL: two nodes as processes of
// their own, every document crossing from one to the other, and one node
// in this process (for profiles). The run's database is gone afterwards.
func TestRunPostgres(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"two nodes", Options{Agencies: 4, Nodes: 2, Size: 12 << 10, Docs: 24, Concurrency: 6}},
		{"two nodes, accept only, paced", Options{Agencies: 2, Nodes: 2, Size: 12 << 10, Docs: 20, Rate: 100, AcceptOnly: true}},
		{"in process", Options{Agencies: 2, Size: 12 << 10, Docs: 10, InProcess: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			url := postgresForTest(t)
			opts := tt.opts
			opts.Postgres, opts.Dir, opts.RawBytes = url, t.TempDir(), 1<<20
			if !opts.InProcess {
				opts.HubBinary = hubBinaryForTest(t)
			}
			res, err := Run(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			res.Print(&out)
			t.Log("\n" + out.String())
			wantDelivered := opts.Docs
			if opts.AcceptOnly {
				wantDelivered = 0
			}
			if res.Accepted != opts.Docs || res.Failed != 0 || res.Delivered != wantDelivered {
				t.Fatalf("accepted %d, failed %d (%v), delivered %d", res.Accepted, res.Failed, res.FirstError, res.Delivered)
			}
			if !strings.Contains(out.String(), "store PostgreSQL") || res.DB.Total <= 0 || !strings.Contains(out.String(), "CPU of the exchange, PostgreSQL:") {
				t.Fatalf("the report leaves out PostgreSQL or its CPU (%+v):\n%s", res.DB, out.String())
			}
			// The first node counted the submissions of its own agencies:
			// agency i talks to node i mod Nodes.
			want := 0
			for i := range opts.Docs {
				if from, _ := pair(i, opts.Agencies, max(opts.Nodes, 1)); from%max(opts.Nodes, 1) == 0 {
					want++
				}
			}
			submits := 0.0
			for _, rt := range res.ServerTimes {
				if rt.Route == "POST /v1/messages" {
					submits = rt.Count
				}
			}
			if submits != float64(want) {
				t.Fatalf("the first node counted %v submissions, want %d", submits, want)
			}
			if opts.Nodes > 1 {
				if res.Nodes != opts.Nodes || res.Hub.Total <= 0 || !strings.Contains(out.String(), "CPU of the exchange, hub processes:") {
					t.Fatalf("%d nodes reported, hub CPU %+v:\n%s", res.Nodes, res.Hub, out.String())
				}
				for k := 2; k <= opts.Nodes; k++ {
					if _, err := os.Stat(filepath.Join(opts.Dir, fmt.Sprintf("hub%d.json", k))); err != nil {
						t.Fatalf("node %d's configuration: %v", k, err)
					}
				}
			}
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var left int
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname LIKE 'lienthong_bench_%'`).Scan(&left); err != nil || left != 0 {
				t.Fatalf("%d run databases left (%v)", left, err)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"host=/tmp/pg user=postgres dbname=x":         "host=/tmp/pg user=postgres dbname=x dbname=run",
		"postgres://hub:pw@db:5433/x?sslmode=require": "postgres://hub:pw@db:5433/run?sslmode=require",
		"postgresql://db":                             "postgresql://db/run",
	} {
		if got, err := withDatabase(in, "run"); err != nil || got != want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestRunPostgresExisting: a role that may not create databases runs the
// bench in its own empty database, which is empty again afterwards; a
// database that is not empty is refused before anything runs.
func TestRunPostgresExisting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := postgresForTest(t)
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	role := "bench_" + strings.TrimPrefix(cfg.Database, "test_")
	asAdmin := func(sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	relations := func() int {
		t.Helper()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	asAdmin(`CREATE ROLE "` + role + `" LOGIN NOCREATEDB`)
	asAdmin(`ALTER DATABASE "` + cfg.Database + `" OWNER TO "` + role + `"`)
	url := admin + " user=" + role

	opts := Options{Agencies: 2, Nodes: 2, Docs: 10, Postgres: url, PostgresExisting: true, Dir: t.TempDir(), RawBytes: 1 << 20, HubBinary: hubBinaryForTest(t)}
	res, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != opts.Docs || res.Delivered != opts.Docs || res.Failed != 0 {
		t.Fatalf("accepted %d, delivered %d, failed %d (%v)", res.Accepted, res.Delivered, res.Failed, res.FirstError)
	}
	if n := relations(); n != 0 {
		t.Fatalf("%d relations left in the database after the run", n)
	}

	asAdmin(`CREATE TABLE public.someone_elses (x int)`)
	opts.Dir = t.TempDir()
	if _, err := Run(ctx, opts); !errors.Is(err, ErrDatabaseNotEmpty) {
		t.Fatalf("a database that is not empty: err = %v", err)
	}
	if n := relations(); n != 1 {
		t.Fatalf("%d relations after a refused run, want the 1 that was there", n)
	}
}
