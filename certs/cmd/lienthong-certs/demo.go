package main

import (
	"flag"
	"fmt"

	"lienthong/certs"
	"lienthong/internal/cli"
)

var demoCmd = &cli.Command{
	Name:    "demo",
	Summary: "create a complete demo PKI (keys in the clear)",
	Help:    "Creates, in one step, a root and issuing CA, a hub, a timestamping authority,\nthe demo agencies with their .p12 files and signers, and a log key. The keys\nare NOT ENCRYPTED: for demonstrations and tests only.",
	Setup: func(fs *flag.FlagSet) cli.Run {
		out := fs.String("out", "", "the folder `DIR` to create the demo PKI in (required)")
		alg := algFlag(fs)
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if err := cli.Required(fs, "out"); err != nil {
				return err
			}
			a, err := keyAlg(*alg)
			if err != nil {
				return err
			}
			if err := certs.Demo(*out, a); err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "lienthong-certs: WARNING: the demo PKI's private keys are NOT ENCRYPTED; use it for demonstrations and tests only\n")
			fmt.Fprintf(env.Stdout, "created demo PKI in %s\n", *out)
			for _, ag := range certs.DemoAgencies {
				fmt.Fprintf(env.Stdout, "  %s  %s\n", ag.Code, ag.Name)
			}
			return nil
		}
	},
}
