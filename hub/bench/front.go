package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	ops, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	cfg, err := e.hubConfig(e.dir, "data", e.addr, "")
	if err != nil {
		return nil, err
	}
	cfg.FrontListen, cfg.FrontOpsListen, cfg.FrontMaxPolls = addr, ops, 1_000_000
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

// processMemory is a process's heap and goroutine stacks in use after a
// collection, and its goroutines, as its profiles at ops (/debug/pprof/
// on a hub's or a front's operator's listener) report them: the heap
// profile's runtime.MemStats HeapAlloc, and StackInuse on its line
// "Stack = in use / from the system"; the goroutine profile's total.
func processMemory(ctx context.Context, ops string) (heap, stacks uint64, goroutines int, err error) {
	get := func(path string, line func(string) error) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ops+path, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("the profile at %s: %w", ops, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("the profile at %s%s: %s", ops, path, resp.Status)
		}
		lines := bufio.NewScanner(resp.Body)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			if err := line(lines.Text()); err != nil {
				return err
			}
		}
		return lines.Err()
	}
	var found int
	err = get("/debug/pprof/heap?gc=1&debug=1", func(l string) error {
		name, value, ok := strings.Cut(strings.TrimPrefix(l, "# "), " = ")
		if !ok {
			return nil
		}
		var err error
		switch name {
		case "HeapAlloc":
			heap, err = strconv.ParseUint(value, 10, 64)
			found++
		case "Stack": // "StackInuse / StackSys"
			inUse, _, _ := strings.Cut(value, " / ")
			stacks, err = strconv.ParseUint(inUse, 10, 64)
			found++
		}
		return err
	})
	if err == nil && found != 2 {
		err = fmt.Errorf("the heap profile at %s lacks HeapAlloc or Stack", ops)
	}
	if err != nil {
		return 0, 0, 0, err
	}
	err = get("/debug/pprof/goroutine?debug=1", func(l string) error {
		if n, ok := strings.CutPrefix(l, "goroutine profile: total "); ok {
			goroutines, err = strconv.Atoi(n)
		}
		return err
	})
	return heap, stacks, goroutines, err
}
