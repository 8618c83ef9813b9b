package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/bench"
	"lienthong/hub/config"
	"lienthong/hub/control"
	"lienthong/hub/service"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
	"lienthong/hub/store/pgstore"
	"lienthong/hub/store/pgstore/pgtest"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// hubConfigEnv, when set, makes the test binary the hub: it runs
// lienthong/hub/service with the configuration file it names until it is
// killed.
const hubConfigEnv = "LIENTHONG_CRASHTEST_HUB_CONFIG"

// cluster is the PostgreSQL cluster of the test on PostgreSQL, started
// once for the package.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	if path := os.Getenv(hubConfigEnv); path != "" {
		os.Exit(runHub(path))
	}
	pgtest.Main(m, func(url string) error { return pgstore.Migrate(context.Background(), url) }, func(c *pgtest.Cluster) { cluster = c })
}

// runHub is the child: the hub as an operator runs it, with the demo
// agencies in its directory. It prints "ready" once it listens.
func runHub(path string) int {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hub:", err)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	h, err := service.Open(cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hub:", err)
		return 2
	}
	for _, a := range certs.DemoAgencies {
		parent, _ := a.Code.Parent()
		if _, err := h.Store().UpsertAgency(context.Background(), &store.Agency{
			Code: a.Code, Name: a.Name, Parent: parent, Level: a.Code.Level(), Active: true,
		}, time.Now()); err != nil {
			fmt.Fprintln(os.Stderr, "hub:", err)
			return 2
		}
	}
	fmt.Println("ready")
	if err := h.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "hub:", err)
		return 1
	}
	return 0
}

// hubProcess is the hub child process.
type hubProcess struct {
	t       *testing.T
	cfgPath string
	cmd     *exec.Cmd
}

func (h *hubProcess) start() {
	h.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), hubConfigEnv+"="+h.cfgPath)
	logFile, err := os.OpenFile(h.cfgPath+".log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		h.t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stderr = logFile // the hub's log, kept beside its configuration
	out, err := cmd.StdoutPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		log, _ := os.ReadFile(h.cfgPath + ".log")
		if len(log) > 4000 {
			log = log[len(log)-4000:]
		}
		h.t.Fatalf("hub did not start: %q %v; its log ends:\n%s", line, err, log)
	}
	h.cmd = cmd
}

func (h *hubProcess) kill() {
	h.t.Helper()
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		h.t.Fatal(err)
	}
	_ = h.cmd.Wait()
	h.cmd = nil
}

// stop ends the hub gracefully.
func (h *hubProcess) stop() {
	if h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = h.cmd.Process.Kill()
		<-done
	}
	h.cmd = nil
}

// freePort is bench.FreePort for a test.
func freePort(t *testing.T) int {
	t.Helper()
	port, err := bench.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// ledger is what the agencies saw, for the final checks.
type ledger struct {
	mu sync.Mutex
	// ok: documents whose Submit was answered, with their recipients.
	ok   map[string][]string
	from map[string]string // sender of each answered document
	// submitted: every message id ever submitted.
	submitted map[string]bool
	// stored: per recipient, the documents it stored and acknowledged
	// (ack answered); first: how many acks of each the hub answered as
	// the first; uncertain: documents for which an ack attempt failed, so
	// that the first may have been lost on the way back.
	stored    map[string]map[string]int
	first     map[string]map[string]int
	uncertain map[string]map[string]bool
	// problems found on the way.
	problems []string
}

func (l *ledger) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.problems) < 50 {
		l.problems = append(l.problems, fmt.Sprintf(format, args...))
	}
}

// agency is a simulated agency with its connection to the hub.
type agency struct {
	demo     certs.DemoAgency
	kp       *certs.KeyPair
	addr     string
	verifier *certs.Verifier
	tcp      bool

	mu         sync.Mutex
	client     *hubclient.Client
	reconnects int // after a timed-out request
}

func (a *agency) cl() *hubclient.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.client
}

// reconnect replaces the client old (nil: none yet) with a new one,
// unless another goroutine already did.
//
// A QUIC client whose hub was killed keeps sending into the dead
// connection until its idle timeout (90 s): the restarted hub does not
// answer the old connection's packets with a stateless reset. The test
// reconnects after a request times out, as a sync engine would; see the
// report of this package's author for the fix in hub/server.
func (a *agency) reconnect(old *hubclient.Client) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.client != old {
		return
	}
	if old != nil {
		old.Close()
		a.reconnects++
	}
	c, err := hubclient.New(a.addr, a.kp, a.verifier, hubclient.Options{
		ServerName: "localhost", DisableQUIC: a.tcp, QUICHandshakeTimeout: time.Second, RetryQUICAfter: time.Second,
	})
	if err != nil {
		panic(err) // only a malformed address fails here
	}
	a.client = c
}

func (a *agency) close() { a.cl().Close() }

// attemptTimeout bounds one request; the hub answers within milliseconds
// when it is up.
const attemptTimeout = 3 * time.Second

// retry calls fn until it succeeds or ctx ends: the hub may be down. Each
// attempt has its own deadline; a timed-out attempt reconnects.
func (a *agency) retry(ctx context.Context, fn func(ctx context.Context, c *hubclient.Client) error) error {
	for {
		c := a.cl()
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := fn(actx, c)
		timedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			return nil
		}
		if timedOut {
			a.reconnect(c)
		}
		code := wire.CodeOf(err)
		if code != "" && code != wire.CodeInternal && code != wire.CodeUnavailable && !code.Retryable() {
			return err // an answer, not an outage
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestCrash kills the hub with SIGKILL at random moments while agencies
// exchange documents, restarts it on the same folder and port, and checks
// that nothing acknowledged is lost or delivered twice and that no
// half-written file stays behind.
//
// It runs on each store backend: on PostgreSQL the killed hub also drops
// its connections in the middle of transactions and of a batch of log
// appends holding the log's lock.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test takes about half a minute")
	}
	t.Run("bolt", func(t *testing.T) { crash(t, "") })
	t.Run("postgres", func(t *testing.T) { crash(t, cluster.NewDatabase(t)) })
}

// crash runs the crash test on bbolt, or on the PostgreSQL database at
// pgURL when it is not empty.
func crash(t *testing.T, pgURL string) {
	const kills = 6
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	if err := certs.Demo(pkiDir, certs.ECDSAP256); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Listen, cfg.OpsListen, cfg.DataDir = fmt.Sprintf("127.0.0.1:%d", freePort(t)), "", filepath.Join(dir, "data")
	cfg.TLSCert, cfg.TLSKey = filepath.Join(pkiDir, "hub.crt"), filepath.Join(pkiDir, "hub.key")
	cfg.ReceiptCert, cfg.ReceiptKey = filepath.Join(pkiDir, "receipt.crt"), filepath.Join(pkiDir, "receipt.key")
	cfg.Roots, cfg.CRLs = filepath.Join(pkiDir, "ca.crt"), []string{filepath.Join(pkiDir, "ca.crl")}
	cfg.ShutdownGrace = config.Duration(5 * time.Second)
	cfg.LogLevel = "error"
	if pgURL != "" {
		cfg.Store, cfg.PostgresURL = config.StorePostgres, pgURL
	}
	raw, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(dir, "hub.json")
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	hub := &hubProcess{t: t, cfgPath: cfgPath}
	hub.start()
	t.Cleanup(hub.stop)

	roots, err := certs.ReadCertificates(cfg.Roots)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := certs.NewVerifier(roots)
	if err != nil {
		t.Fatal(err)
	}
	var agencies []*agency
	for i, a := range certs.DemoAgencies {
		base := filepath.Join(pkiDir, "agencies", string(a.Code))
		kp, err := certs.LoadKeyPair(base+".crt", base+".key", nil)
		if err != nil {
			t.Fatal(err)
		}
		// Half the agencies use QUIC, half the TCP fallback throughout.
		ag := &agency{demo: a, kp: kp, addr: cfg.Listen, verifier: verifier, tcp: i%2 == 1}
		ag.reconnect(nil)
		t.Cleanup(ag.close)
		agencies = append(agencies, ag)
	}

	led := &ledger{ok: map[string][]string{}, from: map[string]string{}, submitted: map[string]bool{},
		stored: map[string]map[string]int{}, first: map[string]map[string]int{}, uncertain: map[string]map[string]bool{}}
	for _, a := range agencies {
		code := string(a.demo.Code)
		led.stored[code], led.first[code], led.uncertain[code] = map[string]int{}, map[string]int{}, map[string]bool{}
	}
	testCtx, cancelAll := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelAll()
	sendCtx, stopSending := context.WithCancel(testCtx)
	recvCtx, stopReceiving := context.WithCancel(testCtx)

	// Senders: the first three agencies each send documents to two others.
	var senders sync.WaitGroup
	for i, a := range agencies[:3] {
		senders.Add(1)
		go func() {
			defer senders.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for n := 1; sendCtx.Err() == nil; n++ {
				var to []*agency
				for _, j := range rng.Perm(len(agencies)) {
					if agencies[j] != a && len(to) < 2 {
						to = append(to, agencies[j])
					}
				}
				id := envelope.NewMessageID()
				pdf, err := bench.SignedPDF(testCtx, a.kp, "crash "+id, 6<<10+int64(rng.IntN(40<<10)))
				if err != nil {
					led.problem("make pdf: %v", err)
					return
				}
				sum := sha256.Sum256(pdf)
				digest := hex.EncodeToString(sum[:])
				meta := &document.Metadata{
					Version:    document.SchemaVersion,
					From:       document.Organ{Code: a.demo.Code, Name: a.demo.Name},
					CodeNumber: strconv.Itoa(i*100000 + n), CodeNotation: "VP", Type: document.TypeCongVan,
					Promulgation: document.Promulgation{Place: "Hà Nội", Date: document.DateOf(time.Now())},
					Subject:      "Về việc kiểm thử khả năng chịu lỗi của Trục",
					Signer:       document.Signer{Position: "CHÁNH VĂN PHÒNG", FullName: "Nguyễn Văn Bền"},
				}
				var rcpts []string
				for _, r := range to {
					meta.To = append(meta.To, document.Recipient{Code: r.demo.Code, Name: r.demo.Name})
					rcpts = append(rcpts, string(r.demo.Code))
				}
				payload, _ := json.Marshal(&envelope.Document{
					Kind: envelope.KindDocument, MessageID: id, Created: time.Now(), Metadata: meta,
					Attachments: []envelope.Attachment{{Name: "cong-van.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: digest}},
				})
				packet, err := envelope.Seal(payload, a.kp)
				if err != nil {
					led.problem("seal: %v", err)
					return
				}
				led.mu.Lock()
				led.submitted[id] = true
				led.mu.Unlock()
				// Once begun, a document is pushed through until the hub
				// answers, whatever the outages: stopping halfway would
				// leave its fate unknown.
				err = a.retry(testCtx, func(ctx context.Context, c *hubclient.Client) error {
					return c.Upload(ctx, digest, bytes.NewReader(pdf), int64(len(pdf)), 16<<10, nil)
				})
				if err == nil {
					err = a.retry(testCtx, func(ctx context.Context, c *hubclient.Client) error {
						_, err := c.Submit(ctx, packet)
						return err
					})
				}
				if err != nil {
					led.problem("send %s: %v", id, err)
					return
				}
				led.mu.Lock()
				led.ok[id] = rcpts
				led.from[id] = string(a.demo.Code)
				led.mu.Unlock()
			}
		}()
	}

	// Receivers: every agency stores (here: downloads and checks) what
	// arrives, then acknowledges.
	var receivers sync.WaitGroup
	for _, a := range agencies {
		receivers.Add(1)
		go func() {
			defer receivers.Done()
			me := string(a.demo.Code)
			for recvCtx.Err() == nil {
				var in *wire.Inbox
				err := a.retry(recvCtx, func(ctx context.Context, c *hubclient.Client) (err error) {
					in, err = c.Inbox(ctx, 0, time.Second) // from the start: an acknowledged document must never come back
					return err
				})
				if err != nil {
					if recvCtx.Err() == nil {
						led.problem("%s: inbox: %v", me, err)
					}
					return
				}
				for _, item := range in.Items {
					led.mu.Lock()
					seen := led.stored[me][item.MessageID]
					led.mu.Unlock()
					if seen > 0 {
						led.problem("%s: %s listed again after it was acknowledged", me, item.MessageID)
						continue
					}
					d, _, err := envelope.OpenDocument(item.Packet, verifier, 0)
					if err != nil {
						led.problem("%s: packet %s: %v", me, item.MessageID, err)
						continue
					}
					for _, att := range d.Attachments {
						var buf bytes.Buffer
						err := a.retry(recvCtx, func(ctx context.Context, c *hubclient.Client) error {
							buf.Reset()
							_, err := c.Download(ctx, item.MessageID, att.SHA256, 0, &buf)
							return err
						})
						if err != nil {
							return // stopping
						}
						if sum := sha256.Sum256(buf.Bytes()); hex.EncodeToString(sum[:]) != att.SHA256 {
							led.problem("%s: attachment of %s does not match its digest", me, item.MessageID)
						}
					}
					var first, uncertain bool
					err = a.retry(recvCtx, func(ctx context.Context, c *hubclient.Client) error {
						res, err := c.Ack(ctx, item.MessageID)
						switch {
						case err != nil:
							uncertain = true
						case !a.tcp && c.Transport() == "h2":
							// The client lost QUIC on the way and sent the
							// ack again over TCP by itself: the first may
							// have been the one the hub took.
							uncertain = true
							first = first || !res.Existed
						case !res.Existed:
							first = true
						}
						return err
					})
					if err != nil {
						return
					}
					led.mu.Lock()
					led.stored[me][item.MessageID]++
					if first {
						led.first[me][item.MessageID]++
					}
					if uncertain {
						led.uncertain[me][item.MessageID] = true
					}
					led.mu.Unlock()
				}
			}
		}()
	}

	// The killer.
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	answered := func() int {
		led.mu.Lock()
		defer led.mu.Unlock()
		return len(led.ok)
	}
	for k := range kills {
		// A kill at a random moment, but only once the hub has answered
		// documents since it started: on a loaded machine a restarted
		// hub may take seconds to serve, and kills on a clock alone then
		// hit a hub that takes nothing (the bound is against a hang).
		for from, until := answered(), time.Now().Add(3*time.Minute); answered() < from+3 && time.Now().Before(until); {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Duration(300+rng.IntN(1500)) * time.Millisecond)
		hub.kill()
		leftovers := checkFiles(t, cfg.DataDir, nil)
		hub.start()
		checkFiles(t, cfg.DataDir, leftovers)
		t.Logf("kill %d: %d documents answered so far", k+1, answered())
	}
	time.Sleep(500 * time.Millisecond)
	stopSending()
	senders.Wait()

	// Wait for every answered document to reach every recipient.
	deadline := time.Now().Add(3 * time.Minute) // against a hang, on a loaded machine
	for {
		missing := 0
		led.mu.Lock()
		for id, rcpts := range led.ok {
			for _, r := range rcpts {
				if led.stored[r][id] == 0 {
					missing++
				}
			}
		}
		led.mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d deliveries of answered documents still missing", missing)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopReceiving()
	receivers.Wait()

	led.mu.Lock()
	defer led.mu.Unlock()
	for _, p := range led.problems {
		t.Error(p)
	}
	if len(led.ok) < 20 {
		t.Errorf("only %d documents went through: the test exercised too little", len(led.ok))
	}
	for id, rcpts := range led.ok {
		for _, r := range rcpts {
			if n := led.stored[r][id]; n != 1 {
				t.Errorf("%s stored %s %d times", r, id, n)
			}
			// Exactly once in effect: at most one ack answered as the
			// first, and none only when an attempt's answer was lost.
			if n := led.first[r][id]; n > 1 || (n == 0 && !led.uncertain[r][id]) {
				t.Errorf("the hub answered %d acknowledgements of %s by %s as the first", n, id, r)
			}
		}
	}
	for r, docs := range led.stored {
		for id := range docs {
			if !led.submitted[id] {
				t.Errorf("%s received %s, which nobody sent", r, id)
			}
		}
	}
	// The sender's view through the API agrees.
	for _, a := range agencies[:3] {
		acked := map[string]int{}
		var after uint64
		for {
			var sent *wire.Sent
			err := a.retry(testCtx, func(ctx context.Context, c *hubclient.Client) (err error) {
				sent, err = c.Sent(ctx, after)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range sent.Items {
				for _, rs := range it.Recipients {
					if rs.Delivery == "acked" {
						acked[it.MessageID]++
					}
				}
			}
			if len(sent.Items) == 0 || sent.Next == after {
				break
			}
			after = sent.Next
		}
		for id, rcpts := range led.ok {
			if led.from[id] == string(a.demo.Code) && acked[id] != len(rcpts) {
				t.Errorf("sent list of %s: %s acknowledged by %d of %d recipients", a.demo.Code, id, acked[id], len(rcpts))
			}
		}
	}
	reconnects := map[string]int{}
	for _, a := range agencies {
		a.mu.Lock()
		transport := "h3"
		if a.tcp {
			transport = "h2"
		}
		reconnects[transport] += a.reconnects
		a.mu.Unlock()
	}
	t.Logf("%d documents answered (%d submitted) across %d kills; reconnects after a timed-out request: %v",
		len(led.ok), len(led.submitted), kills, reconnects)

	// Finally the store's own invariants, with the hub stopped.
	hub.stop()
	if tmp := checkFiles(t, cfg.DataDir, nil); len(tmp) > 0 {
		t.Errorf("temporary files remain once every upload has finished: %v", tmp)
	}
	var verify func(context.Context) error
	if pgURL != "" {
		st, err := pgstore.Open(context.Background(), pgURL, pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		verify = st.Verify
	} else {
		st, err := boltstore.Open(cfg.DataDir, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		verify = st.Verify
	}
	if err := verify(context.Background()); err != nil {
		t.Errorf("store invariants: %v", err)
	}
}

// checkFiles walks the hub's data folder: every attachment file must hold
// exactly the bytes its name (a SHA-256) promises, and apart from the
// database and resumable upload parts nothing else may be there. It
// returns the temporary files in tmp/: right after a kill they are what
// the killed hub left, which the hub removes when it opens the store, so
// none of leftovers may remain (uploads in flight make new ones).
func checkFiles(t *testing.T, dir string, leftovers map[string]bool) map[string]bool {
	t.Helper()
	tmp := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch rel {
			case ".", "blobs", "blobs/objects", "blobs/uploads", "blobs/tmp":
				return nil
			case "edxml-tmp": // attachments of edXML packets being checked: this load sends none, so any file in it is unexpected
				return nil
			}
			t.Errorf("unexpected folder %s in the data folder", rel)
			return filepath.SkipDir
		}
		switch {
		case rel == boltstore.DBFile:
		case rel == control.SocketName && d.Type() == fs.ModeSocket: // a killed hub's, replaced by the next
		case strings.HasPrefix(rel, "blobs/uploads/") && strings.HasSuffix(rel, ".part"):
		case strings.HasPrefix(rel, "blobs/tmp/"):
			tmp[rel] = true
			if leftovers[rel] {
				t.Errorf("temporary file %s of the killed hub remains after the hub opened its store", rel)
			}
		case strings.HasPrefix(rel, "blobs/objects/"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			if hex.EncodeToString(sum[:]) != filepath.Base(path) {
				t.Errorf("attachment file %s holds bytes of another digest: half-written", rel)
			}
		default:
			t.Errorf("unexpected file %s in the data folder", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tmp
}
