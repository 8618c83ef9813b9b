package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"lienthong/certs"
	"lienthong/internal/cli"
)

var verifyCmd = &cli.Command{
	Name:    "verify",
	Args:    "CERT",
	Summary: "check a certificate against roots and a CRL",
	Setup: func(fs *flag.FlagSet) cli.Run {
		rootsFile := fs.String("roots", "", "PEM `file` of trusted root certificates (required)")
		crlFile := fs.String("crl", "", "CRL `file` to check revocation against (PEM or DER)")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 1, "the certificate file to verify"); err != nil {
				return err
			}
			if err := cli.Required(fs, "roots"); err != nil {
				return err
			}
			roots, err := certs.ReadCertificates(*rootsFile)
			if err != nil {
				return err
			}
			v, err := certs.NewVerifier(roots)
			if err != nil {
				return err
			}
			revocation := "not checked (no --crl)"
			if *crlFile != "" {
				data, err := os.ReadFile(*crlFile)
				if err != nil {
					return err
				}
				crl, err := certs.ParseCRL(data)
				if err != nil {
					return err
				}
				v.SetCRLs(crl)
				revocation = "checked against " + *crlFile
			}
			chain, err := certs.ReadCertificates(args[0])
			if err != nil {
				return err
			}
			verified, err := v.Chain(chain, time.Time{}, anyUsage)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(env.Stdout, "OK: %s\nchain: %d certificates to %q\nrevocation: %s\n", describe(chain[0]), len(verified), verified[len(verified)-1].Subject.CommonName, revocation)
			if len(verified) >= 2 {
				status, _ := v.Revocation(chain[0], verified[1])
				fmt.Fprintf(env.Stdout, "status: %s\n", status)
			}
			return nil
		}
	},
}
