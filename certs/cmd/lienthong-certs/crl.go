package main

import (
	"flag"
	"fmt"
	"path/filepath"

	"lienthong/certs"
	"lienthong/internal/cli"
)

var crlCmd = &cli.Command{
	Name:    "crl",
	Summary: "publish a fresh CRL",
	Help:    "Signs a new CRL (the same revoked certificates, a new date) into DIR/" + certs.CRLFile + ".",
	Setup: func(fs *flag.FlagSet) cli.Run {
		dir := fs.String("dir", "", "the PKI's folder `DIR` (required)")
		passFile := fs.String("passphrase-file", "", "`file` holding the passphrase of the CA keys")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if err := cli.Required(fs, "dir"); err != nil {
				return err
			}
			p, err := openPKI(env, *dir, *passFile)
			if err != nil {
				return err
			}
			if err := p.PublishCRL(); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "published %s with %d revoked certificate(s)\n", filepath.Join(*dir, certs.CRLFile), len(p.Revoked()))
			return nil
		}
	},
}
