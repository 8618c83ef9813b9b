package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"lienthong/certs"
	"lienthong/internal/cli"
)

var revocationReasons = map[string]int{
	"unspecified": 0, "key-compromise": 1, "affiliation-changed": 3, "superseded": 4, "cessation": 5,
}

var revokeCmd = &cli.Command{
	Name:    "revoke",
	Args:    "CERT",
	Summary: "revoke a certificate and publish a new CRL",
	Setup: func(fs *flag.FlagSet) cli.Run {
		dir := fs.String("dir", "", "the PKI's folder `DIR` (required)")
		passFile := fs.String("passphrase-file", "", "`file` holding the passphrase of the CA keys")
		reason := fs.String("reason", "unspecified", "`reason`: unspecified, key-compromise, affiliation-changed, superseded or cessation")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 1, "the certificate file to revoke"); err != nil {
				return err
			}
			if err := cli.Required(fs, "dir"); err != nil {
				return err
			}
			code, ok := revocationReasons[*reason]
			if !ok {
				return cli.Usagef("unknown reason %q", *reason)
			}
			list, err := certs.ReadCertificates(args[0])
			if err != nil {
				return err
			}
			p, err := openPKI(env, *dir, *passFile)
			if err != nil {
				return err
			}
			if err := p.Revoke(list[0], code, time.Now()); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "revoked %s\npublished %s\n", describe(list[0]), filepath.Join(*dir, certs.CRLFile))
			return nil
		}
	},
}
