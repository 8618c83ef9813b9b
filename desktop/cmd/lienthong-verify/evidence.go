package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"lienthong/certs"
	"lienthong/internal/cli"
	"lienthong/shared/evidence"
)

var evidenceCmd = &cli.Command{
	Name:    "evidence",
	Args:    "BUNDLE.zip",
	Summary: "check a document's evidence bundle offline",
	Help: `Checks a bundle written by lienthong-clerk evidence: the packet's and the PDFs'
signatures, the hub's receipts, and the log entries' inclusion proofs against
the hub's signed checkpoint. For a document that came as edXML: the packet's
XML signature (or its detached CMS signature), the attachments against the
packet, and that the hub's stored reference names the packet and is what the
receipts name. Receipts count only when signed by the hub's receipt identity
named --receipt-signer. Prints one line per check.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		t := newTrustFlags(fs)
		logKey := logKeyFlag(fs)
		receiptSigner := fs.String("receipt-signer", certs.DefaultReceiptSigner, "`name` of the hub's receipt-signing identity (urn:lienthong:receipts:NAME), given by its operator")
		asJSON := fs.Bool("json", false, "print the report as JSON")
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("want one evidence bundle")
			}
			v, err := t.verifier()
			if err != nil {
				return err
			}
			key, err := readLogKey(*logKey)
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				return err
			}
			b, err := evidence.Read(f, st.Size())
			if err != nil {
				return err
			}
			rep := evidence.Verify(b, evidence.Options{Verifier: v, LogKey: key, ReceiptSigner: *receiptSigner})
			if *asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				_ = enc.Encode(struct {
					*evidence.Report
					OK bool `json:"ok"`
				}{rep, rep.OK()})
			} else {
				for _, ch := range rep.Checks {
					mark := "OK  "
					if !ch.OK {
						mark = "FAIL"
					}
					fmt.Fprintf(env.Stdout, "%s %s", mark, ch.What)
					if ch.Detail != "" {
						fmt.Fprintf(env.Stdout, ": %s", ch.Detail)
					}
					fmt.Fprintln(env.Stdout)
				}
			}
			if !rep.OK() {
				return cli.Exit(exitInvalid)
			}
			return nil
		}
	},
}
