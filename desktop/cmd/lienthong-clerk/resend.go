package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/internal/cli"
	"lienthong/shared/document"
)

var resendCmd = &cli.Command{
	Name:    "resend",
	Args:    "DOC",
	Summary: "send a document the hub returned again, re-addressed",
	Help: `Sends a document the hub returned (refused for good: a recipient whose code a
reorganisation closed, say) again, as a new message under the same number,
notation and date with the same signed files, to the --to recipients, or
without --to to the successors the hub named. The returned document stays
in the register, marked as sent again. Prints "ID NUMBER/NOTATION sent|queued".`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, true)
		var to multiFlag
		fs.Var(&to, "to", "recipient agency `code`; repeat for each (default: the successors the hub named)")
		noSync := noSyncFlag(fs)
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one document id")
			}
			var rs []document.Recipient
			for _, code := range to {
				ac, err := certs.ParseAgencyCode(code)
				if err != nil {
					return cli.Usagef("--to %s: %v", code, err)
				}
				rs = append(rs, document.Recipient{Code: ac})
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := signalContext(env)
			defer cancel()
			id, err := c.Resend(ctx, args[0], rs)
			if rc, ok := clerk.RecipientClosedOf(err); ok {
				return closedHint(rc)
			}
			if errors.Is(err, clerk.ErrNotReturned) {
				return cli.Hint(err, "only a document the hub returned, and only once")
			}
			if err != nil {
				return err
			}
			return sendOutcome(env, c, id, *f.json, *noSync)
		}
	},
}

// sendOutcome pushes a queued document (unless noSync) and prints its id,
// number and state; a document the hub returns is an error saying why and
// how to send it again.
func sendOutcome(env *cli.Env, c *clerk.Clerk, id string, asJSON, noSync bool) error {
	var returned error
	if !noSync {
		events, stop := c.Subscribe()
		trySync(c, env.Stdout, asJSON)
		stop()
		for ev := range events {
			if r, ok := ev.(clerk.DocumentReturned); ok && r.ID == id {
				returned = r.Err
			}
		}
	}
	if returned != nil {
		return returnedHint(id, returned)
	}
	v, err := c.Document(id)
	if err != nil {
		return err
	}
	dm := v.Doc.Payload.Metadata
	out := struct {
		ID       string `json:"id"`
		Number   string `json:"number"`
		Notation string `json:"notation"`
		Sent     bool   `json:"sent"`
	}{id, dm.CodeNumber, dm.CodeNotation, !v.Doc.SentAt.IsZero()}
	if asJSON {
		return writeJSON(env.Stdout, out)
	}
	state := "queued"
	if out.Sent {
		state = "sent"
	}
	fmt.Fprintf(env.Stdout, "%s %s %s\n", id, document.FormatNumberNotation(out.Number, out.Notation), state)
	return nil
}

// returnedHint says why the hub returned document id and, when it named
// successors, the resend to run.
func returnedHint(id string, answer error) error {
	vi := i18n.New(i18n.Vietnamese)
	msg := errors.New(vi.T(i18n.DocReturned, clerk.Explain(answer).Message(vi)))
	rc, ok := clerk.RecipientClosedOf(answer)
	if !ok {
		return msg
	}
	var codes []string
	for _, cl := range rc.Closed {
		codes = append(codes, string(cl.Successor))
	}
	return cli.Hint(msg, i18n.New(i18n.English).T(i18n.ResendHint, id, strings.Join(codes, " --to ")))
}
