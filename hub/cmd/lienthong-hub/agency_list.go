package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"

	"lienthong/internal/cli"
)

var agencyListCmd = &cli.Command{
	Name:    "agency list",
	Summary: "list the directory's agencies",
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
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
			list, err := st.Agencies(context.Background())
			if err != nil {
				return err
			}
			if *asJSON {
				return json.NewEncoder(env.Stdout).Encode(list)
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tLEVEL\tACTIVE\tNAME")
			for _, a := range list {
				fmt.Fprintf(tw, "%s\t%d\t%v\t%s\n", a.Code, a.Level, a.Active, a.Name)
			}
			return tw.Flush()
		}
	},
}
