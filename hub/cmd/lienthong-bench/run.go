package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"syscall"
	"time"

	"lienthong/hub/bench"
	"lienthong/internal/cli"
)

// benchCmd is the program's one command.
var benchCmd = &cli.Command{
	Summary: "measure the hub under load",
	Help: `Writes a demo PKI and a hub configuration in --dir, starts the hub under test
as a process of its own (lienthong-hub serve, found beside this program, else
on PATH, or named with --hub-binary), simulates agencies in this process that
send each other signed PDFs and acknowledge them, and prints documents per
second, MB/s and latency, and the CPU time of the hub process and of the
agencies per GB and per document, next to the raw QUIC rate of the same
bytes. It also relays the same documents between the same agencies through a
bare QUIC relay that keeps them in memory, without and with a SHA-256 check at
the relay and the recipient: the ceiling of an exchange of that shape on this
machine; and through the checking relay over TLS on TCP, the yardstick for
transfers over HTTP/2. Each relay runs as a process of its own, whose CPU time
per GB the report sets beside the hub's. The hub is stopped at the end (SIGTERM, then SIGKILL after 15 s),
also after an error or Ctrl+C.

With --postgres the hub's store is a fresh database on that PostgreSQL server,
and --nodes N starts N hub processes on it, the agencies spread over them so
that every document crosses from one node to another; the hub's CPU figure is
then the nodes' together, and the server's own is reported beside it when its
postmaster is known (--postgres-pid, or a local socket folder in the
connection string). --postgres-db-exists uses the connection string's own
database instead, which must be empty, for a role that may not create
databases (as on the cluster of packaging/pgcluster.sh).

--warmup N sends N documents first, as the measured ones and at the same rate,
and prints their figures on a line of their own: a hub just started answers
more slowly for its first second or so, and a run of a few thousand documents
would count that transient in its p99.

--in-process runs the hub in this process instead, for profiles (its CPU is
then the agencies' too); --hub targets a running hub with the demo PKI in
--pki. With --idle N it opens N idle long-polling connections (from a child
process, which collects no garbage once they are open, so that its collector
does not take the hub's CPU) to a hub in this process and prints the hub's
memory per connection;
with --rate as well, it then runs an exchange of --docs documents at that rate
between --exchange-agencies other agencies through the same hub while the idle
connections stay open, and prints its latencies. With --front a long-poll front
(lienthong-hub front) holds the long polls, and the hub runs as a process of its
own: the memory is then both processes' heaps, read from their profiles.

The file system's state shows in the figures: ext4 without a journal passes
over every inode freed in the last minutes when it creates a file, so runs
one after another in the same folder (each removes thousands of attachment
files) slow down. --dir with a new folder at the top of the file system
(which ext4 spreads over block groups) avoids that.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		var opts bench.Options
		fs.IntVar(&opts.Agencies, "agencies", 4, "simulated agencies (at most 6 with --hub)")
		size := fs.String("size", "10KB", "`size` of each signed PDF: bytes, or with KB, MB (×1024)")
		fs.IntVar(&opts.Docs, "docs", 200, "documents to send")
		fs.IntVar(&opts.Warmup, "warmup", 0, "documents to send first, as the others and at the same rate, whose figures are printed on a line of their own and counted in no other (a freshly started hub's first second is slower than its steady state)")
		fs.IntVar(&opts.Concurrency, "concurrency", 0, "documents being sent at once (0: 2 × agencies)")
		fs.Float64Var(&opts.Rate, "rate", 0, "documents started per second (0: as fast as concurrency allows)")
		fs.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "bound on the exchange")
		fs.BoolVar(&opts.TCP, "tcp", false, "use HTTP/2 over TCP instead of HTTP/3 over QUIC (with --idle, for the idle connections too)")
		fs.BoolVar(&opts.BulkQUIC, "bulk-quic", false, "send bulk transfers (uploads and downloads of attachments over 256 KiB) over QUIC too, where by default they go over TCP as a clerk's do")
		fs.BoolVar(&opts.AcceptOnly, "accept-only", false, "send without receiving: measure durable acceptance alone")
		fs.BoolVar(&opts.Upload, "upload", false, "upload every PDF before its packet, as hubs before 2026-12-05 required (by default a PDF of at most the hub's max_inline goes with its packet)")
		fs.StringVar(&opts.Dir, "dir", "", "`folder` for the hub's PKI, configuration (hub.json), log (hub.log) and store (default: temporary, removed at the end)")
		fs.BoolVar(&opts.InProcess, "in-process", false, "run the hub in this process instead of as its own (for --cpuprofile; the CPU figure is then hub and agencies together)")
		fs.StringVar(&opts.Postgres, "postgres", "", "put the hub's store on the PostgreSQL server at this connection `string` (URL or key=value), in a database the run creates and drops (its role may create databases)")
		fs.IntVar(&opts.Nodes, "nodes", 1, "with --postgres, start this many hub processes on the database; agency i talks to node i mod N, and documents go between agencies of different nodes")
		fs.Func("postgres-pid", "with --postgres, the server's postmaster `pid` (several, comma-separated: one per machine of a cluster), to report its CPU time and its children's (default: read from the socket's lock file when the connection string names a local socket folder)", func(v string) error {
			for f := range strings.SplitSeq(v, ",") {
				pid, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || pid <= 0 {
					return fmt.Errorf("want process ids, got %q", f)
				}
				opts.PostgresPIDs = append(opts.PostgresPIDs, pid)
			}
			return nil
		})
		fs.BoolVar(&opts.PostgresExisting, "postgres-db-exists", false, "with --postgres, use the connection string's database as is instead of creating one (for a role that may not create databases): it must be empty, and the run drops what its role owns in it at the end")
		fs.StringVar(&opts.HubBinary, "hub-binary", "", "the lienthong-hub executable `file` to run (default: the one beside lienthong-bench, else on PATH)")
		fs.StringVar(&opts.Hub, "hub", "", "`address` of a running hub to target instead of starting one (no hub CPU figure then)")
		fs.StringVar(&opts.PKI, "pki", "", "with --hub: the hub's demo PKI `folder` (lienthong-certs demo)")
		idle := fs.Int("idle", 0, "open this many idle long-polling connections to a hub in this process and report its memory per connection")
		fs.IntVar(&opts.ExchangeAgencies, "exchange-agencies", bench.DefaultExchangeAgencies, "with --idle and --rate, how many agencies besides the idle ones exchange documents while they poll")
		fs.DurationVar(&opts.IdleDeadAfter, "idle-dead-after", 0, "with --idle, the idle clients' dead-connection timeout, a `time` (they ping every third of it; 0: the client's default, a clerk's)")
		fs.BoolVar(&opts.Front, "front", false, "with --idle: have a long-poll front (lienthong-hub front, a process of its own beside the hub) hold the long polls, the idle clients' and the exchange's recipients'")
		idleChild := fs.Bool("idle-child", false, "internal: be the idle clients of --idle, for --hub with --pki")
		relayChild := fs.Bool("relay-child", false, "internal: be a relay the run compares the hub with, for --pki")
		relayCheck := fs.Bool("relay-check", false, "internal: with --relay-child, check each document's SHA-256")
		relayTCP := fs.Bool("relay-tcp", false, "internal: with --relay-child, relay over TLS on TCP instead of QUIC")
		cpuProfile := fs.String("cpuprofile", "", "with --in-process, write a CPU profile to this `file`: of the exchange alone (not the documents' signing nor the raw measurement); with --idle, of the whole run")
		traceOut := fs.String("trace", "", "write an execution trace of this process's run (go tool trace) to this `file`")
		memProfile := fs.String("memprofile", "", "write a heap profile to this `file`: with --idle taken while the connections are open, else (with --in-process) at the end of the run (its alloc_space shows what the run allocated)")
		verbose := fs.Bool("v", false, "copy the hub's warnings and errors to stderr")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			n, err := bench.ParseSize(*size)
			if err != nil {
				return cli.Usagef("--size: %v", err)
			}
			opts.Size = n
			switch {
			case opts.Hub != "" && (opts.InProcess || opts.HubBinary != ""):
				return cli.Usagef("--hub targets a running hub: --in-process and --hub-binary do not apply")
			case (opts.PostgresExisting || len(opts.PostgresPIDs) > 0) && opts.Postgres == "":
				return cli.Usagef("--postgres-db-exists and --postgres-pid go with --postgres")
			case opts.Nodes != 1 && opts.Postgres == "":
				return cli.Usagef("--nodes needs --postgres: several hub nodes share a PostgreSQL database")
			case opts.Nodes > 1 && opts.InProcess:
				return cli.Usagef("--nodes starts hub processes: --in-process does not apply")
			case opts.Front && *idle == 0:
				return cli.Usagef("--front goes with --idle: it holds the idle clients' long polls")
			case *idle == 0 && !opts.InProcess && (*cpuProfile != "" || *memProfile != ""):
				return cli.Hint(cli.Usagef("--cpuprofile and --memprofile show this process only"), "add --in-process to have the hub in it")
			}
			if *verbose {
				opts.Logger = slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
				opts.HubLog = env.Stderr
			}
			ctx, stop := signal.NotifyContext(env.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if *idleChild {
				return idleClients(ctx, opts, *idle, env)
			}
			if *relayChild {
				return relayProcess(ctx, bench.RelaySpec{PKIDir: opts.PKI, Check: *relayCheck, TCP: *relayTCP}, env)
			}
			opts.SpawnRelay = spawnRelay
			p := profiles{cpu: *cpuProfile, trace: *traceOut, mem: *memProfile, idle: *idle > 0}
			err = p.run(&opts, func() error {
				if *idle > 0 {
					res, err := bench.Idle(ctx, opts, *idle, spawnIdle)
					if err != nil {
						return err
					}
					res.Print(env.Stdout)
					return nil
				}
				res, err := bench.Run(ctx, opts)
				if err != nil {
					return err
				}
				res.Print(env.Stdout)
				return nil
			})
			if errors.Is(err, bench.ErrNoHubBinary) {
				return cli.Hint(err, "build it beside this program (make build puts both in bin/), name it with --hub-binary, or run the hub in this process with --in-process")
			}
			return err
		}
	},
}

// profiles are the profiles and trace a run writes.
type profiles struct {
	cpu, trace, mem string
	idle            bool // an idle run: the CPU profile is of all of it, the heap profile taken with the connections open
}

// run runs measure with the profiles asked for: the CPU profile through
// opts (the exchange alone) or around the idle run, the trace around it,
// the heap profile through opts (idle) or after it.
func (p profiles) run(opts *bench.Options, measure func() error) error {
	if p.cpu != "" {
		f, err := os.Create(p.cpu)
		if err != nil {
			return err
		}
		defer f.Close()
		if p.idle {
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		} else {
			opts.CPUProfile = f
		}
	}
	if p.trace != "" {
		f, err := os.Create(p.trace)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	if p.mem != "" && p.idle {
		f, err := os.Create(p.mem)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.HeapProfile = f
	}
	if err := measure(); err != nil {
		return err
	}
	if p.mem != "" && !p.idle {
		f, err := os.Create(p.mem)
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
func spawnIdle(ctx context.Context, spec bench.IdleClientsSpec) (func() error, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"--idle-child", "--hub", spec.Addr, "--pki", spec.PKIDir,
		"--idle", strconv.Itoa(spec.N), "--agencies", strconv.Itoa(spec.Agencies), "--idle-dead-after", spec.DeadAfter.String()}
	if spec.TCP {
		args = append(args, "--tcp")
	}
	if spec.Front {
		args = append(args, "--front")
	}
	cmd := exec.CommandContext(ctx, exe, args...)
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

// idleClients is the child side of spawnIdle: it polls until its standard
// input ends. Its clients stand in for thousands of machines elsewhere:
// once they are connected it stops collecting garbage (quiet, they
// allocate little), so that its collector, marking a heap as large as the
// hub's, does not take the CPU that the hub is measured on.
func idleClients(ctx context.Context, opts bench.Options, n int, env *cli.Env) error {
	if opts.Hub == "" || opts.PKI == "" || n < 1 {
		return cli.Usagef("--idle-child needs --hub, --pki and --idle")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, env.Stdin)
		cancel()
	}()
	spec := bench.IdleClientsSpec{Addr: opts.Hub, PKIDir: opts.PKI, N: n, Agencies: opts.Agencies, DeadAfter: opts.IdleDeadAfter, TCP: opts.TCP, Front: opts.Front}
	err := bench.IdleClients(ctx, spec, func() {
		stopCollecting()
		fmt.Fprintln(env.Stdout, "ready")
	})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// stopCollecting collects the garbage once, then no more until the
// process holds twice what it holds now (a soft memory limit).
func stopCollecting() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	debug.SetMemoryLimit(int64(2 * ms.Sys))
	debug.SetGCPercent(-1)
}

// spawnRelay runs a relay of the run (bench.RawRelay's, or with spec.TCP
// bench.RawTCPRelay's) as a child process of this binary, so that its CPU
// time is read apart from the agencies'. It stops when its standard input
// ends.
func spawnRelay(ctx context.Context, spec bench.RelaySpec) (bench.RelayProc, func() error, error) {
	exe, err := os.Executable()
	if err != nil {
		return bench.RelayProc{}, nil, err
	}
	args := []string{"--relay-child", "--pki", spec.PKIDir}
	if spec.Check {
		args = append(args, "--relay-check")
	}
	if spec.TCP {
		args = append(args, "--relay-tcp")
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = os.Stderr
	if spec.Procs > 0 {
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(spec.Procs))
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return bench.RelayProc{}, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return bench.RelayProc{}, nil, err
	}
	if err := cmd.Start(); err != nil {
		return bench.RelayProc{}, nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		_ = cmd.Process.Kill()
		return bench.RelayProc{}, nil, errors.Join(fmt.Errorf("the relay did not start (%q)", line), cmd.Wait())
	}
	return bench.RelayProc{Addr: addr, PID: cmd.Process.Pid}, func() error {
		stdin.Close()
		return cmd.Wait()
	}, nil
}

// relayProcess is the child side of spawnRelay: it relays as spec says
// until its standard input ends.
func relayProcess(ctx context.Context, spec bench.RelaySpec, env *cli.Env) error {
	if spec.PKIDir == "" {
		return cli.Usagef("--relay-child needs --pki")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, env.Stdin)
		cancel()
	}()
	return bench.RelayServe(ctx, spec, func(addr string) {
		fmt.Fprintln(env.Stdout, "listening", addr)
	})
}
