package blobs

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPutParallel puts 10 KB blobs from 32 goroutines per CPU, as the
// hub does under load, with named temporary files and with unnamed ones.
// cpu-µs/op is the process's CPU time (user and system) per blob, which
// is where folder-wide locks in the kernel show.
//
//	go test -run '^$' -bench PutParallel -benchtime 4000x ./hub/store/blobs
func BenchmarkPutParallel(b *testing.B) {
	for _, mode := range []string{"named", "unnamed"} {
		b.Run(mode, func(b *testing.B) {
			d, err := Open(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			if mode == "named" {
				d.unnamed = false
			} else if !d.unnamed {
				b.Fatal("no unnamed files (O_TMPFILE) here")
			}
			base := random(10 << 10)
			var seq atomic.Uint64
			b.SetParallelism(32)
			b.SetBytes(int64(len(base)))
			cpu0 := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				data := bytes.Clone(base)
				for pb.Next() {
					binary.LittleEndian.PutUint64(data, seq.Add(1)) // a new blob each time
					if _, err := d.Put(context.Background(), digest(data), bytes.NewReader(data)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
