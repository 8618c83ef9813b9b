// Command lienthong-verify checks the signatures of a PDF document for
// auditors: each signature's integrity, signer, chain to the given roots,
// PAdES level, timestamp and revocation, and whether anything unsigned was
// changed after signing.
//
// Usage:
//
//	lienthong-verify [--roots FILE] [--crl FILE]... [--json] DOC.pdf
//
// and, for the hub's record (package lienthong/desktop/audit):
//
//	lienthong-verify evidence --roots FILE --log-key FILE [--json] BUNDLE.zip  check a document's evidence bundle offline
//	lienthong-verify log --hub ADDR --state FILE ...                          check the log only grew since the saved checkpoint
//	lienthong-verify compare ... STATE_A STATE_B                              compare two auditors' checkpoints
//	lienthong-verify stats --hub ADDR ...                                     recount the published statistics from the log
//	lienthong-verify trace --at DAY CODE --hub ADDR --state FILE ...          where a code led on a day, proved against the log
//
// Each command is in a file of its own (the PDF check in check.go);
// "lienthong-verify COMMAND --help" lists its flags. The report is in
// Vietnamese, or in English when LC_ALL, LC_MESSAGES or LANG (the first
// one set) starts with "en". --json prints the same report as JSON.
//
// Exit status: 0 when every signature is valid, chains to the roots and
// nothing unsigned changed after the last signature; 1 when a signature is
// invalid, untrusted or revoked, when unsigned changes follow a signature,
// or when the document has no signature; 2 when the file cannot be read as
// a PDF (not a PDF, damaged, encrypted) or the command line is wrong. The
// auditor's commands exit 0 when everything holds, 1 when something does
// not, 2 on bad usage or unreadable input. Errors are one line,
// "lienthong-verify: error: ...", sometimes followed by a
// "lienthong-verify: hint: ..." line.
package main

import (
	"io"
	"os"

	"lienthong/internal/cli"
)

// Exit statuses: part of the command's contract.
const (
	exitValid   = 0
	exitInvalid = 1
	exitUnread  = 2
)

var program = &cli.Program{
	Name:     "lienthong-verify",
	Summary:  "check a signed PDF, an evidence bundle or the hub's transparency log",
	Default:  checkCmd,
	Commands: []*cli.Command{evidenceCmd, logCmd, compareCmd, statsCmd, traceCmd},
	Footer: `AUTH, to reach the hub: --cert FILE --key FILE [--key-passphrase-file FILE] --roots FILE
--log-key FILE holds the hub's log verifier key (name+hash+key), given by its operator.

Exit status: 0 valid, everything holds; 1 invalid or changed, something does
not hold; 2 unreadable input or a wrong command line.
`,
	ExitError: exitUnread, ExitUsage: exitUnread,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return program.Main(args, &cli.Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: getenv})
}
