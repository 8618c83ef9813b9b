package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/internal/cli"
	"lienthong/shared/document"
)

var showCmd = &cli.Command{
	Name:    "show",
	Args:    "DOC",
	Summary: "show a document, its signatures and statuses",
	Help:    "Shows a document: metadata, attachments, signature report, statuses, receipts.",
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, true)
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("give one document id")
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			v, err := c.Document(args[0])
			if err != nil {
				return err
			}
			return showDocument(env.Stdout, i18n.New(i18n.FromLocale(env.Getenv)), v, *f.json)
		}
	},
}

// showDocument prints a document as text, or as JSON.
func showDocument(stdout io.Writer, cat *i18n.Catalog, v *clerk.DocumentView, asJSON bool) error {
	if asJSON {
		type status struct {
			Agency string    `json:"agency"`
			Code   string    `json:"code"`
			Staff  string    `json:"staff,omitempty"`
			Reason string    `json:"reason,omitempty"`
			Time   time.Time `json:"time"`
		}
		out := struct {
			ID          string             `json:"id"`
			Box         string             `json:"box"`
			Metadata    *document.Metadata `json:"metadata"`
			Attachments any                `json:"attachments"`
			Arrival     string             `json:"arrival_number,omitempty"`
			Sent        bool               `json:"sent"`
			Valid       *bool              `json:"signatures_valid,omitempty"`
			// Signers are the main PDF's signatures in ND30's roles.
			Signers  []clerk.Signer `json:"signers,omitempty"`
			Statuses []status       `json:"statuses"`
			Receipts []string       `json:"receipts"`
			// EdXML is how a document that came as edXML was checked.
			EdXML *clerk.EdXMLCheck `json:"edxml,omitempty"`
			// Returned: the hub refused the document for good.
			Returned *store.Returned `json:"returned,omitempty"`
		}{EdXML: v.EdXML, Returned: v.Doc.Returned, ID: v.Doc.ID, Box: v.Doc.Box.String(), Metadata: v.Doc.Payload.Metadata, Attachments: v.Doc.Payload.Attachments,
			Arrival: v.Doc.Arrival.Number, Sent: !v.Doc.SentAt.IsZero(), Statuses: []status{}, Receipts: []string{}, Signers: v.Signers}
		if v.Report != nil {
			ok := true
			for _, r := range v.Reports {
				ok = ok && r != nil && r.Valid()
			}
			out.Valid = &ok
		}
		add := func(es []store.StatusEntry) {
			for _, e := range es {
				out.Statuses = append(out.Statuses, status{string(e.Copy), string(e.Update.Code), e.Update.Staff, e.Update.Reason, e.Update.Time})
			}
		}
		add(v.Statuses)
		for _, r := range v.Recipients {
			add(r.History)
		}
		for _, r := range v.Receipts {
			out.Receipts = append(out.Receipts, r.Event)
		}
		return writeJSON(stdout, out)
	}
	m := v.Doc.Payload.Metadata
	from := m.From.Name
	if v.FromSuccessor != nil {
		from = i18n.New(i18n.Vietnamese).T(i18n.AgencyNowIs, m.From.Name, v.FromSuccessor.Name)
	}
	fmt.Fprintf(stdout, "%s %s (%s)\n", m.PrintedTypeName(), document.FormatNumberNotation(m.CodeNumber, m.CodeNotation), v.Doc.Box)
	fmt.Fprintf(stdout, "Trích yếu: %s\nNơi ban hành: %s, %s\nNgười ký: %s\n", m.Subject, from, m.Promulgation.Date, m.Signer.FullName)
	for i, a := range v.Doc.Payload.Attachments {
		fmt.Fprintf(stdout, "Tệp: %s (%d bytes)\n", clerk.AttachmentLabel(m, i, a), a.Size)
	}
	if v.EdXML != nil {
		fmt.Fprintf(stdout, "%s: %s\n", cat.T(i18n.DocEdXML), clerk.EdXMLCheckText(cat, *v.EdXML))
	}
	if err := clerk.ReturnedError(v.Doc); err != nil {
		vi := i18n.New(i18n.Vietnamese)
		fmt.Fprintln(stdout, vi.T(i18n.DocReturned, clerk.Explain(err).Message(vi)))
		if again := v.Doc.Returned.ResentAs; again != "" {
			fmt.Fprintln(stdout, vi.T(i18n.DocResentAs, again))
		}
	}
	for i, r := range v.Reports {
		state := "không đọc được"
		if r != nil && r.Valid() {
			state = "chữ ký hợp lệ"
		} else if r != nil {
			state = "chữ ký KHÔNG hợp lệ"
		}
		fmt.Fprintf(stdout, "Tệp %d: %s\n", i+1, state)
	}
	for _, s := range v.Signers {
		fmt.Fprintf(stdout, "  %s\n", clerk.SignerLine(cat, s))
	}
	for _, e := range v.Statuses {
		fmt.Fprintf(stdout, "  %s %s %s\n", e.Update.Code, e.Update.Code.NameVI(), e.Update.Time.In(document.VietnamTime).Format(time.RFC3339))
	}
	for _, r := range v.Recipients {
		var cs []string
		for _, e := range r.History {
			cs = append(cs, string(e.Update.Code))
		}
		fmt.Fprintf(stdout, "  %s %s: %s\n", r.Agency, r.Name, strings.Join(cs, " "))
	}
	return nil
}
