package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/internal/cli"
	"lienthong/shared/document"
)

var sendCmd = &cli.Command{
	Name:    "send",
	Args:    "MAIN.pdf [APPENDIX.pdf|.docx|.xlsx|.odt...]",
	Summary: "issue a document: number, sign, seal, queue and send",
	Help: `Issues a document: takes the next number of the outgoing register, signs each
PDF with the agency's key (text stamp top right of page 1), seals and queues
it, then tries to send it at once (it stays queued if the hub is unreachable).
An appendix named *.docx, *.xlsx or *.odt is sent as that type, unsigned and
checked by its content, where the hub allows it (attachment_types).
Prints "ID NUMBER/NOTATION sent|queued".

ND30's two signatures: the competent person signs the main PDF first, then
the clerk numbers, dates and seals it. A leader who signed elsewhere hands
over the signed PDF; one at this desk signs here with --person-key (a PEM key
file with --person-cert, or a pkcs11: URI whose PIN is asked or read from
--person-pin-file) and, for a visible signature, --person-image with
--person-rect where the signature goes on paper. The key must be a person
certificate of this agency. Whether the main PDF then carries a valid person
signature of this agency is checked before a number is taken; the setting
person_signature (lienthong-clerk settings) warns (on stderr, the default),
refuses, or does not check. A recipient whose code a
reorganisation closed is refused with its successor: before signing when
the cached directory knows it (with the --to to use); otherwise the hub
returns the signed document (it leaves the outbox, stays in the register as
returned, and the next sync refreshes the directory) and the hint gives the
resend to run.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, true)
		var to multiFlag
		fs.Var(&to, "to", "recipient agency `code`; repeat for each recipient (required, or \"to\" in --meta)")
		meta := fs.String("meta", "", "metadata as JSON (document.Metadata, without number and from) in `file`; flags override it")
		typ := fs.String("type", "", "document type `key` (cong_van, quyet_dinh, bao_cao...)")
		notation := fs.String("notation", "", "ký hiệu, e.g. UBND-VP or QĐ-UBND")
		subject := fs.String("subject", "", "trích yếu: what the document is about")
		place := fs.String("place", "", "place of issue")
		signer := fs.String("signer", "", "the competent signer's full `name`")
		position := fs.String("position", "", "the signer's position")
		competence := fs.String("competence", "", "the signer's competence, e.g. \"TM. ỦY BAN NHÂN DÂN\"")
		urgency := fs.Int("urgency", -1, "`level` from 0 Thường to 4 Hỏa tốc hẹn giờ (default from --meta, else 0)")
		due := fs.String("due", "", "deadline, `YYYY-MM-DD`")
		series := fs.String("series", "", "register `series` (\"\": the main one)")
		stampKind := fs.String("stamp", "text", "visible stamp: text or none")
		noSync := noSyncFlag(fs)
		person := newPersonFlags(fs)
		return func(env *cli.Env, files []string) error {
			if len(files) == 0 {
				return cli.Usagef("give one or more PDFs")
			}
			m, err := sendMetadata(*meta)
			if err != nil {
				return err
			}
			set := func(dst *string, v string) {
				if v != "" {
					*dst = v
				}
			}
			if *typ != "" {
				m.Type = document.DocType(*typ)
			}
			set(&m.CodeNotation, *notation)
			set(&m.Subject, *subject)
			set(&m.Promulgation.Place, *place)
			set(&m.Signer.FullName, *signer)
			set(&m.Signer.Position, *position)
			set(&m.Signer.Competence, *competence)
			if *urgency >= 0 {
				m.Priority = document.Urgency(*urgency)
			}
			if *due != "" {
				d, err := document.ParseDate(*due)
				if err != nil {
					return cli.Usagef("--due: %v", err)
				}
				m.DueDate = d
			}
			for _, code := range to {
				ac, err := certs.ParseAgencyCode(code)
				if err != nil {
					return cli.Usagef("--to %s: %v", code, err)
				}
				m.To = append(m.To, document.Recipient{Code: ac})
			}
			if len(m.To) == 0 {
				return cli.Usagef("give one or more --to CODE (or \"to\" in --meta)")
			}
			d := &clerk.Draft{Metadata: m, Files: files, Series: *series}
			switch *stampKind {
			case "text":
				d.Stamp.Kind = clerk.StampText
			case "none":
				d.Stamp.Kind = clerk.StampNone
			default:
				return cli.Usagef("--stamp must be text or none")
			}
			if err := person.check(); err != nil {
				return err
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			ctx, cancel := signalContext(env)
			defer cancel()
			id, err := issueSigned(ctx, env, c, d, person)
			if rc, ok := clerk.RecipientClosedOf(err); ok {
				return closedHint(rc)
			}
			if errors.As(err, new(*clerk.PersonSignatureError)) {
				return explained(env, err)
			}
			if err != nil {
				var ve *document.ValidationError
				if errors.As(err, &ve) {
					err := fmt.Errorf("invalid document: %s", strings.ReplaceAll(ve.MessagesVI(), "\n", " "))
					if ve.Has("secrecy", document.ProblemNotAllowed) {
						return cli.Hint(err, "documents marked Mật or above are not encrypted end to end yet: send them by the channel the state-secrets rules prescribe, not through the hub")
					}
					return err
				}
				return err
			}
			return sendOutcome(env, c, id, *f.json, *noSync)
		}
	},
}

// issueSigned issues the draft, first having the person sign its main PDF
// when --person-key is given (after the draft validates, so that a PIN is
// not asked for a document that cannot go out), and prints the warnings
// of the person-signature check.
func issueSigned(ctx context.Context, env *cli.Env, c *clerk.Clerk, d *clerk.Draft, person *personFlags) (string, error) {
	if person.given() {
		if err := c.Validate(d); err != nil {
			return "", err
		}
		signed, cleanup, err := person.sign(ctx, env, c, d.Files[0])
		if err != nil {
			return "", err
		}
		defer cleanup()
		d.Files = append([]string{signed}, d.Files[1:]...)
	}
	events, stop := c.Subscribe()
	id, err := c.Issue(ctx, d)
	stop()
	printPersonWarnings(env, events)
	return id, err
}

// closedHint says which recipients merged and where to send instead.
func closedHint(rc *clerk.RecipientClosedError) error {
	var codes []string
	for _, cl := range rc.Closed {
		codes = append(codes, string(cl.Successor))
	}
	cat := i18n.New(i18n.Vietnamese)
	return cli.Hint(errors.New(cat.T(i18n.ErrRecipientClosed, rc.List())),
		i18n.New(i18n.English).T(i18n.SendClosedHint, strings.Join(codes, " --to ")))
}

// sendMetadata reads --meta, strictly; an empty path gives empty metadata.
func sendMetadata(path string) (document.Metadata, error) {
	var m document.Metadata
	if path == "" {
		return m, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("read metadata: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("read metadata %s: %w", path, err)
	}
	return m, nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
