package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// command is one subcommand: it parses its own flags and returns an error
// for the user (errUsage-wrapped for a wrong command line).
type command struct {
	summary string
	usage   string
	run     func(args []string, stdout io.Writer) error
}

// errUsage marks a wrong command line.
var errUsage = errors.New("usage")

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return errUsage }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

var commands = map[string]command{
	"sign":      {summary: "sign a PDF document (PAdES B-B or B-T)", usage: signUsage, run: runSign},
	"timestamp": {summary: "add a document timestamp to a signed PDF (B-LTA step)", usage: timestampUsage, run: runTimestamp},
	"init":      {summary: "create the clerk's store: import the .p12, the hub address and the roots", usage: initUsage, run: runInit},
	"send":      {summary: "issue a document: number, sign, seal, queue and send", usage: sendUsage, run: runSend},
	"sync":      {summary: "sync with the hub once, or keep syncing with --watch", usage: syncUsage, run: runSync},
	"inbox":     {summary: "list received documents", usage: listUsage, run: runInbox},
	"outbox":    {summary: "list issued documents and what waits to be sent", usage: listUsage, run: runOutbox},
	"show":      {summary: "show a document, its signatures and statuses", usage: showUsage, run: runShow},
	"status":    {summary: "set a status on a received document (03, 04, 05, 06, 02, 15, 16)", usage: statusUsage, run: runStatus},
	"recall":    {summary: "recall an issued document", usage: recallUsage, run: runRecall},
	"register":  {summary: "export a register (sổ đi, sổ đến, sổ theo dõi) as CSV", usage: registerUsage, run: runRegister},
	"verify":    {summary: "check the signatures of a PDF", usage: verifyUsage, run: runVerify},
	"directory": {summary: "search the cached agency directory", usage: directoryUsage, run: runDirectory},
	"evidence":  {summary: "export a document's evidence bundle for auditors", usage: evidenceUsage, run: runEvidence},
}

func mainUsage() string {
	var b strings.Builder
	b.WriteString("usage: lienthong-clerk COMMAND [flags] [args]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, commands[n].summary)
	}
	b.WriteString("\nRun 'lienthong-clerk COMMAND --help' for a command's flags.\n")
	return b.String()
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "lienthong-clerk: error: no command given (see lienthong-clerk --help)")
		return exitUsage
	}
	if args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stdout, mainUsage())
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "lienthong-clerk: error: unknown command %q (see lienthong-clerk --help)\n", args[0])
		return exitUsage
	}
	err := cmd.run(args[1:], stdout)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		fmt.Fprint(stdout, cmd.usage)
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "lienthong-clerk: error: %s (see lienthong-clerk %s --help)\n", oneLine(err.Error()), args[0])
		return exitUsage
	default:
		fmt.Fprintf(stderr, "lienthong-clerk: error: %s\n", oneLine(err.Error()))
		return exitError
	}
}

var errHelp = errors.New("help requested")

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
