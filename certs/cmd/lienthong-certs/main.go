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
// Errors are one line, "lienthong-certs: error: ...", with exit status 1;
// bad usage exits 2.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
