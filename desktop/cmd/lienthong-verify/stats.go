package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"lienthong/desktop/audit"
	"lienthong/internal/cli"
	"lienthong/shared/document"
)

var statsCmd = &cli.Command{
	Name:    "stats",
	Args:    "AUTH",
	Summary: "recount the published statistics from the log",
	Help: `Recounts, from the hub's log verified against its signed checkpoint, the
figures the hub publishes per agency, and prints every mismatch.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		h := newHubFlags(fs)
		l := newLogFlags(fs)
		asJSON := fs.Bool("json", false, "print the report as JSON")
		return func(env *cli.Env, args []string) error {
			if len(args) != 0 {
				return cli.Usagef("no argument is taken")
			}
			lg, cl, err := hubLog(l, h)
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			today := time.Now().In(document.VietnamTime).Format(time.DateOnly)
			rep, err := audit.Recount(ctx, cl, lg, today)
			if err != nil {
				return auditError(err)
			}
			if *asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(rep)
			} else {
				fmt.Fprintf(env.Stdout, "log: %d entries, tree verified against the signed checkpoint\n", rep.LogSize)
				fmt.Fprintf(env.Stdout, "%-15s %6s %9s %10s %10s %8s\n", "AGENCY", "SENT", "RECEIVED", "DELIVERED", "COMPLETED", "OVERDUE")
				for _, n := range rep.Counts {
					fmt.Fprintf(env.Stdout, "%-15s %6d %9d %10d %10d %8d\n", n.Agency, n.Sent, n.Received, n.Delivered, n.Completed, n.Overdue)
				}
				for _, m := range rep.Mismatches {
					fmt.Fprintf(env.Stdout, "MISMATCH %s %s: the hub publishes %d, its log shows %d\n", m.Agency, m.Figure, m.Published, m.Logged)
				}
			}
			if len(rep.Mismatches) > 0 {
				return cli.Exit(exitInvalid)
			}
			return nil
		}
	},
}
