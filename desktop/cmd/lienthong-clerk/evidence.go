package main

import (
	"bytes"
	"flag"
	"fmt"

	"lienthong/certs"
	"lienthong/internal/cli"
)

var evidenceCmd = &cli.Command{
	Name:    "evidence",
	Args:    "DOC",
	Summary: "export a document's evidence bundle for auditors",
	Help: `Writes the document's evidence bundle (a zip: packet, PDFs, receipts, statuses,
log entries with inclusion proofs and the hub's signed checkpoint) for
lienthong-verify evidence. Needs the hub.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, false)
		out := fs.String("out", "", "the bundle's `file`, a new one (required)")
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 || *out == "" {
				return cli.Usagef("give DOC and --out FILE")
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := signalContext(env)
			defer cancel()
			var buf bytes.Buffer
			if err := c.ExportEvidence(ctx, args[0], &buf); err != nil {
				return err
			}
			if err := certs.WriteNewFile(*out, buf.Bytes(), 0o600); err != nil {
				return fmt.Errorf("write %s: %w", *out, err)
			}
			fmt.Fprintf(env.Stdout, "wrote %s (%d bytes)\n", *out, buf.Len())
			return nil
		}
	},
}
