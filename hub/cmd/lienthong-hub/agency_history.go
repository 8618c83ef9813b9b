package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/internal/cli"
)

var agencyHistoryCmd = &cli.Command{
	Name:    "agency history",
	Args:    "CODE",
	Summary: "show every version of an agency's directory entry",
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 1, "one agency code"); err != nil {
				return err
			}
			st, closeStore, err := openStore(*path)
			if err != nil {
				return err
			}
			defer closeStore()
			hist, err := st.AgencyHistory(context.Background(), certs.AgencyCode(args[0]))
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			for _, h := range hist {
				state := "active"
				if !h.Active {
					state = "inactive"
				}
				if h.SupersededBy != "" {
					state += ", superseded by " + string(h.SupersededBy)
				}
				if h.Closed() {
					state += ", closed on " + store.Day(h.ClosedOn)
				}
				fmt.Fprintf(env.Stdout, "%s  %s  %s (%s)\n", h.At.UTC().Format(time.RFC3339), h.Code, h.Name, state)
			}
			return nil
		}
	},
}
