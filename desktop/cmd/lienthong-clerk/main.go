// Command lienthong-clerk is the clerk's command-line tool. Its first
// subcommands sign and timestamp PDF documents:
//
//	lienthong-clerk sign --cert FILE --key FILE [--passphrase-file FILE] [--roots FILE]
//	    [--visible agency-stamp|image --image PNG [--seal PNG] --page N --rect x1,y1,x2,y2]
//	    [--number N --notation X] [--tsa URL] [--reason TEXT] [--location TEXT] IN.pdf OUT.pdf
//	lienthong-clerk sign --p12 FILE --passphrase-file FILE ... IN.pdf OUT.pdf
//	lienthong-clerk timestamp --tsa URL IN.pdf OUT.pdf
//
// The clerk's work, over the encrypted store in --home (default
// $XDG_DATA_HOME/lienthong, else the user's configuration folder +
// /lienthong), with the store's passphrase from --passphrase-file,
// $LIENTHONG_PASSPHRASE or the terminal:
//
//	lienthong-clerk init --p12 FILE --p12-passphrase-file FILE --hub HOST:PORT --roots FILE
//	lienthong-clerk send [--meta FILE.json] [metadata flags] --to CODE... MAIN.pdf [MORE.pdf...]
//	lienthong-clerk sync [--watch]
//	lienthong-clerk inbox|outbox [--unread] [--search TEXT] [--json]
//	lienthong-clerk show DOC [--json]
//	lienthong-clerk status DOC CODE [--reason TEXT] [--note TEXT] [--staff NAME]
//	lienthong-clerk recall DOC --reason TEXT
//	lienthong-clerk register export --book out|in|followup --format csv [--year Y] [--out FILE]
//	lienthong-clerk verify FILE.pdf [--json]
//	lienthong-clerk directory [--search TEXT] [--json]
//	lienthong-clerk evidence DOC --out FILE
//
// Errors are one line on stderr, "lienthong-clerk: error: ...", with exit
// status 1; a wrong command line exits with status 2. More subcommands
// join the table in commands.go.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
