package main

import (
	"bytes"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"lienthong-bench": main,
	})
}

// TestScripts runs the command's usage, its errors, and a small run with
// the hub in its process.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata/script"})
}

// TestExitStatus: help is 0, bad usage 2, a failure 1 (testscript sees
// only zero or not).
func TestExitStatus(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"--help"}, 0},
		{"unknown flag", []string{"--bogus"}, 2},
		{"an argument", []string{"run"}, 2},
		{"bad size", []string{"--size", "10GB"}, 2},
		{"a profile of the agencies alone", []string{"--cpuprofile", "cpu.pprof"}, 2},
		{"a running hub and one of its own", []string{"--hub", "127.0.0.1:4433", "--in-process"}, 2},
		{"no hub binary there", []string{"--hub-binary", "/nonexistent/lienthong-hub"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tt.args, &stdout, &stderr); got != tt.want {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", got, tt.want, stderr.String())
			}
			if tt.want != 0 && !strings.Contains(stderr.String(), "lienthong-bench: error: ") {
				t.Fatalf("stderr lacks the error line:\n%s", stderr.String())
			}
		})
	}
}

// The idle clients' process, once connected, collects no more garbage
// until it holds twice what it held then.
func TestStopCollecting(t *testing.T) {
	stopCollecting()
	gogc := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(math.MaxInt64)
	if gogc != -1 {
		t.Errorf("GOGC %d after stopCollecting, want off (-1)", gogc)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if limit == math.MaxInt64 || limit < int64(ms.Sys) {
		t.Errorf("memory limit %d with %d bytes held: the process could grow without bound, or collect at once", limit, ms.Sys)
	}
}
