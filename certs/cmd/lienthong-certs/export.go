package main

import (
	"errors"
	"flag"
	"fmt"

	"lienthong/certs"
	"lienthong/internal/cli"
)

var exportCmd = &cli.Command{
	Name:    "export",
	Summary: "write a certificate and its key as a PKCS#12 file",
	Setup: func(fs *flag.FlagSet) cli.Run {
		certFile := fs.String("cert", "", "PEM certificate `file`, chain included (required)")
		keyFile := fs.String("key", "", "PEM private key `file` (required)")
		keyPassFile := fs.String("key-passphrase-file", "", "`file` holding the passphrase of the key, if it is encrypted")
		out := fs.String("out", "", "PKCS#12 `file` to write (required)")
		p12PassFile := fs.String("p12-passphrase-file", "", "`file` holding the passphrase that protects the PKCS#12 file (required)")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if err := cli.Required(fs, "cert", "key", "out", "p12-passphrase-file"); err != nil {
				return err
			}
			keyPass, err := passphrase(env, *keyPassFile, "Passphrase of the key")
			if err != nil {
				return err
			}
			kp, err := certs.OpenSigner(certs.SignerRef{Cert: *certFile, Key: *keyFile, Passphrase: keyPass})
			if errors.Is(err, certs.ErrPassphraseNeeded) {
				return cli.Hint(errors.New("the key is encrypted"), "give --key-passphrase-file")
			}
			if err != nil {
				return err
			}
			p12Pass, err := passphrase(env, *p12PassFile, "")
			if err != nil {
				return err
			}
			data, err := certs.EncodePKCS12(kp, string(p12Pass))
			if err != nil {
				return err
			}
			if err := certs.WriteNewFile(*out, data, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %s for %s\n", *out, describe(kp.Leaf))
			return nil
		}
	},
}
