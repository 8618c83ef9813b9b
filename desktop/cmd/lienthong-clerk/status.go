package main

import (
	"flag"
	"fmt"

	"lienthong/internal/cli"
	"lienthong/shared/document"
)

var statusCmd = &cli.Command{
	Name:    "status",
	Args:    "DOC CODE",
	Summary: "set a status on a received document (03, 04, 05, 06, 02, 15, 16)",
	Help: `Sets a status on a received document and sends it to the sender:
03 register (prints the số đến), 04 assign (--note: to whom), 05 processing,
06 completed, 02 refuse (--reason required), 15/16 accept or refuse a recall
(--reason required for 16).`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, false)
		reason := fs.String("reason", "", "why: required to refuse (02) or to refuse a recall (16)")
		note := fs.String("note", "", "for 04, to whom the document is assigned; for 05 and 06, a note")
		staff := fs.String("staff", "", "`name` of the clerk or officer who acts")
		noSync := noSyncFlag(fs)
		return func(env *cli.Env, args []string) error {
			if len(args) != 2 {
				return cli.Usagef("give DOC and CODE")
			}
			id, code := args[0], document.Status(args[1])
			if !code.Valid() || code == document.StatusArrived || code == document.StatusRecalled {
				return cli.Usagef("status code %q: use 02, 03, 04, 05, 06, 15 or 16", args[1])
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			switch code {
			case document.StatusReceived:
				n, err := c.Register(id, *staff)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "số đến %d\n", n)
			case document.StatusAssigned:
				err = c.Assign(id, *note, *staff)
			case document.StatusProcessing:
				err = c.Process(id, *staff, *note)
			case document.StatusCompleted:
				err = c.Complete(id, *staff, *note)
			case document.StatusRefused:
				err = c.Refuse(id, *staff, *reason)
			case document.StatusAccepted, document.StatusRejected:
				err = c.AnswerRecall(id, code == document.StatusAccepted, *staff, *reason)
			}
			if err != nil {
				return err
			}
			if !*noSync {
				trySync(c, env.Stdout, false)
			}
			return nil
		}
	},
}
