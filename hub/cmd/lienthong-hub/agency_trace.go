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

var agencyTraceCmd = &cli.Command{
	Name:    "agency trace",
	Args:    "CODE",
	Summary: "show where an agency code led on a day, through its successions",
	Help: `Follows the code's successions as they stood on --at (default: today in
Vietnam): each closed code with the day it closed, the act, and the
transparency log entry that recorded the closure, down to the agency that
took the code's documents that day.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		at := fs.String("at", "", "the `day`, yyyy-mm-dd or dd/mm/yyyy (default today)")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 1, "one agency code"); err != nil {
				return err
			}
			code, err := certs.ParseAgencyCode(args[0])
			if err != nil {
				return cli.Usagef("%v", err)
			}
			day := store.DayOf(time.Now())
			if *at != "" {
				if day, err = store.ParseDay(*at); err != nil {
					return cli.Usagef("--at: %v", err)
				}
			}
			st, closeStore, err := openStore(*path)
			if err != nil {
				return err
			}
			defer closeStore()
			ctx := context.Background()
			chain, err := store.Trace(ctx, st, code, day)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "on %s:\n", store.Day(day))
			for i, a := range chain {
				if i == len(chain)-1 {
					state := "open"
					if !a.Active {
						state = "inactive"
					}
					fmt.Fprintf(env.Stdout, "%s  %s  (%s): takes its documents\n", a.Code, a.Name, state)
					break
				}
				closed := "superseded (no day recorded)"
				if a.Closed() {
					closed = "closed on " + store.Day(a.ClosedOn)
				}
				if a.ClosedBasis != "" {
					closed += " by " + a.ClosedBasis
				}
				if idx, ok := closureEntry(ctx, st, a.Code); ok {
					closed += fmt.Sprintf(", log entry %d", idx)
				}
				fmt.Fprintf(env.Stdout, "%s  %s  %s → %s\n", a.Code, a.Name, closed, a.SupersededBy)
			}
			return nil
		}
	},
}

// closureEntry is the log index of the directory change that closed code.
func closureEntry(ctx context.Context, st interface {
	AgencyHistory(context.Context, certs.AgencyCode) ([]store.AgencyChange, error)
}, code certs.AgencyCode) (int64, bool) {
	hist, err := st.AgencyHistory(ctx, code)
	if err != nil {
		return 0, false
	}
	for _, h := range hist {
		if h.Superseded() {
			return h.LogIndex, true
		}
	}
	return 0, false
}
