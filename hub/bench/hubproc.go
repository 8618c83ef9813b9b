package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"lienthong/hub/config"
	"lienthong/hub/control"
)

// HubBinaryName is the hub's executable, which a run starts unless it
// runs the hub in its own process.
const HubBinaryName = "lienthong-hub"

// ErrNoHubBinary means that the hub's executable was not found, or cannot
// be run.
var ErrNoHubBinary = errors.New("no " + HubBinaryName + " executable")

// The hub process is given readyTimeout to answer on /readyz, and
// stopTimeout after SIGTERM to end (its shutdown grace is 5 s) before it
// is killed.
const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 15 * time.Second
)

// hubBinary returns the hub executable a run starts: path when given,
// else FindHubBinary's.
func hubBinary(path string) (string, error) {
	if path == "" {
		return FindHubBinary()
	}
	if err := executable(path); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoHubBinary, err)
	}
	return path, nil
}

// FindHubBinary returns the hub executable beside this program's own, or
// else the first on PATH.
func FindHubBinary() (string, error) {
	self, err := os.Executable()
	if err != nil {
		self = ""
	}
	return findHubBinary(self, exec.LookPath)
}

func findHubBinary(self string, lookPath func(string) (string, error)) (string, error) {
	if self != "" {
		p := filepath.Join(filepath.Dir(self), HubBinaryName)
		if executable(p) == nil {
			return p, nil
		}
	}
	if p, err := lookPath(HubBinaryName); err == nil {
		return p, nil
	}
	where := "on PATH"
	if self != "" {
		where = "beside " + self + " nor on PATH"
	}
	return "", fmt.Errorf("%w %s", ErrNoHubBinary, where)
}

// executable reports why path cannot be run, or nil.
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// startProcess starts the hub's nodes as processes of their own (one,
// or opts.Nodes on PostgreSQL), waits until each is ready, and enters the
// agencies in the directory through the first node's control socket (the
// nodes share their store). It then gives each agency its node's
// address: agency i talks to node i mod Nodes.
func (e *env) startProcess(ctx context.Context, dir, binary string, opts *Options) error {
	e.stop = func() error {
		e.closeClients()
		var errs []error
		for _, p := range e.nodes {
			errs = append(errs, p.stop(stopTimeout))
		}
		return errors.Join(errs...)
	}
	var first config.Config
	for k := range max(opts.Nodes, 1) {
		cfg, ops, err := e.startNode(ctx, dir, binary, k, opts)
		if err != nil {
			return errors.Join(err, e.stop())
		}
		if k == 0 {
			first = cfg
			e.hubProcs = cfg.Procs() // what the hub sets, from the same environment
			e.addr, e.opsAddr = cfg.Listen, ops
		}
		e.nodeAddrs = append(e.nodeAddrs, cfg.Listen)
	}
	err := func() error {
		cl, err := control.Dial(ctx, first.DataDir)
		if err != nil {
			return err
		}
		defer cl.Close()
		return e.register(ctx, cl)
	}()
	if err != nil {
		return errors.Join(fmt.Errorf("hub process: %w", err), e.stop())
	}
	return nil
}

// startNode writes the configuration of node k (0 for the first) and
// starts "lienthong-hub serve" on it: the first node's files are
// dir/hub.json, dir/hub.log and dir/data, node k's dir/hub<k+1>.json and
// so on. The node's log goes to opts.HubLog too when set. It returns the
// configuration and the node's /metrics address once it is ready.
func (e *env) startNode(ctx context.Context, dir, binary string, k int, opts *Options) (config.Config, string, error) {
	addr, err := FreeAddr()
	if err != nil {
		return config.Config{}, "", err
	}
	ops, err := FreeAddr()
	if err != nil {
		return config.Config{}, "", err
	}
	suffix := ""
	if k > 0 {
		suffix = strconv.Itoa(k + 1)
	}
	cfg, err := e.hubConfig(dir, "data"+suffix, addr, ops)
	if err != nil {
		return cfg, "", err
	}
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return cfg, "", err
	}
	cfgPath := filepath.Join(dir, "hub"+suffix+".json")
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		return cfg, "", err
	}
	p, err := startHubProcess(binary, "serve", cfgPath, filepath.Join(dir, "hub"+suffix+".log"), opts.HubLog)
	if err != nil {
		return cfg, "", err
	}
	e.nodes = append(e.nodes, p)
	if err := p.waitReady(ctx, ops, readyTimeout); err != nil {
		return cfg, "", err
	}
	return cfg, ops, nil
}

// hubProcess is a running "lienthong-hub serve".
type hubProcess struct {
	cmd     *exec.Cmd
	what    string // "the hub", or "the front": what its errors call it
	logPath string
	exited  chan struct{} // closed once it has ended and waitErr is set
	waitErr error
}

// startHubProcess starts the binary's command (serve, or front) on the
// configuration cfgPath, with its log (stderr and stdout) appended to logPath and copied to also when not
// nil.
//
// The hub gets a process group of its own, so that a Ctrl+C at the
// terminal reaches only this process, which then stops the hub in order;
// on Linux the kernel also sends it SIGTERM if this process dies first.
func startHubProcess(binary, command, cfgPath, logPath string, also io.Writer) (*hubProcess, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	var out io.Writer = logFile
	if also != nil {
		out = io.MultiWriter(logFile, also)
	}
	cmd := exec.Command(binary, command, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = hubProcAttr()
	what := "the hub"
	if command == "front" {
		what = "the front"
	}
	p := &hubProcess{cmd: cmd, what: what, logPath: logPath, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal follows the thread that started the
		// child, not the process: this goroutine keeps its thread until
		// the child has ended.
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			p.waitErr = cmd.Wait()
		}
		logFile.Close()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	return p, nil
}

// waitReady waits until the hub answers 200 on /readyz at its ops
// address, and fails at once if it ends first.
func (p *hubProcess) waitReady(ctx context.Context, ops string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready(ctx, ops) {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s ended before it was ready (%v)%s", p.what, p.waitErr, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer on http://%s/readyz: %w%s", p.what, ops, ctx.Err(), p.logTail())
		case <-tick.C:
		}
	}
}

func ready(ctx context.Context, ops string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ops+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop ends the hub gracefully: SIGTERM, then SIGKILL if it is still
// running after timeout. A hub that ended before it was asked to, or
// ended in error, is reported.
func (p *hubProcess) stop(timeout time.Duration) error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s process ended during the run (%v)%s", p.what, p.waitErr, p.logTail())
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", p.what, err)
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return fmt.Errorf("%s process: %w%s", p.what, p.waitErr, p.logTail())
		}
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within %v of SIGTERM and was killed%s", p.what, timeout, p.logTail())
	}
}

// cpu is the CPU time the hub process has used so far.
func (p *hubProcess) cpu() (time.Duration, error) { return pidCPU(p.cmd.Process.Pid) }

// logTail returns the end of the hub's log, to go after an error.
func (p *hubProcess) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil || len(b) == 0 {
		return ""
	}
	const keep = 2000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return "; its log (" + p.logPath + ") ends:\n" + string(b)
}
