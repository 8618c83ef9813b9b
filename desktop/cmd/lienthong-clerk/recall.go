package main

import (
	"flag"
	"fmt"

	"lienthong/internal/cli"
)

var recallCmd = &cli.Command{
	Name:    "recall",
	Args:    "DOC",
	Summary: "recall an issued document",
	Help: `Recalls (thu hồi) an issued document: recipients that have not fetched it never
will; those that have are asked to answer 15 or 16. Prints the recall's id.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, false)
		reason := fs.String("reason", "", "why the document is recalled, for the recipients (required)")
		noSync := noSyncFlag(fs)
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one document id")
			}
			if *reason == "" {
				return cli.Usagef("--reason is required")
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := signalContext(env)
			defer cancel()
			rid, err := c.Recall(ctx, args[0], *reason)
			if err != nil {
				return err
			}
			if !*noSync {
				trySync(c, env.Stdout, false)
			}
			fmt.Fprintln(env.Stdout, rid)
			return nil
		}
	},
}
