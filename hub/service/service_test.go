package service

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/store"
	"lienthong/hub/store/pgstore"
	"lienthong/hub/store/pgstore/pgtest"
	"lienthong/shared/hubclient"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	pgtest.Main(m, func(url string) error { return pgstore.Migrate(context.Background(), url) },
		func(c *pgtest.Cluster) { cluster = c })
}

// TestRunDemoPKI runs a hub from a configuration over a demo PKI written
// by the certs package, as an operator would, and checks the agency API,
// the operator's endpoints and a graceful stop, on each store.
func TestRunDemoPKI(t *testing.T) {
	t.Run("bolt", func(t *testing.T) { testRunDemoPKI(t, func(*config.Config) {}) })
	t.Run("postgres", func(t *testing.T) {
		testRunDemoPKI(t, func(c *config.Config) { c.Store, c.PostgresURL = config.StorePostgres, cluster.NewDatabase(t) })
	})
}

func testRunDemoPKI(t *testing.T, setStore func(*config.Config)) {
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	if err := certs.Demo(pki, certs.ECDSAP256); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Listen, cfg.OpsListen, cfg.DataDir = "127.0.0.1:0", "127.0.0.1:0", filepath.Join(dir, "data")
	cfg.TLSCert, cfg.TLSKey = filepath.Join(pki, "hub.crt"), filepath.Join(pki, "hub.key")
	cfg.TSACert, cfg.TSAKey = filepath.Join(pki, "tsa.crt"), filepath.Join(pki, "tsa.key")
	cfg.ReceiptCert, cfg.ReceiptKey = filepath.Join(pki, "receipt.crt"), filepath.Join(pki, "receipt.key")
	cfg.Roots, cfg.CRLs = filepath.Join(pki, "ca.crt"), []string{filepath.Join(pki, "ca.crl")}
	setStore(&cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	if _, err := h.Store().UpsertAgency(ctx, &store.Agency{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh", Level: 1, Active: true}, time.Now()); err != nil {
		t.Fatal(err)
	}

	kp, err := certs.LoadKeyPair(filepath.Join(pki, "agencies/000.00.00.H49.crt"), filepath.Join(pki, "agencies/000.00.00.H49.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	roots, _ := certs.ReadCertificates(cfg.Roots)
	v, _ := certs.NewVerifier(roots)
	c, err := hubclient.New(h.Addr(), kp, v, hubclient.Options{ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	hello, err := c.Hello(rctx)
	if err != nil || hello.Agency != "000.00.00.H49" || hello.AgencyName != "Ủy ban nhân dân tỉnh Quảng Ninh" || hello.MaxAttachment != 100<<20 {
		t.Fatalf("hello: %v %+v", err, hello)
	}

	ops := "http://" + h.ops.Addr()
	for _, tt := range []struct{ path, want string }{
		{"/healthz", "ok"},
		{"/readyz", "ready"},
		{"/metrics", `lienthong_hub_requests_total{outcome="ok",route="GET /v1/hello"} 1`},
	} {
		resp, err := http.Get(ops + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s: %d, body lacks %q", tt.path, resp.StatusCode, tt.want)
		}
	}
}

func TestOpenRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	if err := certs.Demo(pki, certs.ECDSAP256); err != nil {
		t.Fatal(err)
	}
	base := config.Default()
	base.Listen, base.OpsListen, base.DataDir = "127.0.0.1:0", "", filepath.Join(dir, "data")
	base.TLSCert, base.TLSKey = filepath.Join(pki, "hub.crt"), filepath.Join(pki, "hub.key")
	base.ReceiptCert, base.ReceiptKey = filepath.Join(pki, "receipt.crt"), filepath.Join(pki, "receipt.key")
	base.Roots = filepath.Join(pki, "ca.crt")
	tests := []struct {
		name   string
		change func(*config.Config)
		want   string
	}{
		{"key of another certificate", func(c *config.Config) { c.TLSKey = filepath.Join(pki, "tsa.key") }, "does not match"},
		{"missing roots", func(c *config.Config) { c.Roots = filepath.Join(dir, "nope.crt") }, "roots"},
		{"CRL that is not a CRL", func(c *config.Config) { c.CRLs = []string{filepath.Join(pki, "ca.crt")} }, "CRL"},
		{"the TLS key as receipt identity", func(c *config.Config) {
			c.ReceiptCert, c.ReceiptKey = filepath.Join(pki, "hub.crt"), filepath.Join(pki, "hub.key")
		}, "not a receipt identity"},
		{"TSA certificate that cannot timestamp", func(c *config.Config) {
			c.TSACert, c.TSAKey = filepath.Join(pki, "hub.crt"), filepath.Join(pki, "hub.key")
		}, "timestamping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.change(&c)
			h, err := Open(c, nil)
			if err == nil {
				h.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
