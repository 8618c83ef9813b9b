package bench

import (
	"syscall"
	"time"
)

// CPUUse is the CPU time (user and system) one process used over a run's
// exchange, and per unit of its work.
type CPUUse struct {
	Total time.Duration
	// PerGB is CPU-seconds per gigabyte (10⁹ bytes) of documents moved:
	// delivered, or accepted when the run only sends.
	PerGB float64
	// PerDoc is CPU time per document accepted.
	PerDoc time.Duration
}

// cpuUse divides cpu among the work done.
func cpuUse(cpu time.Duration, bytes int64, docs int) CPUUse {
	u := CPUUse{Total: cpu, PerGB: cpuPerGB(cpu, bytes)}
	if docs > 0 {
		u.PerDoc = cpu / time.Duration(docs)
	}
	return u
}

// processCPU returns the CPU time (user and system) this process has used
// so far: the agencies' when the hub runs as a process of its own, the
// hub's and the agencies' together when it runs in this one.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPerGB is CPU-seconds spent per gigabyte moved.
func cpuPerGB(cpu time.Duration, bytes int64) float64 {
	if bytes <= 0 {
		return 0
	}
	return cpu.Seconds() / (float64(bytes) / 1e9)
}
