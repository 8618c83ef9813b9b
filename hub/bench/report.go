package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Print writes the result in the tool's fixed shape.
func (r *Result) Print(w io.Writer) {
	o := r.Options
	rate := "unlimited"
	if o.Rate > 0 {
		rate = fmt.Sprintf("%g docs/s", o.Rate)
	}
	var hub string
	switch {
	case o.Hub != "":
		hub = "hub at " + o.Hub + ", "
	case o.InProcess:
		hub = "hub in this process, "
	case r.Nodes > 1:
		hub = fmt.Sprintf("%d hub processes (GOMAXPROCS %d each), agencies ", r.Nodes, r.HubProcs)
	default:
		hub = fmt.Sprintf("hub process (GOMAXPROCS %d), agencies ", r.HubProcs)
	}
	if o.Postgres != "" {
		hub = "store PostgreSQL, " + hub
	}
	transport := r.Transport
	if r.BulkTransport != "" {
		transport += " (bulk transfers " + r.BulkTransport + ")"
	}
	fmt.Fprintf(w, "agencies %d, documents %d of %d bytes (signed PDFs), concurrency %d, rate %s, transport %s, %sGOMAXPROCS %d (raw QUIC: %d)\n",
		o.Agencies, o.Docs, o.Size, o.Concurrency, rate, transport, hub, r.Procs, r.RawProcs)
	fmt.Fprintf(w, "raw QUIC, one stream, same TLS:  %8.1f MB/s  (%d MB in %v, %.2f CPU-s/GB both ends)\n", r.Raw.MBPerSec, r.Raw.Bytes/1e6, r.Raw.Elapsed.Round(time.Millisecond), r.Raw.CPUPerGB)
	fmt.Fprintf(w, "raw QUIC, a stream per document: %8.1f MB/s  (%d streams at once, one connection)\n", r.Raw.PerDocMBPerSec, r.Raw.Parallel)
	if rl := r.Relay; rl.MBPerSec > 0 {
		fmt.Fprintf(w, "raw QUIC relay, two crossings:   %8.1f MB/s  = %.0f%% of raw (same documents: agencies → relay in memory → agencies, %d at once, %.2f CPU-s/GB)\n",
			rl.MBPerSec, 100*rl.MBPerSec/r.Raw.MBPerSec, rl.Parallel, rl.CPUPerGB)
	}
	if rl := r.RelayChecked; rl.MBPerSec > 0 {
		fmt.Fprintf(w, "  and checking SHA-256 twice:    %8.1f MB/s  = %.0f%% of raw (at the relay and the recipient, %.2f CPU-s/GB)\n",
			rl.MBPerSec, 100*rl.MBPerSec/r.Raw.MBPerSec, rl.CPUPerGB)
	}
	if rl := r.RelayChecked; rl.RelayCPUPerGB > 0 {
		fmt.Fprintf(w, "  the checking relay's process:  %8.2f CPU-s/GB relayed (bare relay's: %.2f)", rl.RelayCPUPerGB, r.Relay.RelayCPUPerGB)
		if r.Hub.PerGB > 0 {
			fmt.Fprintf(w, "; hub process %.2f CPU-s/GB = %.2f× the checking relay's", r.Hub.PerGB, r.HubToRelayCPU)
		}
		fmt.Fprintln(w)
	}
	if rl := r.RelayCheckedTCP; rl.RelayCPUPerGB > 0 {
		fmt.Fprintf(w, "  the checking TCP relay's process: %8.2f CPU-s/GB relayed (%.1f MB/s)", rl.RelayCPUPerGB, rl.MBPerSec)
		if r.HubToTCPRelayCPU > 0 {
			fmt.Fprintf(w, "; hub process = %.2f× it", r.HubToTCPRelayCPU)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "end to end (delivered, acked):   %8.1f MB/s  %8.1f docs/s  = %.0f%% of raw (ceiling 50%%: each byte crosses QUIC twice)",
		r.MBPerSec, r.DocsPerSec, 100*r.Ratio)
	if r.RelayChecked.MBPerSec > 0 {
		fmt.Fprintf(w, ", %.0f%% of the checking relay", 100*r.MBPerSec/r.RelayChecked.MBPerSec)
	}
	fmt.Fprintln(w)
	switch {
	case o.InProcess:
		r.Local.print(w, "CPU of the exchange, hub+agencies:", o.AcceptOnly)
	case o.Hub != "":
		r.Local.print(w, "CPU of the exchange, agencies:    ", o.AcceptOnly)
	case r.Nodes > 1:
		r.Hub.print(w, "CPU of the exchange, hub processes:", o.AcceptOnly)
		r.Local.print(w, "CPU of the exchange, agencies:    ", o.AcceptOnly)
	default:
		r.Hub.print(w, "CPU of the exchange, hub process: ", o.AcceptOnly)
		r.Local.print(w, "CPU of the exchange, agencies:    ", o.AcceptOnly)
	}
	if r.DB.Total > 0 {
		r.DB.print(w, "CPU of the exchange, PostgreSQL:  ", o.AcceptOnly)
		if r.Hub.Total > 0 {
			sum := CPUUse{Total: r.Hub.Total + r.DB.Total, PerGB: r.Hub.PerGB + r.DB.PerGB, PerDoc: r.Hub.PerDoc + r.DB.PerDoc}
			sum.print(w, "  hub and PostgreSQL together:   ", o.AcceptOnly)
		}
	}
	r.printLatencies(w)
	if len(r.ServerTimes) > 0 {
		label := "hub time per request (mean):    "
		if r.Nodes > 1 {
			label = "first node's time per request:  "
		}
		fmt.Fprint(w, label)
		for _, rt := range r.ServerTimes {
			fmt.Fprintf(w, " %s %v ×%.0f;", rt.Route, rt.Mean.Round(10*time.Microsecond), rt.Count)
		}
		fmt.Fprintln(w)
	}
	r.printFailed(w)
	r.printWarmup(w)
}

// printLatencies writes the rate accepted and the latencies.
func (r *Result) printLatencies(w io.Writer) {
	fmt.Fprintf(w, "durably accepted (Submit OK):    %8.1f docs/s  (%d in %v)\n", r.AcceptedPerSec, r.Accepted, r.AcceptElapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "latency send to delivered:       p50 %v  p99 %v  max %v\n", r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond))
	fmt.Fprintf(w, "latency send to accepted:        p50 %v  p99 %v\n", r.AcceptP50.Round(10*time.Microsecond), r.AcceptP99.Round(10*time.Microsecond))
}

// printWarmup writes what the warm-up measured, if the run had one.
func (r *Result) printWarmup(w io.Writer) {
	wu := r.Warmup
	if wu == nil {
		return
	}
	fmt.Fprintf(w, "warm-up, sent first and in no figure above: %d documents", wu.Docs)
	if !r.Options.AcceptOnly {
		fmt.Fprintf(w, ", send to delivered p50 %v p99 %v max %v", wu.P50.Round(10*time.Microsecond), wu.P99.Round(10*time.Microsecond), wu.Max.Round(10*time.Microsecond))
	}
	fmt.Fprintf(w, ", to accepted p99 %v, failed %d\n", wu.AcceptP99.Round(10*time.Microsecond), wu.Failed)
}

// printFailed writes how many documents failed and the first error.
func (r *Result) printFailed(w io.Writer) {
	fmt.Fprintf(w, "failed: %d", r.Failed)
	if r.FirstError != nil {
		fmt.Fprintf(w, " (first error: %v)", r.FirstError)
	}
	fmt.Fprintln(w)
}

// print writes u on one line after label.
func (u CPUUse) print(w io.Writer, label string, acceptOnly bool) {
	moved := "delivered"
	if acceptOnly {
		moved = "accepted"
	}
	fmt.Fprintf(w, "%s %v per document, %.2f CPU-s/GB %s (%.2f CPU-s in all)\n",
		label, u.PerDoc.Round(time.Microsecond), u.PerGB, moved, u.Total.Seconds())
}

// ParseSize reads a size as the tool's flags give it: "10240", "10KB" or
// "1MB" (KB and MB are ×1024, case ignored).
func ParseSize(s string) (int64, error) {
	mult := int64(1)
	u := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case strings.HasSuffix(u, "MB"):
		mult, u = 1<<20, strings.TrimSuffix(u, "MB")
	case strings.HasSuffix(u, "KB"):
		mult, u = 1<<10, strings.TrimSuffix(u, "KB")
	}
	n, err := strconv.ParseInt(u, 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return 0, fmt.Errorf("want a positive size like 10240, 10KB or 1MB, got %q", s)
	}
	return n * mult, nil
}
