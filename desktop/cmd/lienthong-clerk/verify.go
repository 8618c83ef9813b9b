package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/internal/cli"
	"lienthong/shared/pades"
)

var verifyCmd = &cli.Command{
	Name:    "verify",
	Args:    "FILE.pdf",
	Summary: "check the signatures of a PDF",
	Help: `Checks every signature of a PDF against the store's trusted roots and the
PKI's current CRLs (fetched from the hub and cached until their next update):
a signer revoked before the proven signing time (the timestamp; without one,
now) makes it invalid. Exits 0
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
					switch {
					case s.Indeterminate:
						state = "INDETERMINATE: " + strings.Join(s.Problems, "; ")
					case !s.Valid():
						state = "INVALID: " + strings.Join(s.Problems, "; ")
					case s.Revocation == pades.RevocationRevokedLater && s.RevokedAt != nil:
						state += " (signer revoked later, on " + s.RevokedAt.UTC().Format(time.RFC3339) + "; the timestamp proves the signature came first)"
					}
					fmt.Fprintf(env.Stdout, "%s: %s (%s) %s\n", s.Field, s.Signer, s.Level, state)
				}
				cat := i18n.New(i18n.FromLocale(env.Getenv))
				for _, s := range c.Signers(rep) {
					fmt.Fprintln(env.Stdout, clerk.SignerLine(cat, s))
				}
			}
			if !rep.Valid() {
				return errors.New("the document's signatures are not all valid")
			}
			return nil
		}
	},
}
