package main

import (
	"flag"
	"fmt"
	"text/tabwriter"

	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/internal/cli"
	"lienthong/shared/document"
)

// inboxCmd and outboxCmd list the two boxes.
var (
	inboxCmd  = listCmd("inbox", "received", store.Incoming)
	outboxCmd = listCmd("outbox", "issued", store.Outgoing)
)

type row struct {
	ID       string `json:"id"`
	Number   string `json:"number"`
	Notation string `json:"notation"`
	Date     string `json:"date"`
	Agency   string `json:"agency"`
	Code     string `json:"agency_code"`
	// Successor is the agency that succeeds Code when a reorganisation
	// closed it; Agency then reads "old name (nay là successor)".
	Successor string `json:"successor_code,omitempty"`
	Subject   string `json:"subject"`
	Urgency   int    `json:"urgency"`
	Status    string `json:"status"`
	Read      bool   `json:"read"`
	Arrival   string `json:"arrival_number,omitempty"`
	// Refused marks an incoming document set aside because this clerk
	// could not take it, with the reason the sender was told.
	Refused bool   `json:"refused,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Told    bool   `json:"sender_told,omitempty"`
	// Returned marks an outgoing document the hub refused for good
	// (show says why; resend sends it again).
	Returned bool `json:"returned,omitempty"`
}

// refusedMarker flags a refused document in the inbox listing,
// returnedMarker a returned one in the outbox's (in the status column).
const (
	refusedMarker  = "[REFUSED]"
	returnedMarker = "[RETURNED]"
)

func refusedRow(r store.Refusal) row {
	return row{ID: r.MessageID, Date: r.At.In(document.VietnamTime).Format("2006-01-02"), Code: string(r.Sender),
		Subject: r.Subject, Status: string(document.StatusRefused), Refused: true, Reason: r.Reason, Told: !r.Told.IsZero()}
}

func rowOf(s store.Summary) row {
	r := row{ID: s.ID, Number: s.Number, Notation: s.Notation, Date: s.Date.String(), Agency: s.Agency, Code: string(s.AgencyCode),
		Subject: s.Subject, Urgency: int(s.Urgency), Status: string(s.Status), Read: s.Read, Arrival: s.Arrival.Number,
		Returned: s.Returned}
	if s.Successor != nil {
		r.Successor = string(s.Successor.Code)
		r.Agency = i18n.New(i18n.Vietnamese).T(i18n.AgencyNowIs, s.Agency, s.Successor.Name)
	}
	return r
}

func listCmd(name, what string, box store.Box) *cli.Command {
	summary := "list " + what + " documents"
	help := "Lists " + what + " documents, newest first: id, number/notation, date, status,\nagency and subject."
	if box == store.Incoming {
		help += " Then, marked " + refusedMarker + ", the documents this clerk could not\ntake and refused (unless --search or --unread), with the reason the sender was told."
	}
	if box == store.Outgoing {
		summary += " and what waits to be sent"
		help += " A document the hub returned shows " + returnedMarker + " as its status.\nThen how many actions wait to be sent."
	}
	return &cli.Command{
		Name:    name,
		Summary: summary,
		Help:    help,
		Setup: func(fs *flag.FlagSet) cli.Run {
			f := newStoreFlags(fs, true)
			unread := fs.Bool("unread", false, "only documents not yet read")
			search := fs.String("search", "", "only documents with words starting with each word of `text`, with or without diacritics")
			limit := fs.Int("limit", 50, "at most `n` documents")
			return func(env *cli.Env, args []string) error {
				if len(args) != 0 {
					return cli.Usagef("no arguments expected")
				}
				c, err := f.open(env)
				if err != nil {
					return err
				}
				defer c.Close()
				var rows []store.Summary
				if *search != "" {
					rows, err = c.Search(box, *search, 0, *limit)
				} else {
					rows, _, err = c.List(store.Query{Box: box, Desc: true, Limit: *limit, Filter: store.Filter{Unread: *unread}})
				}
				if err != nil {
					return err
				}
				out := make([]row, 0, len(rows))
				for _, r := range rows {
					out = append(out, rowOf(r))
				}
				if box == store.Incoming && *search == "" && !*unread {
					refused, err := c.Refusals()
					if err != nil {
						return err
					}
					for _, r := range refused[:min(len(refused), *limit)] {
						out = append(out, refusedRow(r))
					}
				}
				if *f.json {
					return writeJSON(env.Stdout, out)
				}
				tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
				for _, r := range out {
					if r.Refused {
						told := "telling the sender"
						if r.Told {
							told = "sender told"
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s (%s)\n", r.ID, refusedMarker, r.Date, r.Status, r.Code, r.Reason, told)
						continue
					}
					status := r.Status
					if r.Returned {
						status = returnedMarker
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, document.FormatNumberNotation(r.Number, r.Notation), r.Date, status, r.Agency, r.Subject)
				}
				if box == store.Outgoing {
					fmt.Fprintf(tw, "%d waiting to send\n", c.OutboxLen())
				}
				return tw.Flush()
			}
		},
	}
}
