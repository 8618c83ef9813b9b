package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"lienthong/certs"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// MaxIdle bounds the idle connections of one measurement (each is a UDP
// socket in the clients' process).
const MaxIdle = 10000

// IdleResult is the hub's memory before and after idle connections.
type IdleResult struct {
	Conns int
	// InProcessClients is set when the clients ran in the hub's process
	// (no Spawner): the figures then include the clients' memory too.
	InProcessClients bool
	// Transport is the idle clients' transport: "h3" (HTTP/3 over QUIC)
	// or "h2" (HTTP/2 over TCP).
	Transport string
	// Front is set when a long-poll front (Options.Front) held the long
	// polls. FrontHeap and FrontStacks are its HeapAlloc and StackInuse
	// after a collection, before and after the connections, which PerConn
	// then counts with the hub's; FrontCPU is its CPU in CPUWindow, and
	// FrontExchangeCPU in the exchange.
	Front                             bool
	FrontHeapBefore, FrontHeapAfter   uint64
	FrontStackBefore, FrontStackAfter uint64
	FrontCPU, FrontExchangeCPU        time.Duration
	// HeapBefore/After are runtime.MemStats.HeapAlloc after a GC, and
	// StackBefore/After StackInuse (goroutine stacks: each long poll holds
	// a handler goroutine).
	HeapBefore, HeapAfter   uint64
	StackBefore, StackAfter uint64
	Goroutines              int // more goroutines with the connections open
	PerConn                 float64
	// ConnectWall is how long the connections took to open, from the
	// first dial until each had its long poll in, and ConnectCPU the CPU
	// the hub's process used meanwhile (with the clients when
	// InProcessClients): TLS handshakes and first polls, what a hub
	// restarted with thousands of agencies pays.
	ConnectWall, ConnectCPU time.Duration
	// CPUWindow is how long CPU was measured with the connections open and
	// nothing else to do; HubCPU is the CPU the hub's process used in it
	// (with the clients when InProcessClients), ClientsCPU that of the
	// clients' process (0 when in this one, or where another process's CPU
	// cannot be read): what keeping them alive costs, in pings and renewed
	// long polls.
	CPUWindow          time.Duration
	HubCPU, ClientsCPU time.Duration
	// Exchange, when Options.Rate is set, is the exchange that ran
	// between other agencies (Options.ExchangeAgencies of them, their
	// clients in the hub's process) while the idle connections were open.
	Exchange *Result
}

// IdleClientsSpec says which idle clients to open.
type IdleClientsSpec struct {
	Addr   string // the hub's address
	PKIDir string // the run's PKI folder, with the agencies' keys in agencies/
	// N connections as Agencies agencies (codes AgencyCode(0) to
	// AgencyCode(Agencies-1), used in turn).
	N, Agencies int
	// DeadAfter is each client's hubclient.Options.DeadAfter (it pings
	// an idle connection every third of it); 0: the client's default.
	DeadAfter time.Duration
	// TCP holds the connections with HTTP/2 over TCP instead of HTTP/3
	// over QUIC.
	TCP bool
	// Front: Addr is a long-poll front's, which answers long polls only
	// (the clients send no hello).
	Front bool
}

// Spawner starts the idle long-polling clients spec describes in another
// process and returns once they are all connected and polling. stop ends
// them.
type Spawner func(ctx context.Context, spec IdleClientsSpec) (stop func() error, err error)

// DefaultIdleCPUWindow is how long idle mode measures the CPU the idle
// connections cost, when Options.IdleCPUWindow is 0.
const DefaultIdleCPUWindow = 10 * time.Second

// DefaultExchangeAgencies is how many agencies exchange documents in idle
// mode with a rate, when Options.ExchangeAgencies is 0.
const DefaultExchangeAgencies = 4

// Idle measures a hub's memory per idle long-polling connection: it
// starts a hub in this process (whatever opts.InProcess says: its heap is
// read with runtime.MemStats after a collection) or, with opts.Front, as a
// process of its own with its long-poll front beside it (both heaps read
// from their profiles, /debug/pprof/, after a collection), measures, opens
// opts.Agencies agencies' worth of n connections through spawn (in this
// process too when spawn is nil), waits for them to settle, and measures
// again. With opts.Rate set, it then runs an exchange of opts.Docs
// documents at that rate between opts.ExchangeAgencies other agencies
// (their clients in this process, connected before the first
// measurement) through the same hub while the idle connections stay open,
// and reports its latencies beside the memory (no raw or relay
// measurement).
func Idle(ctx context.Context, opts Options, n int, spawn Spawner) (*IdleResult, error) {
	if opts.Hub != "" {
		return nil, errors.New("bench: idle mode measures an in-process hub; leave --hub empty")
	}
	if n < 1 || n > MaxIdle {
		return nil, fmt.Errorf("bench: idle connections must be between 1 and %d", MaxIdle)
	}
	opts.InProcess = !opts.Front
	if opts.Front && opts.HeapProfile != nil {
		return nil, errors.New("bench: with a front the hub runs as a process of its own: take its heap profile at its ops listener, /debug/pprof/heap")
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if opts.ExchangeAgencies == 0 {
		opts.ExchangeAgencies = DefaultExchangeAgencies
	}
	if opts.ExchangeAgencies < 2 || opts.Agencies+opts.ExchangeAgencies > MaxAgencies {
		return nil, fmt.Errorf("bench: exchange agencies must be at least 2, and with the idle ones at most %d", MaxAgencies)
	}
	if opts.IdleDeadAfter < 0 {
		return nil, errors.New("bench: the idle clients' dead-after must not be negative")
	}
	if opts.IdleCPUWindow < 0 {
		return nil, errors.New("bench: the idle CPU window must not be negative")
	}
	if opts.IdleCPUWindow == 0 {
		opts.IdleCPUWindow = DefaultIdleCPUWindow
	}
	frontBinary := ""
	if opts.Front {
		var err error
		if frontBinary, err = hubBinary(opts.HubBinary); err != nil {
			return nil, err
		}
	}
	// The exchange's agencies are issued after the idle clients'.
	all := opts
	if opts.Rate > 0 {
		all.Agencies += opts.ExchangeAgencies
	}
	e, err := setup(ctx, &all)
	if err != nil {
		return nil, err
	}
	var front *frontProcess
	if opts.Front {
		if front, err = e.startFront(ctx, frontBinary, &all); err != nil {
			return nil, errors.Join(err, e.stop())
		}
	}
	res, err := idle(ctx, e, opts, n, spawn, front)
	if front != nil {
		err = errors.Join(err, front.stop(stopTimeout))
	}
	return res, errors.Join(err, e.stop())
}

func idle(ctx context.Context, e *env, opts Options, n int, spawn Spawner, front *frontProcess) (*IdleResult, error) {
	res := &IdleResult{Conns: n, InProcessClients: spawn == nil, Transport: idleTransport(opts.TCP), Front: front != nil}
	if spawn == nil {
		spawn = inProcess
	}
	addr, pollAddr := e.addr, ""
	if front != nil {
		addr, pollAddr = front.addr, front.addr
	}
	var x *exchanger
	if opts.Rate > 0 {
		var err error
		if x, err = newExchanger(ctx, e, opts, pollAddr); err != nil {
			return nil, err
		}
	}
	// The hub's memory and CPU: this process's when the hub runs in it,
	// else its process's (its ops listener's profiles, /proc).
	hubMemory := func() (heap, stacks uint64, goroutines int, err error) {
		if len(e.nodes) > 0 {
			return processMemory(ctx, e.opsAddr)
		}
		time.Sleep(500 * time.Millisecond)
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc, ms.StackInuse, runtime.NumGoroutine(), nil
	}
	hubCPU := processCPU
	if len(e.nodes) > 0 {
		hubCPU = func() time.Duration { d, _ := e.hubCPU(); return d }
	}
	frontMemory := func() (heap, stacks uint64, err error) {
		if front == nil {
			return 0, 0, nil
		}
		heap, stacks, _, err = processMemory(ctx, front.ops)
		return heap, stacks, err
	}
	var err error
	var g0, g1 int
	if res.HeapBefore, res.StackBefore, g0, err = hubMemory(); err != nil {
		return nil, err
	}
	if res.FrontHeapBefore, res.FrontStackBefore, err = frontMemory(); err != nil {
		return nil, err
	}
	cpu0, wall0 := hubCPU(), time.Now()
	stop, err := spawn(ctx, IdleClientsSpec{Addr: addr, PKIDir: e.pkiDir, N: n, Agencies: opts.Agencies, DeadAfter: opts.IdleDeadAfter, TCP: opts.TCP, Front: front != nil})
	if err != nil {
		return nil, err
	}
	res.ConnectWall, res.ConnectCPU = time.Since(wall0), hubCPU()-cpu0
	time.Sleep(2 * time.Second) // let the last polls arrive and buffers settle
	if res.HeapAfter, res.StackAfter, g1, err = hubMemory(); err != nil {
		_ = stop()
		return nil, err
	}
	if res.FrontHeapAfter, res.FrontStackAfter, err = frontMemory(); err != nil {
		_ = stop()
		return nil, err
	}
	res.Goroutines = g1 - g0
	if opts.HeapProfile != nil {
		if err := pprof.WriteHeapProfile(opts.HeapProfile); err != nil {
			_ = stop()
			return nil, fmt.Errorf("heap profile: %w", err)
		}
	}
	res.CPUWindow = opts.IdleCPUWindow
	var frontProc *hubProcess
	if front != nil {
		frontProc = front.hubProcess
	}
	res.HubCPU, res.FrontCPU, res.ClientsCPU = idleCPU(opts.IdleCPUWindow, !res.InProcessClients, len(e.nodes) > 0, hubCPU, frontProc)
	if x != nil {
		f0 := frontCPU(frontProc)
		if res.Exchange, err = x.run(ctx); err != nil {
			_ = stop()
			return nil, fmt.Errorf("exchange beside the idle connections: %w", err)
		}
		res.FrontExchangeCPU = frontCPU(frontProc) - f0
	}
	if err := stop(); err != nil {
		return nil, err
	}
	grown := int64(res.HeapAfter+res.StackAfter) - int64(res.HeapBefore+res.StackBefore) +
		int64(res.FrontHeapAfter+res.FrontStackAfter) - int64(res.FrontHeapBefore+res.FrontStackBefore)
	res.PerConn = float64(grown) / float64(n)
	return res, nil
}

// idleCPU measures over window the CPU of the hub (hubCPU: this
// process's, or with hubChild its process's), of the front's when there
// is one, and, with children, that of the other processes of this one's
// tree (the idle clients' when spawned).
func idleCPU(window time.Duration, children, hubChild bool, hubCPU func() time.Duration, front *hubProcess) (hub, frontUsed, clients time.Duration) {
	self := os.Getpid()
	s0, h0, f0, t0 := processCPU(), hubCPU(), frontCPU(front), time.Duration(0)
	var treeErr error
	if children {
		t0, treeErr = treeCPU(self)
	}
	time.Sleep(window)
	selfUsed := processCPU() - s0
	hub, frontUsed = hubCPU()-h0, frontCPU(front)-f0
	if children && treeErr == nil {
		if t1, err := treeCPU(self); err == nil {
			others := selfUsed + frontUsed
			if hubChild {
				others += hub
			}
			clients = max(t1-t0-others, 0)
		}
	}
	return hub, frontUsed, clients
}

// frontCPU is the CPU the front has used so far; 0 without a front, or
// where it cannot be read.
func frontCPU(front *hubProcess) time.Duration {
	if front == nil {
		return 0
	}
	d, err := front.cpu()
	if err != nil {
		return 0
	}
	return d
}

// Print writes the result in the tool's fixed shape.
func (r *IdleResult) Print(w io.Writer) {
	where := "in another process"
	switch {
	case r.InProcessClients && r.Front:
		where = "in this tool's process"
	case r.InProcessClients:
		where = "in the hub's process: the figure includes the clients"
	}
	held := ""
	if r.Front {
		held = ", held by a long-poll front"
	}
	fmt.Fprintf(w, "idle long-polling connections: %d over %s (clients %s%s)\n", r.Conns, r.Transport, where, held)
	fmt.Fprintf(w, "hub heap:   %8.1f MB -> %8.1f MB\n", float64(r.HeapBefore)/1e6, float64(r.HeapAfter)/1e6)
	fmt.Fprintf(w, "hub stacks: %8.1f MB -> %8.1f MB  (%+d goroutines)\n", float64(r.StackBefore)/1e6, float64(r.StackAfter)/1e6, r.Goroutines)
	if r.Front {
		fmt.Fprintf(w, "front heap:   %8.1f MB -> %8.1f MB\n", float64(r.FrontHeapBefore)/1e6, float64(r.FrontHeapAfter)/1e6)
		fmt.Fprintf(w, "front stacks: %8.1f MB -> %8.1f MB\n", float64(r.FrontStackBefore)/1e6, float64(r.FrontStackAfter)/1e6)
		fmt.Fprintf(w, "memory per idle connection (heap + stacks, hub and front): %.1f KB\n", r.PerConn/1e3)
	} else {
		fmt.Fprintf(w, "memory per idle connection (heap + stacks): %.1f KB\n", r.PerConn/1e3)
	}
	if r.ConnectWall > 0 {
		fmt.Fprintf(w, "connecting them: %s, hub process %.2f CPU-s = %.3f ms per connection (handshake and first poll)\n",
			r.ConnectWall.Round(time.Millisecond), r.ConnectCPU.Seconds(), r.ConnectCPU.Seconds()*1e3/float64(r.Conns))
	}
	if r.CPUWindow > 0 {
		secs := r.CPUWindow.Seconds()
		fmt.Fprintf(w, "CPU while they idle (%s): hub process %.3f cores = %.1f µs per connection per second",
			r.CPUWindow, r.HubCPU.Seconds()/secs, r.HubCPU.Seconds()/secs/float64(r.Conns)*1e6)
		if r.Front {
			fmt.Fprintf(w, "; front process %.3f cores = %.1f µs per connection per second", r.FrontCPU.Seconds()/secs, r.FrontCPU.Seconds()/secs/float64(r.Conns)*1e6)
		}
		if r.ClientsCPU > 0 {
			fmt.Fprintf(w, "; clients' process %.3f cores", r.ClientsCPU.Seconds()/secs)
		}
		fmt.Fprintln(w)
	}
	if x := r.Exchange; x != nil {
		o := x.Options
		clients := "clients in the hub's process"
		if x.Nodes > 0 {
			clients = "clients in this tool's process, the hub in its own"
		}
		fmt.Fprintf(w, "exchange while they poll: agencies %d (%s), documents %d of %d bytes (signed PDFs), concurrency %d, rate %g docs/s, transport %s, GOMAXPROCS %d\n",
			o.Agencies, clients, o.Docs, o.Size, o.Concurrency, o.Rate, x.Transport, x.Procs)
		fmt.Fprintf(w, "end to end (delivered, acked):   %8.1f docs/s\n", x.DocsPerSec)
		if x.Nodes > 0 {
			x.Hub.print(w, "CPU of the exchange, hub process (idle polls included):", o.AcceptOnly)
			x.Local.print(w, "CPU of the exchange, agencies:", o.AcceptOnly)
		} else {
			x.Local.print(w, "CPU of the exchange, hub+agencies (idle polls included):", o.AcceptOnly)
		}
		if r.Front && x.Delivered > 0 {
			fmt.Fprintf(w, "front process during the exchange: %.2f CPU-s = %.3f ms per document\n", r.FrontExchangeCPU.Seconds(), r.FrontExchangeCPU.Seconds()*1e3/float64(x.Delivered))
		}
		x.printLatencies(w)
		x.printFailed(w)
		x.printWarmup(w)
	}
}

func inProcess(ctx context.Context, spec IdleClientsSpec) (func() error, error) {
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- IdleClients(ctx, spec, func() { close(ready) }) }()
	select {
	case <-ready:
		return func() error { cancel(); return <-done }, nil
	case err := <-done:
		cancel()
		return nil, err
	}
}

// IdleClients opens the connections spec describes, each with one long
// poll outstanding at all times as a clerk holds it (GET /v1/updates for
// wire.PollWait), calls ready once every connection has been made and its
// poll sent, and keeps polling until ctx ends.
func IdleClients(ctx context.Context, spec IdleClientsSpec, ready func()) error {
	addr, pkiDir, n, agencies := spec.Addr, spec.PKIDir, spec.N, spec.Agencies
	if agencies < 1 {
		return errors.New("bench: no agencies")
	}
	roots, err := certs.ReadCertificates(filepath.Join(pkiDir, certs.RootCertFile))
	if err != nil {
		return err
	}
	v, err := certs.NewVerifier(roots)
	if err != nil {
		return err
	}
	kps := make([]*certs.KeyPair, agencies)
	for i := range kps {
		base := filepath.Join(pkiDir, "agencies", string(AgencyCode(i)))
		if kps[i], err = certs.LoadKeyPair(base+".crt", base+".key", nil); err != nil {
			return err
		}
	}
	clients := make([]*hubclient.Client, n)
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	// Connect a few at a time: a burst of thousands of handshakes would
	// measure the handshake, not the idle state.
	var (
		wg      sync.WaitGroup
		polling sync.WaitGroup
		failed  atomic.Pointer[error]
		sem     = make(chan struct{}, 16)
	)
	polling.Add(n)
	for i := range n {
		sem <- struct{}{}
		if failed.Load() != nil || ctx.Err() != nil {
			<-sem
			polling.Done()
			continue
		}
		c, err := hubclient.New(addr, kps[i%agencies], v, hubclient.Options{ServerName: "localhost", DeadAfter: spec.DeadAfter, DisableQUIC: spec.TCP})
		if err != nil {
			return err
		}
		clients[i] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if spec.Front {
				// A front answers long polls only: the first, not
				// waiting, opens the connection.
				_, err = c.Updates(ctx, 0, 0, 0)
			} else {
				_, err = c.Hello(ctx)
			}
			<-sem
			first := true
			for err == nil && ctx.Err() == nil {
				if first {
					// The request is on its way once the round trip has
					// started; give it a moment, then count it.
					go func() { time.Sleep(200 * time.Millisecond); polling.Done() }()
					first = false
				}
				_, err = c.Updates(ctx, 0, 0, wire.PollWait)
			}
			if first {
				polling.Done()
			}
			if err != nil && ctx.Err() == nil {
				failed.CompareAndSwap(nil, &err)
			}
		}()
	}
	polling.Wait()
	if p := failed.Load(); p != nil {
		return fmt.Errorf("idle client: %w", *p)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A client falls back from QUIC to TCP by itself: a figure for one
	// transport must not hold connections of the other.
	want := idleTransport(spec.TCP)
	for i, c := range clients {
		if got := c.Transport(); got != want {
			return fmt.Errorf("bench: idle client %d is on %q, not %q", i+1, got, want)
		}
	}
	ready()
	<-ctx.Done()
	wg.Wait()
	if p := failed.Load(); p != nil {
		return fmt.Errorf("idle client: %w", *p)
	}
	return nil
}

// idleTransport names the idle clients' transport as
// hubclient.Client.Transport does.
func idleTransport(tcp bool) string {
	if tcp {
		return "h2"
	}
	return "h3"
}
