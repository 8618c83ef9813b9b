// Command lienthong-hub runs the Lienthong hub and its operator's tasks.
//
// Usage:
//
//	lienthong-hub serve   --config FILE
//	lienthong-hub demo    --pki DIR --data DIR [--listen ADDR]
//	lienthong-hub agency  import --config FILE AGENCIES.csv|.json
//	lienthong-hub agency  list --config FILE [--json]
//	lienthong-hub agency  history --config FILE CODE
//	lienthong-hub stats   --config FILE [--agency CODE] [--json]
//
// The configuration file is documented in package lienthong/hub/config.
// The agency and stats commands work whether the hub runs or not: the
// store is opened by one process at a time, so while a hub runs on it they
// go through its control socket in the data folder (package
// lienthong/hub/control), which only the hub's system user and root may
// use. Logs are JSON on stderr.
// Errors are one line, "lienthong-hub: error: ...", exit status 1; bad
// usage exits 2.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
