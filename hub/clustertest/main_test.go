//go:build linux

package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/bench"
	"lienthong/hub/config"
	"lienthong/internal/buildtest"
	"lienthong/shared/hubclient"
)

// env is what TestMain set up, shared by the tests.
var env struct {
	dir      string // everything: the binary, the PKI, the cluster, the hubs' folders
	script   string // packaging/pgcluster.sh
	cluster  string // the cluster's folder
	hubBin   string
	pki      string
	url      string // the hubs' postgres_url
	apis     [3]int // Patroni's REST API ports of node1..3
	verifier *certs.Verifier
	logKey   string // the log's verifier key
	nodes    [2]*hubNode
}

// The log's origin in the hubs' configurations.
const logOrigin = "lienthong-hub/clustertest"

func TestMain(m *testing.M) {
	code, err := setUp()
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, "clustertest:", err)
	}
	if err := tearDown(); err != nil {
		fmt.Fprintln(os.Stderr, "clustertest: tear down:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// watchdog is a shell that waits on a pipe from this process: when the
// pipe closes (this process ended, however) it stops the cluster and
// removes the folder.
var watchdog struct {
	cmd  *exec.Cmd
	pipe interface{ Close() error }
}

func setUp() (int, error) {
	dir, err := os.MkdirTemp("", "clustertest-")
	if err != nil {
		return 2, err
	}
	env.dir = dir
	// PostgreSQL runs as nobody when the tests run as root: it must
	// reach its folder.
	if err := os.Chmod(dir, 0o755); err != nil {
		return 2, err
	}
	if env.script, err = filepath.Abs("../../packaging/pgcluster.sh"); err != nil {
		return 2, err
	}
	env.cluster = filepath.Join(dir, "pg")
	wd := exec.Command("sh", "-c", `read _; "$0" stop "$1" >/dev/null 2>&1; rm -rf "$2"`, env.script, env.cluster, dir)
	wd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pipe, err := wd.StdinPipe()
	if err != nil {
		return 2, err
	}
	if err := wd.Start(); err != nil {
		return 2, err
	}
	watchdog.cmd, watchdog.pipe = wd, pipe

	if err := buildtest.Build(context.Background(), filepath.Join(dir, "bin"), nil, "lienthong/hub/cmd/lienthong-hub"); err != nil {
		return 2, err
	}
	env.hubBin = filepath.Join(dir, "bin", "lienthong-hub")

	start := time.Now()
	out, err := script("start", env.cluster)
	if err != nil {
		return 2, err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	env.url = lines[len(lines)-1]
	if env.apis, err = restPorts(); err != nil {
		return 2, err
	}
	fmt.Fprintf(os.Stderr, "clustertest: cluster up in %v\n", time.Since(start).Round(100*time.Millisecond))

	env.pki = filepath.Join(dir, "pki")
	if err := certs.Demo(env.pki, certs.ECDSAP256); err != nil {
		return 2, err
	}
	roots, err := certs.ReadCertificates(filepath.Join(env.pki, "ca.crt"))
	if err != nil {
		return 2, err
	}
	if env.verifier, err = certs.NewVerifier(roots); err != nil {
		return 2, err
	}
	if out, err := exec.Command(env.hubBin, "logkey", "--name", "clustertest", "--out", filepath.Join(dir, "log.key")).CombinedOutput(); err != nil {
		return 2, fmt.Errorf("logkey: %w: %s", err, out)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "log.key.pub"))
	if err != nil {
		return 2, err
	}
	env.logKey = strings.TrimSpace(string(pub))

	for i := range env.nodes {
		n, err := newHubNode(i + 1)
		if err != nil {
			return 2, err
		}
		env.nodes[i] = n
	}
	type entry struct {
		Code   string `json:"code"`
		Name   string `json:"name"`
		Active bool   `json:"active"`
	}
	var directory []entry
	for _, a := range certs.DemoAgencies {
		directory = append(directory, entry{string(a.Code), a.Name, true})
	}
	raw, _ := json.Marshal(directory)
	agencies := filepath.Join(dir, "agencies.json")
	if err := os.WriteFile(agencies, raw, 0o600); err != nil {
		return 2, err
	}
	if out, err := exec.Command(env.hubBin, "agency", "import", "--config", env.nodes[0].cfgPath, agencies).CombinedOutput(); err != nil {
		return 2, fmt.Errorf("agency import: %w: %s", err, out)
	}
	for _, n := range env.nodes {
		if err := n.start(); err != nil {
			return 2, err
		}
	}
	return 0, nil
}

func tearDown() error {
	var errs []error
	for _, n := range env.nodes {
		if n != nil {
			n.stop()
		}
	}
	if env.cluster != "" {
		if _, err := script("stop", env.cluster); err != nil {
			errs = append(errs, err)
		}
	}
	if watchdog.cmd != nil {
		watchdog.pipe.Close() // the watchdog stops the stopped cluster again and removes the folder
		if err := watchdog.cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("watchdog: %w", err))
		}
	} else if env.dir != "" {
		os.RemoveAll(env.dir)
	}
	return errors.Join(errs...)
}

// script runs packaging/pgcluster.sh with args and returns its output.
func script(args ...string) (string, error) {
	cmd := exec.Command(env.script, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("pgcluster.sh %s: %w: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out), nil
}

// restPorts reads the Patroni REST API ports from the cluster's
// cluster.env.
func restPorts() ([3]int, error) {
	var ports [3]int
	f, err := os.Open(filepath.Join(env.cluster, "cluster.env"))
	if err != nil {
		return ports, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		for i := range ports {
			if k == fmt.Sprintf("API%d", i+1) {
				ports[i], _ = strconv.Atoi(v)
			}
		}
	}
	for _, p := range ports {
		if p == 0 {
			return ports, fmt.Errorf("cluster.env names no REST API ports")
		}
	}
	return ports, sc.Err()
}

// member is one PostgreSQL node as its Patroni sees it (GET /patroni).
type member struct {
	Name        string
	State       string `json:"state"`
	Role        string `json:"role"`
	Replication []struct {
		Name      string `json:"application_name"`
		State     string `json:"state"`
		SyncState string `json:"sync_state"`
	} `json:"replication"`
}

// members asks each Patroni about its node; a dead one is left out.
func members() []member {
	var ms []member
	c := http.Client{Timeout: 2 * time.Second}
	for i, port := range env.apis {
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/patroni", port))
		if err != nil {
			continue
		}
		m := member{Name: fmt.Sprintf("node%d", i+1)}
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if err == nil {
			ms = append(ms, m)
		}
	}
	return ms
}

// roles returns the running leader and its synchronous standby: the
// standby streaming synchronously that Patroni also records as such in
// etcd (the only one it would promote); "" when there is none or the two
// disagree, as they do for a moment after a standby comes back.
func roles() (leader, sync string) {
	var streaming string
	for _, m := range members() {
		if m.State == "running" && (m.Role == "master" || m.Role == "primary") {
			leader = m.Name
			for _, r := range m.Replication {
				if r.State == "streaming" && r.SyncState == "sync" {
					streaming = r.Name
				}
			}
		}
	}
	var cluster struct {
		Members []struct{ Name, Role string }
	}
	c := http.Client{Timeout: 2 * time.Second}
	for _, port := range env.apis {
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/cluster", port))
		if err != nil {
			continue
		}
		err = json.NewDecoder(resp.Body).Decode(&cluster)
		resp.Body.Close()
		if err == nil {
			break
		}
	}
	for _, m := range cluster.Members {
		if m.Role == "sync_standby" && m.Name == streaming {
			sync = streaming
		}
	}
	return leader, sync
}

// settled waits until the cluster has a leader and a synchronous standby
// (roles) and returns them.
func settled(t *testing.T) (leader, sync string) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if leader, sync = roles(); leader != "" && sync != "" {
			return leader, sync
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leader (%q) with a synchronous standby (%q) for 2 minutes", leader, sync)
		}
	}
}

// healthy fails the test unless the cluster is as TestMain left it: three
// members, a leader and a synchronous standby (waiting for it a while,
// after a test before restored it), and both hub nodes up. It registers
// the restoration of that state when the test ends.
func healthy(t *testing.T) {
	t.Helper()
	if _, err := script("wait", env.cluster); err != nil {
		t.Fatalf("the cluster is not healthy at the start: %v", err)
	}
	for _, n := range env.nodes {
		if n.cmd == nil {
			t.Fatalf("hub node %d is not running at the start", n.num)
		}
	}
	t.Cleanup(func() {
		if _, err := script("start", env.cluster); err != nil {
			t.Errorf("restore the cluster: %v", err)
		}
		for _, n := range env.nodes {
			if n.cmd == nil {
				if err := n.start(); err != nil {
					t.Errorf("restore hub node %d: %v", n.num, err)
				}
			}
		}
	})
}

// powerCut SIGKILLs member's Patroni and PostgreSQL at once and returns
// when it was done: once the script returns, so that no request begun
// after it can have been served by the member.
func powerCut(t *testing.T, member string) time.Time {
	t.Helper()
	if _, err := script("kill", env.cluster, member); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}

// hubNode is one lienthong-hub process.
type hubNode struct {
	num     int
	addr    string
	cfgPath string
	log     string
	cmd     *exec.Cmd
}

func newHubNode(num int) (*hubNode, error) {
	dir := filepath.Join(env.dir, fmt.Sprintf("hub%d", num))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	port, err := bench.FreePort()
	if err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.Listen, cfg.OpsListen, cfg.DataDir = fmt.Sprintf("127.0.0.1:%d", port), "", filepath.Join(dir, "data")
	cfg.Store, cfg.PostgresURL = config.StorePostgres, env.url
	cfg.TLSCert, cfg.TLSKey = filepath.Join(env.pki, "hub.crt"), filepath.Join(env.pki, "hub.key")
	cfg.ReceiptCert, cfg.ReceiptKey = filepath.Join(env.pki, "receipt.crt"), filepath.Join(env.pki, "receipt.key")
	cfg.Roots, cfg.CRLs = filepath.Join(env.pki, "ca.crt"), []string{filepath.Join(env.pki, "ca.crl")}
	cfg.LogKey, cfg.LogOrigin = filepath.Join(env.dir, "log.key"), logOrigin
	cfg.CheckpointInterval = config.Duration(time.Second)
	cfg.ShutdownGrace = config.Duration(5 * time.Second)
	cfg.LongPollRecheck = config.Duration(time.Second)
	cfg.LogLevel = "warn"
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	n := &hubNode{num: num, addr: cfg.Listen, cfgPath: filepath.Join(dir, "hub.json"), log: filepath.Join(dir, "hub.log")}
	return n, os.WriteFile(n.cfgPath, raw, 0o600)
}

// start runs the node and waits until it answers.
func (n *hubNode) start() error {
	logFile, err := os.OpenFile(n.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(env.hubBin, "serve", "--config", n.cfgPath)
	cmd.Stderr = logFile
	// Its own process group, killed with this process whatever happens.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	n.cmd = cmd
	a := certs.DemoAgencies[0]
	base := filepath.Join(env.pki, "agencies", string(a.Code))
	kp, err := certs.LoadKeyPair(base+".crt", base+".key", nil)
	if err != nil {
		return err
	}
	c, err := hubclient.New(n.addr, kp, env.verifier, hubclient.Options{ServerName: "localhost", DisableQUIC: true})
	if err != nil {
		return err
	}
	defer c.Close()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.Hello(ctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			n.stop()
			return fmt.Errorf("hub node %d does not answer: %w; see %s", n.num, err, n.log)
		}
	}
}

// kill SIGKILLs the node.
func (n *hubNode) kill() time.Time {
	at := time.Now()
	_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
	_ = n.cmd.Wait()
	n.cmd = nil
	return at
}

// stop ends the node gracefully, or kills it after 10 s.
func (n *hubNode) stop() {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	n.cmd = nil
}
