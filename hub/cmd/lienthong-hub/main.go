// Command lienthong-hub runs the Lienthong hub and its operator's tasks.
//
// Usage:
//
//	lienthong-hub serve   --config FILE
//	lienthong-hub front   --config FILE
//	lienthong-hub demo    --pki DIR --data DIR [--listen ADDR] [--postgres URL]
//	lienthong-hub agency  import --config FILE AGENCIES.csv|.json
//	lienthong-hub agency  list --config FILE [--json]
//	lienthong-hub agency  history --config FILE CODE
//	lienthong-hub agency  successions --config FILE SUCCESSIONS.csv
//	lienthong-hub agency  trace --config FILE [--at DAY] CODE
//	lienthong-hub agency  register --config FILE [--role ROLE] [--person NAME] CODE CERT.pem|SHA256
//	lienthong-hub agency  unregister --config FILE CODE CERT.pem|SHA256
//	lienthong-hub agency  certs --config FILE [CODE]
//	lienthong-hub stats   --config FILE [--agency CODE] [--json]
//	lienthong-hub check   --config FILE
//	lienthong-hub backup  --config FILE --out DIR
//	lienthong-hub after-restore --config FILE [--gap N]
//	lienthong-hub migrate --from bolt:DIR|postgres:URL --to bolt:DIR|postgres:URL
//	lienthong-hub logkey  --name NAME --out FILE
//
// The configuration file is documented in package lienthong/hub/config.
// The agency and stats commands work whether the hub runs or not: the
// store is opened by one process at a time, so while a hub runs on it they
// go through its control socket in the data folder (package
// lienthong/hub/control), which only the hub's system user and root may
// use; so does backup, which a running hub writes for it. check runs the
// store's Verify: online on PostgreSQL, with the hub stopped on bbolt. migrate copies a
// stopped hub's store between bbolt and PostgreSQL (package
// lienthong/hub/store/storecopy). Logs are JSON on stderr. The load tool is a command of its own,
// lienthong-bench, so that none of it is linked into the hub.
//
// Each command is in a file of its own; "lienthong-hub COMMAND --help"
// lists its flags. Errors are one line, "lienthong-hub: error: ...",
// sometimes followed by a "lienthong-hub: hint: ..." line, with exit status
// 1; bad usage exits 2.
package main

import (
	"os"

	"lienthong/internal/cli"
)

var program = &cli.Program{
	Name:    "lienthong-hub",
	Summary: "run the Lienthong hub and its operator's tasks",
	Commands: []*cli.Command{
		serveCmd, frontCmd, demoCmd, agencyImportCmd, agencyListCmd, agencyHistoryCmd, agencySuccessionsCmd, agencyTraceCmd, agencyRegisterCmd, agencyUnregisterCmd, agencyCertsCmd, statsCmd, checkCmd, backupCmd, afterRestoreCmd, migrateCmd, logKeyCmd,
	},
	Groups:    map[string]string{"agency": "subcommand"},
	Footer:    "Exit status: 0 done, 1 error, 2 wrong command line.\n",
	ExitError: 1, ExitUsage: 2,
}

func main() {
	os.Exit(program.Main(os.Args[1:], &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
