package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"lienthong/desktop/audit"
	"lienthong/internal/cli"
	"lienthong/shared/document"
)

var traceCmd = &cli.Command{
	Name:    "trace",
	Args:    "--at DAY CODE (AUTH --state FILE | --from FILE)",
	Summary: "show where an agency code led on a day, proved against the log",
	Help: `Follows CODE through the directory's successions (a code closed by a
reorganisation leads to the agency that succeeded it, from the day it
closed) and prints where a document addressed to CODE went on DAY
(yyyy-mm-dd or dd/mm/yyyy; today in Vietnam by default).

Every directory record is proved against the hub's transparency log: its
log entry is in the tree of a checkpoint the hub signed, and names the
code, the time and the SHA-256 of the record's exact bytes. A record that
is not what the log committed to is refused (exit 1).

With AUTH, the hub's latest checkpoint is first checked against the one
saved in --state (the log only grew) and saved, and every record is proved
under it; --save FILE keeps what was checked. --from FILE checks such a
saved file again offline, with the log key alone.

A history proves each version it lists; --complete also downloads the
whole log up to the checkpoint and checks that no history leaves out a
directory change the log records (a closure hidden): exit 1 if one does.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		h := newHubFlags(fs)
		l := newLogFlags(fs)
		at := fs.String("at", "", "the `day` to trace at, yyyy-mm-dd or dd/mm/yyyy (default today, in Vietnam)")
		state := fs.String("state", "", "the auditor's state `file` (with AUTH): the last checkpoint seen")
		save := fs.String("save", "", "write what was checked to `file`, to check again offline with --from")
		from := fs.String("from", "", "check a `file` written by --save, offline")
		complete := fs.Bool("complete", false, "also download the whole log and check that no history leaves out a change the log records (slower; not with --from)")
		asJSON := fs.Bool("json", false, "print the report as JSON")
		return func(env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("one agency code is taken")
			}
			code := args[0]
			day, err := parseDay(*at)
			if err != nil {
				return cli.Usagef("--at: %v", err)
			}
			lg, err := l.log()
			if err != nil {
				return err
			}
			lang := language(env.Getenv)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var (
				src    audit.TraceSource
				signed []byte
				rec    *audit.TraceFile
			)
			switch {
			case *from != "":
				if *save != "" || *state != "" || *h.hub != "" || *complete {
					return cli.Usagef("--from checks a saved file offline: --hub, --state, --save and --complete do not go with it")
				}
				f, err := audit.LoadTraceFile(*from)
				if err != nil {
					return err
				}
				src, signed = f, []byte(f.Checkpoint)
			default:
				if *state == "" {
					return cli.Usagef("--state FILE is required with AUTH (or --from FILE, offline)")
				}
				cl, err := h.client()
				if err != nil {
					return err
				}
				defer cl.Close()
				if _, err := audit.Follow(ctx, cl, lg, *state); err != nil {
					return traceError(lang, err)
				}
				st, err := audit.LoadState(*state)
				if err != nil {
					return err
				}
				src, signed = cl, []byte(st.Checkpoint)
				if *save != "" {
					rec = &audit.TraceFile{}
				}
			}
			rep, err := audit.Trace(ctx, src, lg, signed, code, day, audit.TraceOptions{Complete: *complete, Record: rec})
			if err != nil {
				return traceError(lang, err)
			}
			if rec != nil {
				if err := rec.Save(*save); err != nil {
					return err
				}
			}
			if *asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			writeTrace(env.Stdout, rep, lang)
			return nil
		}
	},
}

// parseDay reads --at; "" is today in Vietnam.
func parseDay(s string) (time.Time, error) {
	if s == "" {
		now := time.Now().In(document.VietnamTime)
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	for _, layout := range []string{time.DateOnly, "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (want yyyy-mm-dd or dd/mm/yyyy)", s)
}

// traceError gives a trace's failure its exit status and, for a finding,
// a hint in the auditor's language: a forged record or a forked log is a
// finding (1), anything else unreadable input (2).
func traceError(lang string, err error) error {
	switch {
	case errors.Is(err, audit.ErrForged):
		hint := "bản ghi danh bạ mà hub đưa ra không phải bản ghi nhật ký minh bạch đã cam kết: không dùng kết quả này"
		if lang == "en" {
			hint = "the hub served a directory record its transparency log did not commit to: do not rely on this answer"
		}
		return cli.WithCode(exitInvalid, cli.Hint(err, hint))
	case errors.Is(err, audit.ErrIncomplete):
		hint := "hub giấu bớt thay đổi danh bạ mà nhật ký minh bạch đã ghi: không dùng kết quả này"
		if lang == "en" {
			hint = "the hub withheld directory changes its transparency log records: do not rely on this answer"
		}
		return cli.WithCode(exitInvalid, cli.Hint(err, hint))
	case errors.Is(err, audit.ErrForked):
		return cli.WithCode(exitInvalid, err)
	}
	return err
}

// writeTrace prints the chain, one code a line, and where documents went.
func writeTrace(w io.Writer, rep *audit.TraceReport, lang string) {
	en := lang == "en"
	if en {
		fmt.Fprintf(w, "Code %s on %s (every record proved against the log, checkpoint of %d entries):\n", rep.Code, rep.Day, rep.LogSize)
	} else {
		fmt.Fprintf(w, "Mã %s vào ngày %s (mọi bản ghi đã đối chiếu với nhật ký, điểm kiểm tra %d mục):\n", rep.Code, rep.Day, rep.LogSize)
	}
	for _, s := range rep.Chain {
		fmt.Fprintf(w, "  %s  %s: %s", s.Code, s.Name, stepState(s, rep.Day, en))
		if en {
			fmt.Fprintf(w, "  [log entry %d]\n", s.LogIndex)
		} else {
			fmt.Fprintf(w, "  [mục nhật ký %d]\n", s.LogIndex)
		}
	}
	last := rep.Chain[len(rep.Chain)-1]
	switch {
	case !last.Active && last.SupersededBy == "":
		if en {
			fmt.Fprintf(w, "Result: on %s no agency took documents addressed to %s.\n", rep.Day, rep.Code)
		} else {
			fmt.Fprintf(w, "Kết quả: ngày %s không cơ quan nào nhận văn bản gửi %s.\n", rep.Day, rep.Code)
		}
	case en:
		fmt.Fprintf(w, "Result: on %s documents addressed to %s went to %s (%s).\n", rep.Day, rep.Code, last.Code, last.Name)
	default:
		fmt.Fprintf(w, "Kết quả: ngày %s văn bản gửi %s thuộc về %s (%s).\n", rep.Day, rep.Code, last.Code, last.Name)
	}
}

// stepState says what a code's last logged version records.
func stepState(s audit.TraceStep, day string, en bool) string {
	basis := ""
	if s.ClosedBasis != "" {
		basis = " (" + s.ClosedBasis + ")"
	}
	switch {
	case s.ClosedOn != "" && s.ClosedOn > day:
		if en {
			return fmt.Sprintf("open that day; closes on %s%s, succeeded by %s", s.ClosedOn, basis, s.SupersededBy)
		}
		return fmt.Sprintf("còn hoạt động ngày đó; đóng từ ngày %s%s, cơ quan kế thừa %s", s.ClosedOn, basis, s.SupersededBy)
	case s.ClosedOn != "":
		if en {
			return fmt.Sprintf("closed on %s%s, succeeded by %s", s.ClosedOn, basis, s.SupersededBy)
		}
		return fmt.Sprintf("đã đóng ngày %s%s, cơ quan kế thừa %s", s.ClosedOn, basis, s.SupersededBy)
	case !s.Active && s.SupersededBy != "":
		if en {
			return fmt.Sprintf("superseded by %s (no date recorded)", s.SupersededBy)
		}
		return fmt.Sprintf("được thay thế bởi %s (không ghi ngày)", s.SupersededBy)
	case !s.Active:
		if en {
			return "inactive"
		}
		return "ngừng hoạt động"
	case en:
		return "open"
	}
	return "đang hoạt động"
}
