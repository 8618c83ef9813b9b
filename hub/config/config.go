// Package config is the hub's configuration: one JSON file, documented
// here field by field, with safe defaults for everything but the
// certificate files. Relative paths in the file are taken relative to the
// file's own folder.
//
// An example, with every default written out:
//
//	{
//	  "listen": "0.0.0.0:4433",
//	  "ops_listen": "127.0.0.1:9433",
//	  "data_dir": "/var/lib/lienthong-hub",
//	  "tls_cert": "hub.crt",
//	  "tls_key": "hub.key",
//	  "tls_key_passphrase_file": "",
//	  "receipt_cert": "receipt.crt",
//	  "receipt_key": "receipt.key",
//	  "roots": "ca.crt",
//	  "foreign_roots": [],
//	  "crls": ["ca.crl"],
//	  "crl_reload": "10m",
//	  "tsa_cert": "tsa.crt",
//	  "tsa_key": "tsa.key",
//	  "log_key": "log.key",
//	  "log_origin": "lienthong-hub/log",
//	  "checkpoint_interval": "10s",
//	  "allow_secret_documents": false,
//	  "max_attachment_mb": 100,
//	  "attachment_types": ["pdf"],
//	  "requests_per_second": 50,
//	  "burst": 200,
//	  "agency_limits": {"000.00.00.G22": {"requests_per_second": 200, "burst": 800, "max_attachment_mb": 500, "max_in_flight": 64}},
//	  "max_in_flight": 8192,
//	  "max_in_flight_per_agency": 32,
//	  "body_idle_timeout": "30s",
//	  "body_min_rate": 1024,
//	  "body_rate_window": "1m0s",
//	  "max_body_memory_mb": 256,
//	  "shutdown_grace": "30s",
//	  "spare_procs": null,
//	  "gc_percent": 0,
//	  "memory_limit_mb": 0,
//	  "gc_heap_floor_mb": 32,
//	  "log_level": "info",
//	  "storage_gc_interval": "1h",
//	  "upload_ttl": "24h",
//	  "unreferenced_ttl": "24h",
//	  "upload_quota_mb": 2048,
//	  "delivered_retention": "0s",
//	  "edxml": {"max_packet_mb": 50, "refuse_sha1": false, "memory_mb": 512}
//	}
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/shared/envelope"
	"lienthong/shared/strictjson"
)

// The stores Config.Store names.
const (
	StoreBolt     = "bolt"     // hub/store/boltstore, the default
	StorePostgres = "postgres" // hub/store/pgstore
)

// Config is the hub's configuration.
type Config struct {
	// Listen is where agencies connect: UDP (HTTP/3) and TCP (HTTP/2) on
	// the same port.
	Listen string `json:"listen"`
	// OpsListen serves /healthz, /readyz, /metrics and the runtime's
	// profiles (/debug/pprof/) over plain HTTP for the data centre's
	// monitoring; keep it on a private address. Empty disables it.
	OpsListen string `json:"ops_listen"`
	// FrontListen is where a long-poll front (lienthong-hub front, package
	// hub/front), run beside the hub on the same machine and
	// configuration, holds agencies' long polls, on UDP and TCP like
	// Listen; clients give it as their poll address. Empty: no front, and
	// the hub holds its long polls itself. FrontMaxPolls bounds the long
	// polls the front holds at once (one more is answered unavailable),
	// and max_in_flight_per_agency those of one client certificate.
	FrontListen   string `json:"front_listen,omitempty"`
	FrontMaxPolls int    `json:"front_max_polls,omitempty"`
	// FrontOpsListen serves the front's /healthz, /readyz (200 while it
	// follows the hub's wake-ups), /metrics and /debug/pprof/ over plain
	// HTTP; keep it on a private address. Empty disables it.
	FrontOpsListen string `json:"front_ops_listen,omitempty"`
	// DataDir holds the store: hub.db and the attachment files, and the
	// running hub's control socket for the operator's commands.
	DataDir string `json:"data_dir"`
	// Store chooses the store: "bolt" (the default: embedded, in data_dir)
	// or "postgres" (PostgreSQL at PostgresURL; data_dir then holds only
	// the control socket).
	Store string `json:"store,omitempty"`
	// PostgresURL is the PostgreSQL connection string (a libpq URL or
	// key=value list) when store is "postgres". Keep the password out of
	// it: in a passfile (PGPASSFILE, passfile=) or a client certificate.
	// With several database nodes, list them all with
	// target_session_attrs=read-write ("host=db1,db2,db3 …"): the hub
	// connects to the primary and refuses to start on a standby. Each
	// connection attempt waits connect_timeout (default 10s here).
	PostgresURL string `json:"postgres_url,omitempty"`
	// LongPollRecheck is, with store "postgres", how often a long poll
	// looks at the store again though no other hub node's notification
	// woke it (a lost listener connection delays a wake-up by at most
	// this). Default 5s.
	LongPollRecheck Duration `json:"long_poll_recheck,omitempty"`
	// TLSCert is the hub's certificate (PEM, chain included) and TLSKey its
	// key; TLSKeyPassphraseFile opens an encrypted key.
	TLSCert              string `json:"tls_cert"`
	TLSKey               string `json:"tls_key"`
	TLSKeyPassphraseFile string `json:"tls_key_passphrase_file,omitempty"`
	// ReceiptCert and ReceiptKey are the hub's receipt-signing identity
	// (`lienthong-certs issue receipt`): one certificate for all the nodes
	// of the hub service, apart from their TLS keys, named by
	// urn:lienthong:receipts:<name>; clients accept receipts from it alone.
	// The key opens with TLSKeyPassphraseFile.
	ReceiptCert string `json:"receipt_cert"`
	ReceiptKey  string `json:"receipt_key"`
	// Roots are the trusted root certificates (PEM): the PKI's own, which
	// issue the hub's, the receipt identity's and the agencies'
	// certificates with their urn:lienthong: names.
	Roots string `json:"roots"`
	// ForeignRoots are PEM files of other CAs' roots (the Government's
	// specialised CA of Ban Cơ yếu, licensed public CAs such as VNPT-CA or
	// Viettel-CA) trusted for agency and person certificates only, never
	// for a hub, a timestamping authority or receipts. Such a certificate
	// stands for an agency once the directory registers its SHA-256
	// (`lienthong-hub agency register`); list the CA's CRLs in CRLs. The
	// hub gives these roots to clerks with its directory.
	ForeignRoots []string `json:"foreign_roots,omitempty"`
	// RegistrationsRefresh is how long a hub node keeps the directory's
	// certificate registrations before reading them again, so how soon a
	// registration made or removed (on any node) counts; zero is 5s.
	RegistrationsRefresh Duration `json:"registrations_refresh,omitzero"`
	// CRLs are revocation lists read at start and every CRLReload.
	CRLs      []string `json:"crls,omitempty"`
	CRLReload Duration `json:"crl_reload"`
	// TSACert and TSAKey enable the RFC 3161 timestamp service; both or
	// neither.
	TSACert string `json:"tsa_cert,omitempty"`
	TSAKey  string `json:"tsa_key,omitempty"`
	// LogKey is the file holding the note signer key that signs the
	// transparency log's checkpoints (make one with `lienthong-hub
	// logkey`); give auditors its verifier key. Empty keeps the log but
	// serves no checkpoint. LogOrigin names the log in its checkpoints.
	LogKey             string   `json:"log_key,omitempty"`
	LogOrigin          string   `json:"log_origin"`
	CheckpointInterval Duration `json:"checkpoint_interval"`
	// AllowSecretDocuments lets agencies send documents marked Mật, Tối
	// mật or Tuyệt mật. Lienthong does not yet encrypt documents from
	// sender to recipient: they travel under TLS but rest on the hub and
	// in the clerks' stores readable by whoever runs those, so the safe
	// default, false, refuses them (secret_not_allowed). Turn it on only
	// where the law on state secrets allows the whole path to carry them.
	AllowSecretDocuments bool `json:"allow_secret_documents"`
	// MaxAttachmentMB bounds one attachment, in MiB.
	MaxAttachmentMB int64 `json:"max_attachment_mb"`
	// AttachmentTypes are the attachment types agencies may send: "pdf",
	// always listed (the main document of every document is a PDF), and
	// any of "docx", "xlsx", "odt" for appendices, each checked by its
	// content (envelope.CheckFile: a ZIP read from its central directory,
	// never inflated; macros, encryption and odd archives refused). An
	// office file carries no signature the hub checks: its report says
	// so. Legacy binary .doc and .xls files, and macro-enabled .docm and
	// .xlsm, are never accepted. A type not listed is refused with
	// invalid_document naming the attachment. The default is ["pdf"].
	AttachmentTypes []string `json:"attachment_types"`
	// RequestsPerSecond and Burst size each agency's token bucket; a
	// request beyond them is answered rate_limited. With store
	// "postgres" the hub nodes share the buckets, so the rate holds for
	// the hub as a whole (each node limits alone while the database does
	// not answer).
	RequestsPerSecond float64 `json:"requests_per_second"`
	Burst             int     `json:"burst"`
	// AgencyLimits override the limits for some agencies, by code; a
	// field left zero keeps the general value.
	AgencyLimits map[string]AgencyLimits `json:"agency_limits,omitempty"`
	// PDFChecks is how many attachment PDFs the hub checks at once, 0 to
	// 256; 0 means one per CPU. Each check may use up to its document's
	// budget of memory (see shared/pades: at most 128 MiB of decoded
	// streams, 32 MiB for files under 2 MiB); submissions beyond wait for
	// a turn while their request lasts.
	PDFChecks int `json:"pdf_checks,omitempty"`
	// MaxInFlight bounds the requests the hub handles at once, long polls
	// included (one more is answered unavailable), and
	// MaxInFlightPerAgency those of one agency (one more is answered
	// rate_limited); both refuse before reading the request's body. Both
	// count per hub node: they protect the node's memory.
	MaxInFlight          int `json:"max_in_flight"`
	MaxInFlightPerAgency int `json:"max_in_flight_per_agency"`
	// A request body is cut when none of it arrives for BodyIdleTimeout,
	// or less than BodyMinRate bytes per second over a BodyRateWindow: a
	// stalled or trickling client cannot hold the hub's memory, while a
	// slow but steady upload passes.
	BodyIdleTimeout Duration `json:"body_idle_timeout"`
	BodyMinRate     int64    `json:"body_min_rate"`
	BodyRateWindow  Duration `json:"body_rate_window"`
	// MaxBodyMemoryMB bounds the request bodies the hub holds in memory
	// at once (signed packets; attachments go to disk), in MiB; past it a
	// request is answered unavailable.
	MaxBodyMemoryMB int64 `json:"max_body_memory_mb"`
	// ShutdownGrace is how long a shutdown waits for uploads in flight.
	ShutdownGrace Duration `json:"shutdown_grace"`
	// SpareProcs lets this many goroutines more run at once than the CPUs
	// the Go runtime sees (GOMAXPROCS), 0 to 64; left out (or null), it
	// is 2 with the bolt store and 0 with postgres. A goroutine waiting in
	// a file system call (fsync, create, rename) keeps its scheduler slot
	// until the runtime notices, and bbolt's committer then waits for a
	// slot behind every request; spare slots let the kernel, which knows
	// who has just finished waiting on the disk, share the CPUs instead.
	// A node on PostgreSQL leaves the waiting on the disk to the database,
	// and spare slots only cost it scheduler work: at 100 documents/s
	// across two nodes, each spent 5.5–5.6 ms of CPU per document without
	// them against 6.1–6.4 ms with them (docs/PERFORMANCE.md). A
	// GOMAXPROCS environment variable overrides it.
	SpareProcs *int `json:"spare_procs"`
	// GCPercent sets the Go collector's GOGC, 10 to 10000; 0 keeps the
	// runtime's 100. A hub holding thousands of long polls has a large,
	// stable heap (about 90 KB per connection) that each collection
	// marks again, which lengthens the latency of the documents passing
	// meanwhile. A higher value lets the heap grow to (1 + GCPercent/100)
	// times the live heap between collections: they come more rarely,
	// but each marks as much and the heap grows into memory the process
	// has not touched yet (with 10,000 idle polls and 100 documents/s,
	// p99 was 15 ms at 400 against 63 ms at 100 on one day, 1.4–3.8 s
	// against 0.55–1.4 s on later ones: docs/PERFORMANCE.md). Pair it with
	// MemoryLimitMB. A GOGC environment variable overrides it.
	GCPercent int `json:"gc_percent"`
	// MemoryLimitMB is the Go runtime's soft memory limit in MiB
	// (GOMEMLIMIT): the collector runs more often as the hub nears it,
	// whatever GCPercent says. 0 means none; set it below the memory the
	// service may use (its systemd MemoryMax, say). A GOMEMLIMIT
	// environment variable overrides it.
	MemoryLimitMB int64 `json:"memory_limit_mb"`
	// GCHeapFloorMB lets the heap grow to this many MiB before the
	// collector runs, whatever GCPercent says (hub/heapfloor); 0 turns it
	// off. A hub node on PostgreSQL keeps about 8 MiB live, so at the
	// runtime's default it collected some thirty times a second at 600
	// documents/s, a fifth of its CPU; with 32 MiB it spent 1.19 ms of
	// CPU per accepted document against 1.71 (docs/PERFORMANCE.md). More
	// is not better: at 256 MiB it spent 1.57 ms, the heap spread over
	// memory the caches no longer hold. A live heap above the floor is
	// collected as GCPercent says. MemoryLimitMB, when set, must be above
	// it, and still bounds the heap.
	GCHeapFloorMB int64 `json:"gc_heap_floor_mb"`
	// LogLevel is debug, info, warn or error. Logs are JSON on stderr.
	LogLevel string `json:"log_level"`

	// Storage: what bounds the disk the attachments take.
	//
	// StorageGCInterval is how often the hub collects what these
	// settings expire. With several hub nodes on one PostgreSQL store,
	// one node at a time collects (service.Hub.Collect).
	StorageGCInterval Duration `json:"storage_gc_interval"`
	// UploadTTL: a partial upload idle this long is removed.
	UploadTTL Duration `json:"upload_ttl"`
	// UnreferencedTTL: an attachment no message carries is removed this
	// long after it was uploaded.
	UnreferencedTTL Duration `json:"unreferenced_ttl"`
	// UploadQuotaMB bounds, per agency, in MiB, its partial uploads (at
	// their declared size) and the attachments it uploaded that no message
	// carries yet; an upload beyond it is answered quota_exceeded. 0 means
	// no quota; otherwise at least the largest attachment an agency may
	// send.
	UploadQuotaMB int64 `json:"upload_quota_mb"`
	// DeliveredRetention: the bytes of an attachment are removed once
	// every message carrying it was settled (each delivery acknowledged,
	// refused or withdrawn) this long ago; a download then answers gone, and the log
	// and receipts keep the proof. "0s", the default, keeps them forever;
	// otherwise at least a day (e.g. "8760h" for a year).
	DeliveredRetention Duration `json:"delivered_retention"`

	// EdXML tunes POST /v1/edxml, where agencies' document systems send
	// edXML packets.
	EdXML EdXML `json:"edxml"`
}

// EdXML tunes the edXML calls.
type EdXML struct {
	// MaxPacketMB bounds one edXML packet, attachments included, in MiB:
	// 1 to 1024 (default 50, a cap common on the national axis).
	MaxPacketMB int64 `json:"max_packet_mb"`
	// RefuseSHA1 refuses packets whose XML signature uses SHA-1; by
	// default they are taken with a warning (RSA-SHA1 is common in
	// circulation).
	RefuseSHA1 bool `json:"refuse_sha1"`
	// MemoryMB bounds, in MiB, the memory the packets being read and
	// verified hold at once, each counted at 8 times its size (its tree
	// and canonical form for the signature check); at least 8 times
	// MaxPacketMB (default 512). A packet past it is answered unavailable
	// with Retry-After.
	MemoryMB int64 `json:"memory_mb"`
}

// Default returns the defaults the documentation lists.
func Default() Config {
	return Config{
		Listen:               "0.0.0.0:4433",
		OpsListen:            "127.0.0.1:9433",
		DataDir:              "/var/lib/lienthong-hub",
		CRLReload:            Duration(10 * time.Minute),
		LogOrigin:            "lienthong-hub/log",
		CheckpointInterval:   Duration(10 * time.Second),
		MaxAttachmentMB:      100,
		AttachmentTypes:      []string{"pdf"},
		RequestsPerSecond:    50,
		Burst:                200,
		MaxInFlight:          8192,
		MaxInFlightPerAgency: 32,
		FrontMaxPolls:        20000,
		BodyIdleTimeout:      Duration(30 * time.Second),
		BodyMinRate:          1 << 10,
		BodyRateWindow:       Duration(time.Minute),
		MaxBodyMemoryMB:      256,
		ShutdownGrace:        Duration(30 * time.Second),
		GCHeapFloorMB:        32,
		LogLevel:             "info",

		LongPollRecheck:   Duration(5 * time.Second),
		StorageGCInterval: Duration(time.Hour),
		UploadTTL:         Duration(24 * time.Hour),
		UnreferencedTTL:   Duration(24 * time.Hour),
		UploadQuotaMB:     2048,
		EdXML:             EdXML{MaxPacketMB: 50, MemoryMB: 512},
	}
}

// Load reads the file at path over the defaults and validates it.
func Load(path string) (Config, error) {
	c := Default()
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	if err := strictjson.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	c.resolve(filepath.Dir(path))
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

func (c *Config) resolve(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	for _, p := range []*string{&c.DataDir, &c.TLSCert, &c.TLSKey, &c.TLSKeyPassphraseFile, &c.ReceiptCert, &c.ReceiptKey, &c.Roots, &c.TSACert, &c.TSAKey, &c.LogKey} {
		abs(p)
	}
	for i := range c.CRLs {
		abs(&c.CRLs[i])
	}
	for i := range c.ForeignRoots {
		abs(&c.ForeignRoots[i])
	}
}

// Validate reports every problem with the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	_, _, err := net.SplitHostPort(c.Listen)
	check(err == nil, "listen %q: want host:port", c.Listen)
	if c.OpsListen != "" {
		_, _, err := net.SplitHostPort(c.OpsListen)
		check(err == nil, "ops_listen %q: want host:port", c.OpsListen)
		check(c.OpsListen != c.Listen || strings.HasSuffix(c.Listen, ":0"), "ops_listen must differ from listen")
	}
	if c.FrontListen != "" {
		_, _, err := net.SplitHostPort(c.FrontListen)
		check(err == nil, "front_listen %q: want host:port", c.FrontListen)
		check((c.FrontListen != c.Listen && c.FrontListen != c.OpsListen) || strings.HasSuffix(c.FrontListen, ":0"), "front_listen must differ from listen and ops_listen")
	}
	if c.FrontOpsListen != "" {
		_, _, err := net.SplitHostPort(c.FrontOpsListen)
		check(err == nil, "front_ops_listen %q: want host:port", c.FrontOpsListen)
		check(!slices.Contains([]string{c.Listen, c.OpsListen, c.FrontListen}, c.FrontOpsListen) || strings.HasSuffix(c.FrontOpsListen, ":0"),
			"front_ops_listen must differ from listen, ops_listen and front_listen")
	}
	check(c.FrontMaxPolls >= 0 && c.FrontMaxPolls <= 1_000_000, "front_max_polls %d: want 0 (the default) to 1000000", c.FrontMaxPolls)
	check(c.DataDir != "", "data_dir is required")
	check(c.Store == "" || c.Store == StoreBolt || c.Store == StorePostgres, "store %q: want %q or %q", c.Store, StoreBolt, StorePostgres)
	check(c.Store != StorePostgres || strings.TrimSpace(c.PostgresURL) != "",
		"store %q needs postgres_url: the database to use, e.g. \"postgres://lienthong@db.example:5432/lienthong\" or \"host=db1,db2 dbname=lienthong user=lienthong target_session_attrs=read-write\"", StorePostgres)
	check(c.Store == StorePostgres || c.PostgresURL == "", "postgres_url is set but store is %q: set store to %q to use PostgreSQL, or remove postgres_url", c.storeName(), StorePostgres)
	check(c.LongPollRecheck.D() >= 100*time.Millisecond && c.LongPollRecheck.D() <= 10*time.Minute, "long_poll_recheck %s: want 100ms to 10m", c.LongPollRecheck.D())
	check(c.TLSCert != "" && c.TLSKey != "", "tls_cert and tls_key are required")
	check(c.ReceiptCert != "" && c.ReceiptKey != "", "receipt_cert and receipt_key are required: the hub signs receipts with its receipt identity, never its TLS key")
	check(c.Roots != "", "roots is required")
	check((c.TSACert == "") == (c.TSAKey == ""), "tsa_cert and tsa_key go together")
	check(c.MaxAttachmentMB >= 1 && c.MaxAttachmentMB <= 4096, "max_attachment_mb %d: want 1 to 4096", c.MaxAttachmentMB)
	_, err = envelope.NewPolicy(c.AttachmentTypes)
	check(err == nil, "attachment_types: %v", err)
	check(c.RequestsPerSecond > 0 && c.Burst >= 1, "requests_per_second and burst must be positive")
	for code, l := range c.AgencyLimits {
		_, err := certs.ParseAgencyCode(code)
		check(err == nil, "agency_limits: %v", err)
		check(l.RequestsPerSecond >= 0 && l.Burst >= 0 && l.MaxAttachmentMB >= 0 && l.MaxAttachmentMB <= 4096 && l.MaxInFlight >= 0,
			"agency_limits %s: limits must be positive (max_attachment_mb at most 4096)", code)
	}
	check(c.MaxInFlight >= 1 && c.MaxInFlightPerAgency >= 1 && c.MaxInFlightPerAgency <= c.MaxInFlight,
		"max_in_flight %d and max_in_flight_per_agency %d: want 1 or more, per agency at most the total", c.MaxInFlight, c.MaxInFlightPerAgency)
	check(c.BodyIdleTimeout.D() >= 100*time.Millisecond && c.BodyIdleTimeout.D() <= 10*time.Minute,
		"body_idle_timeout %s: want 100ms to 10m", c.BodyIdleTimeout.D())
	check(c.BodyRateWindow.D() >= 100*time.Millisecond && c.BodyRateWindow.D() <= 10*time.Minute,
		"body_rate_window %s: want 100ms to 10m", c.BodyRateWindow.D())
	// A minimum rate above a slow line's would cut honest uploads.
	check(c.BodyMinRate >= 1 && c.BodyMinRate <= 64<<10, "body_min_rate %d: want 1 to 65536 bytes per second", c.BodyMinRate)
	check(c.MaxBodyMemoryMB >= 8 && c.MaxBodyMemoryMB <= 65536, "max_body_memory_mb %d: want 8 to 65536", c.MaxBodyMemoryMB)
	check(c.LogOrigin != "" && !strings.ContainsAny(c.LogOrigin, "\n\r"), "log_origin must be one non-empty line")
	check(c.CheckpointInterval.D() >= time.Second, "checkpoint_interval %s: want at least 1s", c.CheckpointInterval.D())
	check(c.CRLReload.D() >= time.Minute, "crl_reload %s: want at least 1m", c.CRLReload.D())
	check(c.ShutdownGrace.D() >= 0 && c.ShutdownGrace.D() <= 10*time.Minute, "shutdown_grace %s: want 0 to 10m", c.ShutdownGrace.D())
	check(c.SpareProcs == nil || (*c.SpareProcs >= 0 && *c.SpareProcs <= 64), "spare_procs %d: want 0 to 64, or null for the store's default", c.Spare())
	check(c.GCPercent == 0 || (c.GCPercent >= 10 && c.GCPercent <= 10000), "gc_percent %d: want 0 (the runtime's default) or 10 to 10000", c.GCPercent)
	check(c.MemoryLimitMB >= 0, "memory_limit_mb %d: want 0 (none) or a size in MiB", c.MemoryLimitMB)
	check(c.GCHeapFloorMB >= 0 && c.GCHeapFloorMB <= 65536, "gc_heap_floor_mb %d: want 0 (none) to 65536", c.GCHeapFloorMB)
	check(c.MemoryLimitMB == 0 || c.GCHeapFloorMB < c.MemoryLimitMB,
		"gc_heap_floor_mb %d: want it below memory_limit_mb %d, or 0", c.GCHeapFloorMB, c.MemoryLimitMB)
	check(c.PDFChecks >= 0 && c.PDFChecks <= 256, "pdf_checks %d: want 0 to 256", c.PDFChecks)
	var lvl slog.Level
	check(lvl.UnmarshalText([]byte(c.LogLevel)) == nil, "log_level %q: want debug, info, warn or error", c.LogLevel)

	check(c.StorageGCInterval.D() >= time.Minute, "storage_gc_interval %s: want at least 1m", c.StorageGCInterval.D())
	check(c.UploadTTL.D() >= time.Hour, "upload_ttl %s: want at least 1h", c.UploadTTL.D())
	check(c.UnreferencedTTL.D() >= time.Hour, "unreferenced_ttl %s: want at least 1h", c.UnreferencedTTL.D())
	largest := c.MaxAttachmentMB
	for _, l := range c.AgencyLimits {
		largest = max(largest, l.MaxAttachmentMB)
	}
	check(c.UploadQuotaMB == 0 || c.UploadQuotaMB >= largest, "upload_quota_mb %d: want 0 (none) or at least the largest max_attachment_mb, %d", c.UploadQuotaMB, largest)
	check(c.DeliveredRetention.D() == 0 || c.DeliveredRetention.D() >= 24*time.Hour, "delivered_retention %s: want 0s (keep) or at least 24h", c.DeliveredRetention.D())
	check(c.EdXML.MaxPacketMB >= 1 && c.EdXML.MaxPacketMB <= 1024, "edxml.max_packet_mb %d: want 1 to 1024", c.EdXML.MaxPacketMB)
	check(c.EdXML.MemoryMB >= 8*c.EdXML.MaxPacketMB && c.EdXML.MemoryMB <= 65536,
		"edxml.memory_mb %d: want 8 times edxml.max_packet_mb (%d) to 65536", c.EdXML.MemoryMB, 8*c.EdXML.MaxPacketMB)
	return errors.Join(errs...)
}

// storeName is the store the configuration names, the default included.
func (c *Config) storeName() string {
	if c.Store == "" {
		return StoreBolt
	}
	return c.Store
}

// AgencyLimits are one agency's own limits.
type AgencyLimits struct {
	RequestsPerSecond float64 `json:"requests_per_second,omitempty"`
	Burst             int     `json:"burst,omitempty"`
	MaxAttachmentMB   int64   `json:"max_attachment_mb,omitempty"`
	MaxInFlight       int     `json:"max_in_flight,omitempty"`
}

// Level is the configured log level.
func (c *Config) Level() slog.Level {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	return lvl
}

// defaultProcs is GOMAXPROCS as the process started: the CPUs the runtime
// may use, or the GOMAXPROCS environment variable.
var defaultProcs = runtime.GOMAXPROCS(0)

// Procs is the GOMAXPROCS the hub runs with: the process's default plus
// Spare, or the GOMAXPROCS environment variable when it is set. The
// default is read once, at start: once the hub sets GOMAXPROCS, the Go
// runtime no longer follows a container's CPU limit if it changes while
// the hub runs.
func (c *Config) Procs() int {
	if os.Getenv("GOMAXPROCS") != "" {
		return defaultProcs
	}
	return defaultProcs + c.Spare()
}

// Spare is the spare scheduler slots in force: SpareProcs, else the
// store's default.
func (c *Config) Spare() int {
	switch {
	case c.SpareProcs != nil:
		return *c.SpareProcs
	case c.storeName() == StorePostgres:
		return 0
	}
	return 2
}

// GC is what the hub sets of the collector: GOGC (0: leave it), the
// soft memory limit in bytes (0: leave it), each 0 when its environment
// variable is set, and the heap floor in bytes (0: none).
func (c *Config) GC() (percent int, limit, floor int64) {
	if os.Getenv("GOGC") == "" {
		percent = c.GCPercent
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		limit = c.MemoryLimitMB << 20
	}
	return percent, limit, c.GCHeapFloorMB << 20
}

// MaxAttachment is the attachment limit in bytes.
func (c *Config) MaxAttachment() int64 { return c.MaxAttachmentMB << 20 }

// AttachmentPolicy is the policy AttachmentTypes describes (PDF only if
// they do not validate).
func (c *Config) AttachmentPolicy() envelope.Policy {
	p, _ := envelope.NewPolicy(c.AttachmentTypes)
	return p
}

// UploadQuota is each agency's upload quota in bytes, 0 for none.
func (c *Config) UploadQuota() int64 { return c.UploadQuotaMB << 20 }

// Duration is a time.Duration written as "30s" or "10m" in JSON.
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "30s", "10m", "1h".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string like \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
