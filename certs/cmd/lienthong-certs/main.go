// Command lienthong-certs runs Lienthong's PKI: it creates the government
// root and issuing CA, issues hub, agency, person and timestamping
// certificates, revokes them and publishes the CRL, converts to and from
// PKCS#12, and creates a complete demo PKI in one step.
//
// Usage:
//
//	lienthong-certs init    --dir DIR --passphrase-file FILE [--alg ALG] [--crl-url URL] [--root-name NAME] [--issuing-name NAME] [--org ORG]
//	lienthong-certs issue   hub|agency|person|tsa --dir DIR --out PREFIX [flags]
//	lienthong-certs revoke  --dir DIR [--reason REASON] CERT
//	lienthong-certs crl     --dir DIR
//	lienthong-certs export  --cert FILE --key FILE --out FILE.p12 --p12-passphrase-file FILE [--key-passphrase-file FILE]
//	lienthong-certs import  --in FILE.p12 --p12-passphrase-file FILE --out PREFIX --key-passphrase-file FILE
//	lienthong-certs verify  --roots FILE [--crl FILE] CERT
//	lienthong-certs show    CERT
//	lienthong-certs demo    --out DIR [--alg ALG]
//
// Each command is in a file of its own; "lienthong-certs COMMAND --help"
// lists its flags. Errors are one line, "lienthong-certs: error: ...",
// sometimes followed by a "lienthong-certs: hint: ..." line, with exit
// status 1; bad usage exits 2.
package main

import (
	"os"

	"lienthong/internal/cli"
)

var program = &cli.Program{
	Name:    "lienthong-certs",
	Summary: "run Lienthong's PKI: CAs, certificates, CRLs, PKCS#12",
	Commands: []*cli.Command{
		initCmd,
		issueHubCmd, issueAgencyCmd, issuePersonCmd, issueReceiptCmd, issueTSACmd,
		revokeCmd, crlCmd, exportCmd, importCmd, verifyCmd, showCmd, demoCmd,
	},
	Groups:    map[string]string{"issue": "kind"},
	Footer:    "Exit status: 0 done, 1 error, 2 wrong command line.\n",
	ExitError: 1, ExitUsage: 2,
}

func main() {
	os.Exit(program.Main(os.Args[1:], &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
