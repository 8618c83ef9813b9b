package main

import (
	"bytes"
	"flag"
	"io"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/internal/cli"
	"lienthong/shared/document"
)

var registerExportCmd = &cli.Command{
	Name:    "register export",
	Summary: "export a register (sổ đi, sổ đến, sổ theo dõi) as CSV or PDF",
	Help: `Exports a register (sổ đăng ký) in the ND30 Appendix IV columns, as CSV in
UTF-8 with a byte order mark (Excel shows the Vietnamese) or as a printable
PDF (A4 landscape).`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, false)
		bookName := fs.String("book", "", "the register: out (sổ đi), in (sổ đến) or followup (sổ theo dõi) (required)")
		format := fs.String("format", "csv", "csv or pdf")
		year := fs.Int("year", 0, "the register's `year` (default the current one, Vietnam time)")
		out := fs.String("out", "", "`file` to write (default stdout)")
		return func(env *cli.Env, args []string) error {
			if len(args) != 0 {
				return cli.Usagef("register export takes no arguments")
			}
			var book clerk.Book
			switch *bookName {
			case "out":
				book = clerk.BookOutgoing
			case "in":
				book = clerk.BookIncoming
			case "followup":
				book = clerk.BookFollowUp
			default:
				return cli.Usagef("--book must be out, in or followup")
			}
			export := map[string]func(*clerk.Clerk, clerk.Book, int, io.Writer) error{
				"csv": (*clerk.Clerk).ExportRegisterCSV, "pdf": (*clerk.Clerk).ExportRegisterPDF,
			}[*format]
			if export == nil {
				return cli.Usagef("--format must be csv or pdf")
			}
			if *year == 0 {
				*year = document.RegisterYear(time.Now())
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			if *out == "" {
				return export(c, book, *year, env.Stdout)
			}
			var buf bytes.Buffer
			if err := export(c, book, *year, &buf); err != nil {
				return err
			}
			return certs.ReplaceFile(*out, buf.Bytes(), 0o600)
		}
	},
}
