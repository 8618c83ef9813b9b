package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"lienthong/desktop/audit"
	"lienthong/internal/cli"
)

var logCmd = &cli.Command{
	Name:    "log",
	Args:    "AUTH",
	Summary: "check the log only grew since the saved checkpoint",
	Help: `Fetches the hub's latest signed checkpoint, checks it against the one saved in
--state (the log kept its history and only grew: a consistency proof), and
saves it. The first run saves the first checkpoint.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		h := newHubFlags(fs)
		l := newLogFlags(fs)
		state := fs.String("state", "", "the auditor's state `file`: the last checkpoint seen (required)")
		return func(env *cli.Env, args []string) error {
			if len(args) != 0 || *state == "" {
				return cli.Usagef("--state FILE is required and no argument is taken")
			}
			lg, cl, err := hubLog(l, h)
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := audit.Follow(ctx, cl, lg, *state)
			if err != nil {
				return auditError(err)
			}
			switch {
			case res.First:
				fmt.Fprintf(env.Stdout, "OK: first checkpoint of %s saved: %d entries\n", res.Latest.Origin, res.Latest.Size)
			case res.Latest.Size == res.Previous.Size:
				fmt.Fprintf(env.Stdout, "OK: the log still has %d entries and the same history\n", res.Latest.Size)
			default:
				fmt.Fprintf(env.Stdout, "OK: the log grew from %d to %d entries and kept its history\n", res.Previous.Size, res.Latest.Size)
			}
			return nil
		}
	},
}
