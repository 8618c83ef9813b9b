package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"lienthong/certs"
	"lienthong/internal/cli"
)

var importCmd = &cli.Command{
	Name:    "import",
	Summary: "read a PKCS#12 file into PEM certificate and key files",
	Setup: func(fs *flag.FlagSet) cli.Run {
		in := fs.String("in", "", "PKCS#12 `file` to read (required)")
		p12PassFile := fs.String("p12-passphrase-file", "", "`file` holding the passphrase of the PKCS#12 file (required)")
		out := fs.String("out", "", "output `prefix`: writes PREFIX.crt and PREFIX.key (required)")
		keyPassFile := fs.String("key-passphrase-file", "", "`file` holding the passphrase that encrypts the written key (required)")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if err := cli.Required(fs, "in", "p12-passphrase-file", "out", "key-passphrase-file"); err != nil {
				return err
			}
			data, err := os.ReadFile(*in)
			if err != nil {
				return err
			}
			p12Pass, err := passphrase(env, *p12PassFile, "")
			if err != nil {
				return err
			}
			kp, err := certs.DecodePKCS12(data, string(p12Pass))
			if errors.Is(err, certs.ErrWrongPassphrase) {
				return fmt.Errorf("%s: wrong passphrase", *in)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", *in, err)
			}
			keyPass, err := passphrase(env, *keyPassFile, "")
			if err != nil {
				return err
			}
			keyPEM, err := certs.EncryptKeyPEM(kp.Key, keyPass)
			if err != nil {
				return err
			}
			if err := certs.WriteNewFile(*out+".key", keyPEM, 0o600); err != nil {
				return err
			}
			if err := certs.WriteNewFile(*out+".crt", kp.CertificatePEM(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "imported %s\nwrote %s.crt and %s.key\n", describe(kp.Leaf), *out, *out)
			return nil
		}
	},
}
