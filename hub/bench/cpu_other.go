//go:build !linux

package bench

import (
	"errors"
	"time"
)

// pidCPU reads another process's CPU time on Linux only; elsewhere a run
// reports no CPU figure for the hub process.
func pidCPU(int) (time.Duration, error) {
	return 0, errors.New("the CPU time of another process is read on Linux only")
}

func treeCPU(int) (time.Duration, error) {
	return 0, errors.New("the CPU time of another process is read on Linux only")
}
