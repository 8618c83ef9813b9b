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
//
// The report is in Vietnamese, or in English when LC_ALL, LC_MESSAGES or
// LANG (the first one set) starts with "en". --json prints the same report
// as JSON.
//
// Exit status: 0 when every signature is valid, chains to the roots and
// nothing unsigned changed after the last signature; 1 when a signature is
// invalid, untrusted or revoked, when unsigned changes follow a signature,
// or when the document has no signature; 2 when the file cannot be read as
// a PDF (not a PDF, damaged, encrypted) or the command line is wrong.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
