package main

import (
	"bufio"
	"flag"
	"fmt"

	"lienthong/desktop/store"
	"lienthong/internal/cli"
)

var directoryCmd = &cli.Command{
	Name:    "directory",
	Summary: "search the cached agency directory",
	Help: `Lists agencies of the cached directory (refreshed by sync), searching names
with or without diacritics.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, true)
		search := fs.String("search", "", "only agencies whose name has words starting with each word of `text`")
		limit := fs.Int("limit", 50, "at most `n` agencies")
		return func(env *cli.Env, args []string) error {
			if len(args) != 0 {
				return cli.Usagef("no arguments expected")
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			as, err := c.Directory(*search, *limit)
			if err != nil {
				return err
			}
			if *f.json {
				if as == nil {
					as = []store.Agency{}
				}
				return writeJSON(env.Stdout, as)
			}
			w := bufio.NewWriter(env.Stdout)
			for _, a := range as {
				fmt.Fprintf(w, "%s  %s\n", a.Code, a.Name)
			}
			return w.Flush()
		}
	},
}
