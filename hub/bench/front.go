package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// frontProcess is a long-poll front ("lienthong-hub front") beside the
// hub of an idle run, on the hub's data folder and control socket.
type frontProcess struct {
	*hubProcess
	addr string // where agencies hold their long polls
	ops  string // its /readyz and /debug/pprof/
}

// startFront starts the front of the hub in this process (idle mode) and
// waits until it follows the hub's wake-ups. Its files are dir/front.json
// and dir/front.log.
func (e *env) startFront(ctx context.Context, binary string, opts *Options) (*frontProcess, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	ops, err := freeTCPAddr()
	if err != nil {
		return nil, err
	}
	cfg, err := e.hubConfig(e.dir, "data", e.addr, "")
	if err != nil {
		return nil, err
	}
	cfg.FrontListen, cfg.FrontOpsListen, cfg.FrontMaxPolls = net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), ops, 1_000_000
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(e.dir, "front.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return nil, err
	}
	p, err := startHubProcess(binary, "front", path, filepath.Join(e.dir, "front.log"), opts.HubLog)
	if err != nil {
		return nil, err
	}
	f := &frontProcess{hubProcess: p, addr: cfg.FrontListen, ops: ops}
	if err := p.waitReady(ctx, ops, readyTimeout); err != nil {
		return nil, errors.Join(err, p.stop(stopTimeout))
	}
	return f, nil
}

// memory is the front's heap and goroutine stacks in use after a
// collection, as its heap profile reports them (runtime.MemStats
// HeapAlloc, and StackInuse on its line "Stack = in use / from the
// system").
func (f *frontProcess) memory(ctx context.Context) (heap, stacks uint64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+f.ops+"/debug/pprof/heap?gc=1&debug=1", nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("the front's heap: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("the front's heap: %s", resp.Status)
	}
	var found int
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		name, value, ok := strings.Cut(strings.TrimPrefix(lines.Text(), "# "), " = ")
		if !ok {
			continue
		}
		switch name {
		case "HeapAlloc":
			heap, err = strconv.ParseUint(value, 10, 64)
			found++
		case "Stack": // "StackInuse / StackSys"
			inUse, _, _ := strings.Cut(value, " / ")
			stacks, err = strconv.ParseUint(inUse, 10, 64)
			found++
		}
		if err != nil {
			return 0, 0, fmt.Errorf("the front's heap: %s: %w", name, err)
		}
	}
	if err := lines.Err(); err != nil {
		return 0, 0, fmt.Errorf("the front's heap: %w", err)
	}
	if found != 2 {
		return 0, 0, errors.New("the front's heap profile lacks HeapAlloc or Stack")
	}
	return heap, stacks, nil
}
