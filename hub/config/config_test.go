package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	base := func() Config {
		c := Default()
		c.TLSCert, c.TLSKey, c.Roots = "hub.crt", "hub.key", "ca.crt"
		c.ReceiptCert, c.ReceiptKey = "receipt.crt", "receipt.key"
		return c
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string // empty: valid
	}{
		{"defaults with certificates", func(*Config) {}, ""},
		{"no certificate", func(c *Config) { c.TLSCert = "" }, "tls_cert and tls_key are required"},
		{"no roots", func(c *Config) { c.Roots = "" }, "roots is required"},
		{"no receipt identity: the TLS key never signs receipts", func(c *Config) { c.ReceiptKey = "" }, "receipt_cert and receipt_key are required"},
		{"bad listen", func(c *Config) { c.Listen = "4433" }, "listen \"4433\""},
		{"ops on the agency port", func(c *Config) { c.OpsListen = c.Listen }, "ops_listen must differ"},
		{"ops disabled", func(c *Config) { c.OpsListen = "" }, ""},
		{"front beside the hub", func(c *Config) { c.FrontListen = "0.0.0.0:4434" }, ""},
		{"front on the agency port", func(c *Config) { c.FrontListen = c.Listen }, "front_listen must differ"},
		{"front on the ops port", func(c *Config) { c.FrontListen = c.OpsListen }, "front_listen must differ"},
		{"bad front listen", func(c *Config) { c.FrontListen = "4434" }, "front_listen \"4434\""},
		{"front's ops on the hub's", func(c *Config) { c.FrontListen, c.FrontOpsListen = "0.0.0.0:4434", c.OpsListen }, "front_ops_listen must differ"},
		{"front's ops on its own", func(c *Config) { c.FrontListen, c.FrontOpsListen = "0.0.0.0:4434", "127.0.0.1:9434" }, ""},
		{"front holding too many polls", func(c *Config) { c.FrontMaxPolls = 2_000_000 }, "front_max_polls 2000000"},
		{"tsa half configured", func(c *Config) { c.TSACert = "tsa.crt" }, "tsa_cert and tsa_key go together"},
		{"attachment limit zero", func(c *Config) { c.MaxAttachmentMB = 0 }, "max_attachment_mb 0"},
		{"CRL reload too often", func(c *Config) { c.CRLReload = Duration(time.Second) }, "crl_reload"},
		{"unknown log level", func(c *Config) { c.LogLevel = "loud" }, "log_level"},
		{"agency limit for a malformed code", func(c *Config) { c.AgencyLimits = map[string]AgencyLimits{"H49": {Burst: 5}} }, "agency_limits: malformed agency code"},
		{"negative agency limit", func(c *Config) { c.AgencyLimits = map[string]AgencyLimits{"000.00.00.H49": {Burst: -1}} }, "agency_limits 000.00.00.H49"},
		{"negative spare procs", func(c *Config) { c.SpareProcs = ptr(-1) }, "spare_procs -1"},
		{"too many spare procs", func(c *Config) { c.SpareProcs = ptr(65) }, "spare_procs 65"},
		{"no spare procs", func(c *Config) { c.SpareProcs = ptr(0) }, ""},
		{"collector tuned", func(c *Config) { c.GCPercent, c.MemoryLimitMB = 400, 4096 }, ""},
		{"collector too eager", func(c *Config) { c.GCPercent = 5 }, "gc_percent 5"},
		{"collector too lazy", func(c *Config) { c.GCPercent = 20000 }, "gc_percent 20000"},
		{"negative memory limit", func(c *Config) { c.MemoryLimitMB = -1 }, "memory_limit_mb -1"},
		{"negative heap floor", func(c *Config) { c.GCHeapFloorMB = -1 }, "gc_heap_floor_mb -1"},
		{"heap floor at the memory limit", func(c *Config) { c.MemoryLimitMB = 32 }, "gc_heap_floor_mb 32: want it below memory_limit_mb 32"},
		{"no heap floor under a memory limit", func(c *Config) { c.MemoryLimitMB, c.GCHeapFloorMB = 256, 0 }, ""},
		{"secret documents allowed", func(c *Config) { c.AllowSecretDocuments = true }, ""},
		{"edXML packets refused", func(c *Config) { c.EdXML.MaxPacketMB = 0 }, "edxml.max_packet_mb 0"},
		{"edXML packets over a gigabyte", func(c *Config) { c.EdXML.MaxPacketMB = 2048 }, "edxml.max_packet_mb 2048"},
		{"edXML memory short of one packet", func(c *Config) { c.EdXML.MaxPacketMB, c.EdXML.MemoryMB = 100, 512 }, "edxml.memory_mb 512"},
		{"edXML SHA-1 refused, larger packets", func(c *Config) { c.EdXML = EdXML{MaxPacketMB: 100, RefuseSHA1: true, MemoryMB: 1024} }, ""},
		{"office appendices allowed", func(c *Config) { c.AttachmentTypes = []string{"pdf", "docx", "xlsx", "odt"} }, ""},
		{"attachment types without pdf", func(c *Config) { c.AttachmentTypes = []string{"docx"} }, `attachment_types: the attachment types must include "pdf"`},
		{"legacy doc", func(c *Config) { c.AttachmentTypes = []string{"pdf", "doc"} }, `attachment_types: attachment type "doc" is not accepted`},
		{"unknown attachment type", func(c *Config) { c.AttachmentTypes = []string{"pdf", "exe"} }, `attachment_types: unknown attachment type "exe"`},
		{"no attachment types", func(c *Config) { c.AttachmentTypes = nil }, `attachment_types`},
		{"zero rate", func(c *Config) { c.RequestsPerSecond = 0 }, "requests_per_second and burst"},
		{"no request in flight", func(c *Config) { c.MaxInFlight = 0 }, "max_in_flight 0"},
		{"per agency above the total", func(c *Config) { c.MaxInFlightPerAgency = c.MaxInFlight + 1 }, "max_in_flight_per_agency"},
		{"negative agency in-flight cap", func(c *Config) { c.AgencyLimits = map[string]AgencyLimits{"000.00.00.H49": {MaxInFlight: -1}} }, "agency_limits 000.00.00.H49"},
		{"body idle timeout zero", func(c *Config) { c.BodyIdleTimeout = 0 }, "body_idle_timeout 0s"},
		{"body rate window too long", func(c *Config) { c.BodyRateWindow = Duration(time.Hour) }, "body_rate_window 1h0m0s"},
		{"body min rate zero", func(c *Config) { c.BodyMinRate = 0 }, "body_min_rate 0"},
		{"body min rate above a slow line", func(c *Config) { c.BodyMinRate = 1 << 20 }, "body_min_rate 1048576"},
		{"body memory below one packet's worth", func(c *Config) { c.MaxBodyMemoryMB = 1 }, "max_body_memory_mb 1"},
		{"storage collected too often", func(c *Config) { c.StorageGCInterval = Duration(time.Second) }, "storage_gc_interval"},
		{"partial uploads kept too briefly", func(c *Config) { c.UploadTTL = Duration(time.Minute) }, "upload_ttl"},
		{"unsent attachments kept too briefly", func(c *Config) { c.UnreferencedTTL = Duration(time.Minute) }, "unreferenced_ttl"},
		{"quota below an attachment", func(c *Config) { c.UploadQuotaMB = 50 }, "upload_quota_mb 50"},
		{"quota below an agency's attachment", func(c *Config) {
			c.AgencyLimits = map[string]AgencyLimits{"000.00.00.G22": {MaxAttachmentMB: 3000}}
		}, "upload_quota_mb 2048"},
		{"no quota", func(c *Config) { c.UploadQuotaMB = 0 }, ""},
		{"retention of an hour", func(c *Config) { c.DeliveredRetention = Duration(time.Hour) }, "delivered_retention"},
		{"retention of a year", func(c *Config) { c.DeliveredRetention = Duration(365 * 24 * time.Hour) }, ""},
		{"bolt store named", func(c *Config) { c.Store = StoreBolt }, ""},
		{"postgres store", func(c *Config) { c.Store, c.PostgresURL = StorePostgres, "postgres://hub@db/lienthong" }, ""},
		{"postgres store without its url", func(c *Config) { c.Store = StorePostgres }, `store "postgres" needs postgres_url`},
		{"postgres store with a blank url", func(c *Config) { c.Store, c.PostgresURL = StorePostgres, "  " }, `store "postgres" needs postgres_url`},
		{"postgres url for the bolt store", func(c *Config) { c.PostgresURL = "postgres://hub@db/lienthong" }, `postgres_url is set but store is "bolt"`},
		{"long polls re-checking the database too often", func(c *Config) { c.LongPollRecheck = Duration(time.Millisecond) }, "long_poll_recheck"},
		{"unknown store", func(c *Config) { c.Store = "mysql" }, "store \"mysql\""},
		{"two problems at once", func(c *Config) { c.Roots, c.DataDir = "", "" }, "data_dir is required\nroots is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.change(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func ptr(n int) *int { return &n }

func TestProcs(t *testing.T) {
	c := Default()
	t.Setenv("GOMAXPROCS", "")
	if got, want := c.Procs(), runtime.GOMAXPROCS(0)+2; got != want {
		t.Errorf("Procs on bbolt by default = %d, want the runtime's %d + 2", got, want-2)
	}
	// A node on PostgreSQL does not wait on the disk itself.
	c.Store, c.PostgresURL = StorePostgres, "host=/run/postgresql"
	if got := c.Procs(); got != runtime.GOMAXPROCS(0) {
		t.Errorf("Procs on PostgreSQL by default = %d, want the runtime's %d", got, runtime.GOMAXPROCS(0))
	}
	c.SpareProcs = ptr(3)
	if got, want := c.Procs(), runtime.GOMAXPROCS(0)+3; got != want {
		t.Errorf("Procs on PostgreSQL with 3 spare = %d, want the runtime's %d + 3", got, want-3)
	}
	c = Default()
	c.SpareProcs = ptr(0)
	if got := c.Procs(); got != runtime.GOMAXPROCS(0) {
		t.Errorf("Procs on bbolt with none spare = %d, want the runtime's %d", got, runtime.GOMAXPROCS(0))
	}
	// An operator's GOMAXPROCS is taken as given: the process started
	// with it, so the runtime already runs with it.
	c.SpareProcs = ptr(5)
	t.Setenv("GOMAXPROCS", "1")
	if got := c.Procs(); got != defaultProcs {
		t.Errorf("Procs with GOMAXPROCS set = %d, want the process's %d", got, defaultProcs)
	}
}

// TestGC: the collector settings apply unless the operator's GOGC or
// GOMEMLIMIT environment variable says otherwise; the heap floor applies
// either way.
func TestGC(t *testing.T) {
	c := Default()
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	if p, l, f := c.GC(); p != 0 || l != 0 || f != 32<<20 {
		t.Errorf("default GC() = %d, %d, %d; want the runtime's own (0, 0) and a floor of 32 MiB", p, l, f)
	}
	c.GCPercent, c.MemoryLimitMB, c.GCHeapFloorMB = 400, 3072, 0
	if p, l, f := c.GC(); p != 400 || l != 3072<<20 || f != 0 {
		t.Errorf("GC() = %d, %d, %d; want 400, 3 GiB, no floor", p, l, f)
	}
	t.Setenv("GOGC", "200")
	t.Setenv("GOMEMLIMIT", "1GiB")
	c.GCHeapFloorMB = 64
	if p, l, f := c.GC(); p != 0 || l != 0 || f != 64<<20 {
		t.Errorf("GC() with GOGC and GOMEMLIMIT set = %d, %d, %d; want them left alone and the floor", p, l, f)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.json")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"tls_cert": "pki/hub.crt", "tls_key": "/etc/hub.key", "roots": "pki/ca.crt", "crls": ["pki/ca.crl"], "receipt_cert": "pki/receipt.crt", "receipt_key": "pki/receipt.key", "data_dir": "data", "shutdown_grace": "5s"}`)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.TLSCert != filepath.Join(dir, "pki/hub.crt") || c.TLSKey != "/etc/hub.key" || c.CRLs[0] != filepath.Join(dir, "pki/ca.crl") || c.DataDir != filepath.Join(dir, "data") || c.ReceiptKey != filepath.Join(dir, "pki/receipt.key") {
		t.Errorf("paths not resolved against the file's folder: %+v", c)
	}
	if c.ShutdownGrace.D() != 5*time.Second || c.Listen != "0.0.0.0:4433" || c.MaxAttachment() != 100<<20 {
		t.Errorf("values or defaults wrong: %+v", c)
	}
	if c.AllowSecretDocuments {
		t.Error("documents marked Mật are allowed by default")
	}
	if p := c.AttachmentPolicy(); strings.Join(p.Names(), ",") != "pdf" {
		t.Errorf("attachment types by default: %v", p.Names())
	}
	write(`{"tls_cert":"a","tls_key":"b","receipt_cert":"r","receipt_key":"k","roots":"c","attachment_types":["pdf","docx","odt"]}`)
	if c, err := Load(path); err != nil || strings.Join(c.AttachmentPolicy().Names(), ",") != "pdf,docx,odt" {
		t.Errorf("attachment_types [pdf docx odt] gave %v, %v", c.AttachmentTypes, err)
	}
	write(`{"tls_cert":"a","tls_key":"b","receipt_cert":"r","receipt_key":"k","roots":"c","allow_secret_documents":true}`)
	if c, err := Load(path); err != nil || !c.AllowSecretDocuments {
		t.Errorf("allow_secret_documents: true gave %v, %v", c.AllowSecretDocuments, err)
	}
	// Spare slots given for a node on PostgreSQL, whose default is none.
	write(`{"tls_cert":"a","tls_key":"b","receipt_cert":"r","receipt_key":"k","roots":"c","store":"postgres","postgres_url":"host=/run/postgresql","spare_procs":2}`)
	if c, err := Load(path); err != nil || c.Spare() != 2 {
		t.Errorf("spare_procs 2 on postgres gave %d, %v", c.Spare(), err)
	}
	write(`{"tls_cert":"a","tls_key":"b","receipt_cert":"r","receipt_key":"k","roots":"c","spare_procs":null}`)
	if c, err := Load(path); err != nil || c.Spare() != 2 {
		t.Errorf("spare_procs null on bbolt gave %d, %v", c.Spare(), err)
	}
	for _, bad := range []struct{ name, body, want string }{
		{"unknown field", `{"tls_cert":"a","tls_key":"b","roots":"c","listn":"x"}`, "unknown field"},
		{"bad duration", `{"tls_cert":"a","tls_key":"b","roots":"c","crl_reload":"often"}`, "invalid duration"},
		{"invalid", `{"tls_cert":"a"}`, "tls_cert and tls_key are required"},
		{"not JSON", `listen = 1`, "malformed JSON"},
		{"secret documents as a string", `{"tls_cert":"a","tls_key":"b","roots":"c","allow_secret_documents":"yes"}`, "allow_secret_documents"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			write(bad.body)
			if _, err := Load(path); err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Fatalf("Load = %v, want %q", err, bad.want)
			}
		})
	}
}
