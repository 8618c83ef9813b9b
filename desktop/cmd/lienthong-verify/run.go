package main

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/shared/pades"
)

// Exit statuses: part of the command's contract.
const (
	exitValid   = 0
	exitInvalid = 1
	exitUnread  = 2
)

const usage = `usage: lienthong-verify [--roots FILE] [--crl FILE]... [--json] DOC.pdf

  --roots FILE  PEM file of trusted root certificates
  --crl FILE    CRL (PEM or DER) to check signers against; may be repeated
  --json        print the report as JSON
`

type crlFlag []string

func (c *crlFlag) String() string     { return strings.Join(*c, ",") }
func (c *crlFlag) Set(s string) error { *c = append(*c, s); return nil }

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	// The auditor's subcommands (audit.go) come first; anything else is
	// the PDF check.
	if len(args) > 0 {
		if cmd, ok := auditCommands[args[0]]; ok {
			return cmd(args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("lienthong-verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	roots := fs.String("roots", "", "")
	asJSON := fs.Bool("json", false, "")
	var crls crlFlag
	fs.Var(&crls, "crl", "")
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "lienthong-verify: error: "+format+"\n", a...)
		return exitUnread
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, usage+"\n"+auditUsage)
				return exitValid
			}
			fmt.Fprintf(stderr, "lienthong-verify: error: %v (see lienthong-verify --help)\n", err)
			return exitUnread
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "lienthong-verify: error: want exactly one document, got %d (see lienthong-verify --help)\n", len(pos))
		return exitUnread
	}
	doc := pos[0]

	opts := pades.VerifyOptions{}
	if *roots != "" {
		rc, err := certs.ReadCertificates(*roots)
		if err != nil {
			return fail("read roots %s: %v", *roots, err)
		}
		opts.Roots = x509.NewCertPool()
		for _, c := range rc {
			opts.Roots.AddCert(c)
		}
	}
	for _, path := range crls {
		data, err := os.ReadFile(path)
		if err != nil {
			return fail("read CRL: %v", err)
		}
		crl, err := certs.ParseCRL(data)
		if err != nil {
			return fail("read CRL %s: %v", path, err)
		}
		opts.CRLs = append(opts.CRLs, crl)
	}

	f, err := os.Open(doc)
	if err != nil {
		return fail("%v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail("%v", err)
	}
	if !st.Mode().IsRegular() {
		return fail("%s is not a regular file", doc)
	}
	rep, err := pades.Verify(f, st.Size(), opts)
	if err != nil {
		return fail("%s cannot be read as a PDF: %v", doc, err)
	}
	status := exitInvalid
	if rep.Valid() {
		status = exitValid
	}
	if *asJSON {
		out := struct {
			File  string `json:"file"`
			Valid bool   `json:"valid"`
			*pades.Report
		}{doc, rep.Valid(), rep}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail("write report: %v", err)
		}
		return status
	}
	writeText(stdout, doc, rep, language(getenv), opts.Roots != nil)
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
