package main

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/internal/cli"
	"lienthong/shared/pades"
)

// checkCmd is the PDF check, what lienthong-verify does without a command.
var checkCmd = &cli.Command{
	Args:    "DOC.pdf",
	Summary: "check the signatures of a PDF",
	Help: `Checks every signature of DOC.pdf: integrity, signer, chain to --roots, PAdES
level, timestamp, revocation, and whether anything unsigned changed after
signing. Exits 0 valid, 1 invalid or changed, 2 unreadable.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		roots := fs.String("roots", "", "PEM `file` of trusted root certificates")
		asJSON := fs.Bool("json", false, "print the report as JSON")
		var crls listFlag
		fs.Var(&crls, "crl", "CRL `file` (PEM or DER) to check signers against; may be repeated")
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("want exactly one document, got %d", len(args))
			}
			return check(env, args[0], *roots, crls, *asJSON)
		}
	},
}

type listFlag []string

func (c *listFlag) String() string     { return strings.Join(*c, ",") }
func (c *listFlag) Set(s string) error { *c = append(*c, s); return nil }

func check(env *cli.Env, doc, roots string, crls []string, asJSON bool) error {
	opts := pades.VerifyOptions{}
	if roots != "" {
		rc, err := certs.ReadCertificates(roots)
		if err != nil {
			return fmt.Errorf("read roots %s: %w", roots, err)
		}
		opts.Roots = x509.NewCertPool()
		for _, c := range rc {
			opts.Roots.AddCert(c)
		}
	}
	for _, path := range crls {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read CRL: %w", err)
		}
		crls, err := certs.ParseCRLs(data)
		if err != nil {
			return fmt.Errorf("read CRL %s: %w", path, err)
		}
		opts.CRLs = append(opts.CRLs, crls...)
	}
	f, err := os.Open(doc)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", doc)
	}
	rep, err := pades.Verify(f, st.Size(), opts)
	if errors.Is(err, pades.ErrBudget) {
		return fmt.Errorf("%s is refused: %w", doc, err)
	}
	if err != nil {
		return fmt.Errorf("%s cannot be read as a PDF: %w", doc, err)
	}
	status := cli.Exit(exitInvalid)
	if rep.Valid() {
		status = nil
	}
	if asJSON {
		out := struct {
			File  string `json:"file"`
			Valid bool   `json:"valid"`
			*pades.Report
		}{doc, rep.Valid(), rep}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return status
	}
	writeText(env.Stdout, doc, rep, language(env.Getenv), opts.Roots != nil)
	return status
}

// language picks the report's language from the locale: English when the
// first of LC_ALL, LC_MESSAGES and LANG that is set starts with "en",
// Vietnamese otherwise.
func language(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(v, "en") {
				return "en"
			}
			return "vi"
		}
	}
	return "vi"
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339)
}
