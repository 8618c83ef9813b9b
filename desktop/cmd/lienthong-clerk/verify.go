package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"lienthong/internal/cli"
)

var verifyCmd = &cli.Command{
	Name:    "verify",
	Args:    "FILE.pdf",
	Summary: "check the signatures of a PDF",
	Help: `Checks every signature of a PDF against the store's trusted roots. Exits 0
only if there is at least one signature and all are valid. (Auditors without
a store use lienthong-verify.)`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, true)
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one PDF")
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			rep, err := c.VerifyFile(args[0])
			if err != nil {
				return err
			}
			if *f.json {
				if err := writeJSON(env.Stdout, rep); err != nil {
					return err
				}
			} else {
				for _, s := range rep.Signatures {
					state := "valid"
					if !s.Valid() {
						state = "INVALID: " + strings.Join(s.Problems, "; ")
					}
					fmt.Fprintf(env.Stdout, "%s: %s (%s) %s\n", s.Field, s.Signer, s.Level, state)
				}
			}
			if !rep.Valid() {
				return errors.New("the document's signatures are not all valid")
			}
			return nil
		}
	},
}
