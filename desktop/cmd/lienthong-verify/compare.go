package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"lienthong/desktop/audit"
	"lienthong/internal/cli"
	"lienthong/shared/hubclient"
)

var compareCmd = &cli.Command{
	Name:    "compare",
	Args:    "[AUTH] STATE_A STATE_B",
	Summary: "compare two auditors' checkpoints",
	Help: `Checks that two auditors' saved checkpoints belong to one history of the log.
Checkpoints of different sizes need a consistency proof from the hub (AUTH).`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		h := newHubFlags(fs)
		l := newLogFlags(fs)
		return func(env *cli.Env, args []string) error {
			if len(args) != 2 {
				return cli.Usagef("want two state files")
			}
			lg, err := l.log()
			if err != nil {
				return err
			}
			var states [2]audit.State
			for i, p := range args {
				if states[i], err = audit.LoadState(p); err != nil {
					return err
				}
				if states[i].Checkpoint == "" {
					return fmt.Errorf("%s holds no checkpoint", p)
				}
			}
			var cl *hubclient.Client
			if *h.hub != "" {
				if cl, err = h.client(); err != nil {
					return err
				}
				defer cl.Close()
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := audit.Compare(ctx, cl, lg, states[0], states[1]); err != nil {
				return auditError(err)
			}
			fmt.Fprintf(env.Stdout, "OK: the two checkpoints (%d and %d entries) belong to one history\n", states[0].Size, states[1].Size)
			return nil
		}
	},
}
