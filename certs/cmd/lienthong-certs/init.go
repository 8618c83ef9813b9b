package main

import (
	"flag"
	"fmt"

	"lienthong/certs"
	"lienthong/internal/cli"
)

var initCmd = &cli.Command{
	Name:    "init",
	Summary: "create a root CA and an issuing CA in a new PKI folder",
	Help:    "Creates DIR with a root CA and an issuing CA, their keys encrypted with the\npassphrase in --passphrase-file, and an empty CRL.",
	Setup: func(fs *flag.FlagSet) cli.Run {
		dir := fs.String("dir", "", "the new PKI's folder `DIR` (required)")
		alg := algFlag(fs)
		passFile := fs.String("passphrase-file", "", "`file` holding the passphrase that encrypts the CA keys (required)")
		crlURL := fs.String("crl-url", "", "`URL` where the CRL is published (written into every certificate)")
		rootName := fs.String("root-name", "Lienthong Root CA", "common `name` of the root CA")
		issuingName := fs.String("issuing-name", "Lienthong Issuing CA", "common `name` of the issuing CA")
		org := fs.String("org", "", "`organization` operating the CA")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if err := cli.Required(fs, "dir", "passphrase-file"); err != nil {
				return err
			}
			a, err := keyAlg(*alg)
			if err != nil {
				return err
			}
			pass, err := passphrase(env, *passFile, "")
			if err != nil {
				return err
			}
			p, err := certs.InitPKI(*dir, certs.InitOptions{
				Root:         certs.CAName{CommonName: *rootName, Organization: *org},
				Issuing:      certs.CAName{CommonName: *issuingName, Organization: *org},
				KeyAlgorithm: a, CRLURL: *crlURL, Passphrase: pass,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "created PKI in %s\nroot:    %s\nissuing: %s\n", *dir, describe(p.Root), describe(p.Issuing.Cert))
			return nil
		}
	},
}
