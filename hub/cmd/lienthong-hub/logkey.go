package main

import (
	"crypto/rand"
	"flag"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"lienthong/certs"
	"lienthong/internal/cli"
)

var logKeyCmd = &cli.Command{
	Name:    "logkey",
	Summary: "make the key that signs the transparency log's checkpoints",
	Help:    "Writes the signer key to --out (keep it secret; the configuration's log_key)\nand the verifier key to --out.pub (give it to auditors).",
	Setup: func(fs *flag.FlagSet) cli.Run {
		name := fs.String("name", "", "the key's `name`, usually the hub's host name (required)")
		out := fs.String("out", "", "`file` for the signer key; the verifier key goes to FILE.pub (required)")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if *name == "" || *out == "" {
				return cli.Usagef("logkey: --name and --out are required")
			}
			skey, vkey, err := note.GenerateKey(rand.Reader, *name)
			if err != nil {
				return err
			}
			if err := certs.WriteNewFile(*out, []byte(skey+"\n"), 0o600); err != nil {
				return err
			}
			if err := certs.WriteNewFile(*out+".pub", []byte(vkey+"\n"), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %s (keep it secret) and %s.pub (give it to auditors):\n%s\n", *out, *out, vkey)
			return nil
		}
	},
}
