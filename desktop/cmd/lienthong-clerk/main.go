// Command lienthong-clerk is the clerk's command-line tool. Its first
// subcommands sign and timestamp PDF documents:
//
//	lienthong-clerk sign --cert FILE --key FILE [--passphrase-file FILE] [--roots FILE]
//	    [--visible agency-stamp|image --image PNG [--seal PNG] --page N --rect x1,y1,x2,y2]
//	    [--number N --notation X] [--tsa URL] [--reason TEXT] [--location TEXT] IN.pdf OUT.pdf
//	lienthong-clerk sign --p12 FILE --passphrase-file FILE ... IN.pdf OUT.pdf
//	lienthong-clerk timestamp --tsa URL IN.pdf OUT.pdf
//
// Errors are one line on stderr, "lienthong-clerk: error: ...", with exit
// status 1; a wrong command line exits with status 2. More subcommands
// join the table in commands.go.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
