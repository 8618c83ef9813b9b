package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"syscall"
	"time"

	"lienthong/hub/bench"
)

const benchUsage = `usage: lienthong-hub bench [flags]

Starts a hub in this process (or targets --hub with the demo PKI in --pki),
simulates agencies sending each other signed PDFs and acknowledging them,
and prints documents per second, MB/s and latency next to the raw QUIC rate
of the same bytes. It also relays the same documents between the same
agencies through a bare QUIC relay that keeps them in memory, without and
with a SHA-256 check at the relay and the recipient: the ceiling of an
exchange of that shape on this machine. With --idle N it instead opens N idle long-polling
connections (from a child process) and prints the hub's memory per
connection.

The file system's state shows in the figures: ext4 without a journal
passes over every inode freed in the last minutes when it creates a file,
so runs one after another in the same folder (each removes thousands of
attachment files) slow down. --dir with a new folder at the top of the
file system (which ext4 spreads over block groups) avoids that.

flags:
`

func (c *cli) bench(args []string) error {
	fs := c.flags("bench")
	fs.Usage = func() {
		fmt.Fprint(c.stderr, benchUsage)
		fs.PrintDefaults()
	}
	var opts bench.Options
	fs.IntVar(&opts.Agencies, "agencies", 4, "simulated agencies (at most 6 with --hub)")
	size := fs.String("size", "10KB", "size of each signed PDF: bytes, or with KB, MB (×1024)")
	fs.IntVar(&opts.Docs, "docs", 200, "documents to send")
	fs.IntVar(&opts.Concurrency, "concurrency", 0, "documents being sent at once (0: 2 × agencies)")
	fs.Float64Var(&opts.Rate, "rate", 0, "documents started per second (0: as fast as concurrency allows)")
	fs.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "bound on the exchange")
	fs.BoolVar(&opts.TCP, "tcp", false, "use HTTP/2 over TCP instead of HTTP/3 over QUIC")
	fs.BoolVar(&opts.AcceptOnly, "accept-only", false, "send without receiving: measure durable acceptance alone")
	fs.StringVar(&opts.Hub, "hub", "", "address of a running hub (default: start one in this process)")
	fs.StringVar(&opts.PKI, "pki", "", "with --hub: the hub's demo PKI folder (lienthong-certs demo)")
	fs.StringVar(&opts.Dir, "dir", "", "folder for the in-process hub's PKI and store (default: temporary)")
	idle := fs.Int("idle", 0, "open this many idle long-polling connections and report the hub's memory per connection")
	idleChild := fs.Bool("idle-child", false, "internal: be the idle clients of --idle, for --hub with --pki")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file: of the exchange alone (not the documents' signing nor the raw measurement); with --idle, of the whole run")
	traceOut := fs.String("trace", "", "write an execution trace of the run (go tool trace) to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file: with --idle taken while the connections are open, else at the end of the run (its alloc_space shows what the run allocated)")
	verbose := fs.Bool("v", false, "log the in-process hub's warnings to stderr")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	n, err := bench.ParseSize(*size)
	if err != nil {
		return usageError("bench: --size: " + err.Error())
	}
	opts.Size = n
	if *verbose {
		opts.Logger = slog.New(slog.NewJSONHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *idleChild {
		return c.idleChild(ctx, opts, *idle)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if *idle > 0 {
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		} else {
			opts.CPUProfile = f
		}
	}
	if *traceOut != "" {
		f, err := os.Create(*traceOut)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	if *idle > 0 {
		if *memProfile != "" {
			f, err := os.Create(*memProfile)
			if err != nil {
				return err
			}
			defer f.Close()
			opts.HeapProfile = f
		}
		res, err := bench.Idle(ctx, opts, *idle, spawnIdle)
		if err != nil {
			return err
		}
		res.Print(c.stdout)
		return nil
	}
	res, err := bench.Run(ctx, opts)
	if err != nil {
		return err
	}
	res.Print(c.stdout)
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		return pprof.Lookup("allocs").WriteTo(f, 0)
	}
	return nil
}

// spawnIdle runs the idle clients as a child process of this binary, so
// that the hub's memory is measured without theirs.
func spawnIdle(ctx context.Context, addr, pkiDir string, n, agencies int) (func() error, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "bench", "--idle-child", "--hub", addr, "--pki", pkiDir,
		"--idle", strconv.Itoa(n), "--agencies", strconv.Itoa(agencies))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		return nil, errors.Join(fmt.Errorf("idle clients did not start (%q)", line), cmd.Wait())
	}
	return func() error {
		stdin.Close() // the child stops when its input ends
		return cmd.Wait()
	}, nil
}

// idleChild is the child side of spawnIdle: it polls until its standard
// input ends.
func (c *cli) idleChild(ctx context.Context, opts bench.Options, n int) error {
	if opts.Hub == "" || opts.PKI == "" || n < 1 {
		return usageError("bench --idle-child needs --hub, --pki and --idle")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	err := bench.IdleClients(ctx, opts.Hub, opts.PKI, n, opts.Agencies, func() { fmt.Fprintln(c.stdout, "ready") })
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
