// Command lienthong-bench measures the Lienthong hub under load: documents
// and megabytes per second, latency, and the hub process's own CPU time
// per gigabyte and per document, next to the raw QUIC rate and relays of
// the same documents on the same machine (bare and checking over QUIC,
// checking over TLS on TCP); or the hub's memory per idle long-polling
// connection.
//
// Usage:
//
//	lienthong-bench [--agencies N] [--size 10KB] [--docs N] [--warmup N] [--concurrency N] [--rate R] [--accept-only] [--upload] [--dir DIR]
//	lienthong-bench --in-process [--cpuprofile FILE] [--memprofile FILE] ...
//	lienthong-bench --hub HOST:PORT --pki DIR ...
//	lienthong-bench --idle N [--agencies N] [--memprofile FILE]
//
// By default it runs the hub under test as a process of its own,
// "lienthong-hub serve" on a configuration it writes in --dir, and stops it
// (SIGTERM) at the end, also after an error or Ctrl+C. The measurement is
// package lienthong/hub/bench. Errors are one line, "lienthong-bench:
// error: ...", sometimes followed by a "lienthong-bench: hint: ..." line,
// with exit status 1; bad usage exits 2.
package main

import (
	"io"
	"os"

	"lienthong/internal/cli"
)

var program = &cli.Program{
	Name:      "lienthong-bench",
	Summary:   "measure the Lienthong hub under load",
	Default:   benchCmd,
	Footer:    "Exit status: 0 done, 1 error, 2 wrong command line.\n",
	ExitError: 1, ExitUsage: 2,
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	return program.Main(args, &cli.Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
}
