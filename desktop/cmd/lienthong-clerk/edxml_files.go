package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/internal/cli"
	"lienthong/shared/document"
)

var edxmlImportCmd = &cli.Command{
	Name:    "edxml import",
	Args:    "FILE.edxml",
	Summary: "file an edXML document or status from a system not connected to the hub",
	Help: `Files an edXML packet (QCVN 102:2016) handed over by file, after the checks
a packet from the hub passes: the XML signature verified against the
store's roots and cached CRLs, the signer an agency certificate allowed to
issue documents and naming the packet's sender, this agency among the
recipients, the metadata valid, every attachment a PDF under an allowed
name and within the size limit, each PDF's signatures verified.

A document is filed in the inbox with its 01, registered at once in the
incoming register (03: prints the số đến) and kept with the packet's bytes
as received. It has no copy at the hub: its later statuses are recorded,
not sent; hand them to the sender with "edxml export DOC --status CODE".
The same document imported twice is refused as a duplicate.

A status packet (an answer to a document this agency sent) is added to the
history of the recipient that sent it.

An unsigned packet, or one signed under roots this store does not trust,
is refused unless --unsigned-ok is given: then it is filed and recorded as
not verified. The PDF's own signatures are checked and reported either way.
A signature that does not match the packet (tampered) is always refused.

Nothing is stored when a check fails; the error is followed by what the
clerk reads about it (in Vietnamese, or English when LANG is en).`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, true)
		unsignedOK := fs.Bool("unsigned-ok", false, "file an unsigned packet, or one not under the roots, as not verified")
		refuseWeak := fs.Bool("refuse-weak", false, "refuse SHA-1 signatures instead of warning")
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one edXML file")
			}
			data, err := readPacketFile(args[0])
			if err != nil {
				return explained(env, err)
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := signalContext(env)
			defer cancel()
			in, err := c.ImportEdXML(ctx, data, clerk.ImportOptions{UnsignedOK: *unsignedOK, RefuseWeak: *refuseWeak})
			if err != nil {
				return explained(env, fmt.Errorf("%s: %w", args[0], err))
			}
			return printImported(env.Stdout, in, *f.json)
		}
	},
}

// explained adds to err, as its hint, what the clerk reads about it.
func explained(env *cli.Env, err error) error {
	cat := i18n.New(i18n.FromLocale(env.Getenv))
	return cli.Hint(err, clerk.Explain(err).Message(cat))
}

// The JSON shape of edxml import.
type importedJSON struct {
	ID      string                 `json:"id"`
	Kind    string                 `json:"kind"` // "document" or "status"
	Arrival int                    `json:"arrival,omitempty"`
	Status  *document.StatusUpdate `json:"status,omitempty"`
	Check   clerk.EdXMLCheck       `json:"check"`
	// PDFs says, per attachment, whether its signatures are valid.
	PDFs []string `json:"pdfs,omitempty"`
}

func printImported(w io.Writer, in *clerk.Imported, asJSON bool) error {
	j := importedJSON{ID: in.ID, Kind: "document", Arrival: in.Arrival, Status: in.Status, Check: in.Check}
	if in.Status != nil {
		j.Kind = "status"
	}
	for _, r := range in.Reports {
		switch {
		case r == nil:
			j.PDFs = append(j.PDFs, "unreadable")
		case len(r.Signatures) == 0:
			j.PDFs = append(j.PDFs, "unsigned")
		case r.Valid():
			j.PDFs = append(j.PDFs, "valid")
		default:
			j.PDFs = append(j.PDFs, "invalid")
		}
	}
	if asJSON {
		return writeJSON(w, j)
	}
	if in.Status != nil {
		fmt.Fprintf(w, "status %s from %s filed on %s\n", in.Status.Code, in.Status.From, in.ID)
	} else {
		fmt.Fprintf(w, "filed %s, số đến %d\n", in.ID, in.Arrival)
	}
	if in.Check.Verified {
		fmt.Fprintf(w, "xml signature: verified, by %s\n", in.Check.Signer)
	} else {
		fmt.Fprintf(w, "xml signature: NOT VERIFIED (%s)", in.Check.Trust)
		if in.Check.TrustDetail != "" {
			fmt.Fprintf(w, ": %s", in.Check.TrustDetail)
		}
		fmt.Fprintln(w)
	}
	for i, p := range j.PDFs {
		fmt.Fprintf(w, "attachment[%d] pdf signatures: %s\n", i+1, p)
	}
	for _, x := range in.Check.Warnings {
		fmt.Fprintf(w, "warning: %s\n", x)
	}
	return nil
}

var edxmlExportCmd = &cli.Command{
	Name:    "edxml export",
	Args:    "DOC",
	Summary: "write a document, or one of its statuses, as a signed edXML packet",
	Help: `Writes a document of the store, sent or received, as an edXML packet
(QCVN 102:2016) with its attachments, signed with the agency's key
(enveloped XML-DSig, RSA-SHA256 or ECDSA-SHA256, exclusive C14N; xmlsec1
--verify accepts it), for a system not connected to the hub. A document
imported from edXML keeps the elements that have no field here, written
back where they were.

With --status CODE it writes a status packet instead: on a received
document this agency's latest status with that code (03 registered, 02
refused, 04, 05, 06...), to hand to the sender; on a sent document the
latest with that code from the recipient --agency (default: the first
recipient that has one).`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, false)
		out := fs.String("out", "", "the edXML `file` to write (required)")
		status := fs.String("status", "", "write the status with this `code` instead of the document")
		agency := fs.String("agency", "", "with --status on a sent document: the recipient's `code`")
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one document id")
			}
			if *out == "" {
				return cli.Usagef("--out is required")
			}
			if *status != "" && !document.Status(*status).Valid() {
				return cli.Usagef("--status %q is not a status code", *status)
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			var buf bytes.Buffer
			if *status != "" {
				err = c.ExportEdXMLStatus(args[0], document.Status(*status), certs.AgencyCode(*agency), &buf)
			} else {
				err = c.ExportEdXML(args[0], &buf)
			}
			if err != nil {
				return explained(env, err)
			}
			if err := certs.ReplaceFile(*out, buf.Bytes(), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %s (%d bytes)\n", *out, buf.Len())
			return nil
		}
	},
}
