// Command lienthong-clerk is the clerk's command-line tool: the same core
// as the desktop app, without a window, for scripts and servers. It signs
// and timestamps PDF documents:
//
//	lienthong-clerk sign --cert FILE --key FILE [--passphrase-file FILE] [--roots FILE]
//	    [--visible agency-stamp|image --image PNG [--seal PNG] --page N --rect x1,y1,x2,y2]
//	    [--number N --notation X] [--tsa URL] [--reason TEXT] [--location TEXT] IN.pdf OUT.pdf
//	lienthong-clerk sign --p12 FILE --passphrase-file FILE ... IN.pdf OUT.pdf
//	lienthong-clerk timestamp --tsa URL IN.pdf OUT.pdf
//
// and does the clerk's work, over the encrypted store in --home (default
// $XDG_DATA_HOME/lienthong, else the user's configuration folder +
// /lienthong), with the store's passphrase from --passphrase-file,
// $LIENTHONG_PASSPHRASE or the terminal:
//
//	lienthong-clerk init --p12 FILE --p12-passphrase-file FILE --hub HOST:PORT --roots FILE [--proxy URL|none [--proxy-password-file FILE]]
//	lienthong-clerk settings [--hub HOST:PORT] [--proxy URL|none|env [--proxy-password-file FILE]] [--json]
//	lienthong-clerk send [--meta FILE.json] [metadata flags] --to CODE... MAIN.pdf [MORE.pdf...]
//	lienthong-clerk sync [--watch]
//	lienthong-clerk inbox|outbox [--unread] [--search TEXT] [--json]
//	lienthong-clerk show DOC [--json]
//	lienthong-clerk status DOC CODE [--reason TEXT] [--note TEXT] [--staff NAME]
//	lienthong-clerk recall DOC --reason TEXT
//	lienthong-clerk register export --book out|in|followup --format csv|pdf [--year Y] [--out FILE]
//	lienthong-clerk verify FILE.pdf [--json]
//	lienthong-clerk directory [--search TEXT] [--json]
//	lienthong-clerk evidence DOC --out FILE
//
// and reads edXML packets from other systems without filing them, or
// files them and writes them, for a system not connected to the hub:
//
//	lienthong-clerk edxml show FILE.edxml [--roots FILE] [--refuse-weak] [--json]
//	lienthong-clerk edxml import FILE.edxml [--unsigned-ok] [--refuse-weak] [--json]
//	lienthong-clerk edxml export DOC [--status CODE [--agency CODE]] --out FILE.edxml
//
// Each subcommand is in a file of its own; "lienthong-clerk COMMAND --help"
// lists its flags. Errors are one line on stderr, "lienthong-clerk: error:
// ...", sometimes followed by a "lienthong-clerk: hint: ..." line, with exit
// status 1; a wrong command line exits with status 2.
package main

import (
	"io"
	"os"

	"lienthong/internal/cli"
)

var program = &cli.Program{
	Name:    "lienthong-clerk",
	Summary: "the clerk's work without a window: sign, send, receive, registers, evidence",
	Commands: []*cli.Command{
		signCmd, timestampCmd, initCmd, sendCmd, syncCmd, inboxCmd, outboxCmd, showCmd, statusCmd, recallCmd, resendCmd,
		registerExportCmd, verifyCmd, directoryCmd, evidenceCmd, edxmlShowCmd,
		edxmlImportCmd, edxmlExportCmd, settingsCmd,
	},
	Groups: map[string]string{"register": "action", "edxml": "action"},
	Footer: `The store's passphrase comes from --passphrase-file, else $` + EnvPassphrase + `, else
the terminal.
A key in a PKCS#11 token (USB token) is named by an RFC 7512 URI, e.g.
  pkcs11:token=LABEL;object=KEY?module-path=/usr/lib/.../driver.so
(module-path may come from $LIENTHONG_PKCS11_MODULE instead): sign's --key,
send's --person-key (the leader's own token: its PIN from --person-pin-file),
and --seal for the commands that sign with the agency's seal. The PIN is
asked on the terminal without echo, or read from --pin-file; never a flag.
Exit status: 0 done, 1 error, 2 wrong command line.
`,
	ExitError: 1, ExitUsage: 2,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	defer closeTokens()
	return program.Main(args, &cli.Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
}
