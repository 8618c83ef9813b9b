package apitest

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/bench"
	"lienthong/hub/config"
	"lienthong/hub/hubtest/apicheck"
	"lienthong/internal/buildtest"
)

// bin holds lienthong-hub, lienthong-certs and lienthong-clerk, built once
// for the package.
var bin string

func TestMain(m *testing.M) {
	buildtest.Main(m, &bin, "lienthong/hub/cmd/lienthong-hub", "lienthong/certs/cmd/lienthong-certs", "lienthong/desktop/cmd/lienthong-clerk")
}

// startHub runs lienthong-hub demo on a fresh demo PKI and returns the
// agencies' address and the PKI's folder; the hub stops when the test
// ends.
func startHub(t *testing.T) (addr, pki string) {
	t.Helper()
	dir := t.TempDir()
	pki = filepath.Join(dir, "pki")
	if out, err := exec.Command(filepath.Join(bin, "lienthong-certs"), "demo", "--out", pki).CombinedOutput(); err != nil {
		t.Fatalf("lienthong-certs demo: %v\n%s", err, out)
	}
	addr, opsAddr := freeAddr(t), freeAddr(t)
	run(t, "the hub", opsAddr, filepath.Join(bin, "lienthong-hub"), "demo", "--pki", pki, "--data", filepath.Join(dir, "data"),
		"--listen", addr, "--ops", opsAddr)
	return addr, pki
}

// freeAddr is a loopback address whose port is free now.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := bench.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// run starts the command in a process group of its own, waits until it
// answers 200 on http://ops/readyz, and stops it with SIGTERM when the test
// ends, showing its log if the test failed.
func run(t *testing.T, what, ops, name string, args ...string) {
	t.Helper()
	var log bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s's log:\n%s", what, log.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, err := http.Get("http://" + ops + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not ready after 30 s: %v", what, err) // its log follows, once it has stopped
		}
	}
}

// startFront runs lienthong-hub front beside the hub startHub started on
// pki, and returns the front's address once it follows the hub; it stops
// when the test ends.
func startFront(t *testing.T, hubAddr, pki string) string {
	t.Helper()
	dir := filepath.Dir(pki)
	cfg := config.Default()
	cfg.Listen, cfg.OpsListen, cfg.DataDir = hubAddr, "", filepath.Join(dir, "data")
	cfg.FrontListen, cfg.FrontOpsListen = freeAddr(t), freeAddr(t)
	cfg.TLSCert, cfg.TLSKey = filepath.Join(pki, "hub.crt"), filepath.Join(pki, "hub.key")
	cfg.ReceiptCert, cfg.ReceiptKey = filepath.Join(pki, "receipt.crt"), filepath.Join(pki, "receipt.key")
	cfg.Roots, cfg.CRLs = filepath.Join(pki, "ca.crt"), []string{filepath.Join(pki, "ca.crl")}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "front.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "the front", cfg.FrontOpsListen, filepath.Join(bin, "lienthong-hub"), "front", "--config", path)
	return cfg.FrontListen
}

// checked returns the address of a proxy in front of the hub at addr that
// checks every request and answer against the API's schemas
// (apicheck.Proxy), for the demo agencies of the PKI's folder.
func checked(t *testing.T, addr, pki string) string {
	t.Helper()
	load := func(prefix string) *certs.KeyPair {
		kp, err := certs.LoadKeyPair(prefix+".crt", prefix+".key", nil)
		if err != nil {
			t.Fatal(err)
		}
		return kp
	}
	var agencies []*certs.KeyPair
	for _, a := range certs.DemoAgencies {
		agencies = append(agencies, load(filepath.Join(pki, "agencies", string(a.Code))))
	}
	root, err := certs.ReadCertificates(filepath.Join(pki, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	for _, c := range root {
		roots.AddCert(c)
	}
	return apicheck.Proxy(t, addr, "localhost", load(filepath.Join(pki, "hub")), roots, agencies)
}

// TestExampleClient runs docs/examples/client.sh, the example client in
// bash, curl, openssl and python3, against a real hub over HTTP/2 and over
// HTTP/1.1: the whole exchange, statuses, receipts checked with openssl,
// the main error cases and a long poll held at the hub's long-poll front
// (lienthong-hub front). Any step that does not go as the API says fails it,
// and so does a request or an answer that breaks the API's schemas.
func TestExampleClient(t *testing.T) {
	addr, pki := startHub(t)
	front := startFront(t, addr, pki)
	addr = checked(t, addr, pki)
	script, err := filepath.Abs("../../docs/examples/client.sh")
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := filepath.Abs("../server/testdata/cong-van.pdf")
	if err != nil {
		t.Fatal(err)
	}
	// Read, so that go test's cache knows the result depends on them.
	for _, f := range []string{script, pdf} {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, http := range []string{"--http2", "--http1.1"} {
		t.Run(strings.TrimPrefix(http, "--"), func(t *testing.T) {
			// A bound against a hang, not a timing: the script starts
			// curl, openssl and python3 some sixty times, which took over
			// two minutes on a 2-core machine at load 20.
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", script, pdf)
			cmd.Env = append(os.Environ(), "HUB="+addr, "PKI="+pki, "HTTP="+http, "FRONT="+front)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
			out, err := cmd.CombinedOutput()
			t.Logf("%s", out)
			if err != nil {
				t.Fatalf("client.sh: %v", err)
			}
			if !bytes.Contains(out, []byte("all steps passed")) || !bytes.Contains(out, []byte("ok: a long poll at the front")) {
				t.Fatal("client.sh ended without passing every step")
			}
		})
	}
}
