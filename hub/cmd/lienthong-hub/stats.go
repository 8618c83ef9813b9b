package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/internal/cli"
)

var statsCmd = &cli.Command{
	Name:    "stats",
	Summary: "print per-agency statistics",
	Help:    "Prints, per agency, the documents sent, received, acknowledged and withdrawn,\nand the statuses set.",
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		agency := fs.String("agency", "", "one agency's `code`; all agencies when empty")
		asJSON := fs.Bool("json", false, "print JSON")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			st, closeStore, err := openStore(*path)
			if err != nil {
				return err
			}
			defer closeStore()
			ctx := context.Background()
			codes := []certs.AgencyCode{certs.AgencyCode(*agency)}
			if *agency == "" {
				list, err := st.Agencies(ctx)
				if err != nil {
					return err
				}
				codes = codes[:0]
				for _, a := range list {
					codes = append(codes, a.Code)
				}
			}
			var all []store.AgencyStats
			for _, code := range codes {
				s, err := st.Stats(ctx, code)
				if err != nil {
					return err
				}
				all = append(all, s)
			}
			if *asJSON {
				return json.NewEncoder(env.Stdout).Encode(all)
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "AGENCY\tSENT\tRECEIVED\tACKED\tWITHDRAWN\tSTATUSES")
			for _, s := range all {
				var parts []string
				for code, n := range s.Statuses {
					parts = append(parts, fmt.Sprintf("%s:%d", code, n))
				}
				sort.Strings(parts)
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", s.Agency, s.Sent, s.Received, s.Acked, s.Withdrawn, strings.Join(parts, " "))
			}
			return tw.Flush()
		}
	},
}
