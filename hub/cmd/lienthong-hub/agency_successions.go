package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/internal/cli"
)

var agencySuccessionsCmd = &cli.Command{
	Name:    "agency successions",
	Args:    "SUCCESSIONS.csv",
	Summary: "record closed codes and their successors from a CSV file",
	Help: `Records that agency codes closed on a day and which agency succeeds each
(the 2025 reorganisation: Decision 09/2025/QĐ-TTg, Resolution 202/2025/QH15).
The whole file is checked, against itself and the directory, and written in
one transaction: any bad line records nothing, and the error names it.

CSV, UTF-8 with or without a byte-order mark, a header row naming the columns
(in any order), then one closed code a row:
  code            the closed code (required; it must be in the directory)
  closed_on       the day it closed, yyyy-mm-dd or dd/mm/yyyy (required)
  successor       the code that succeeds it (required)
  successor_name  creates the successor when the directory lacks it; when it
                  is there, must be empty or its name
  basis           the act that decided it, e.g. Nghị quyết 202/2025/QH15

Refused: a code closed twice, a closure that differs from one recorded (a
closure is never changed), a code or successor not in the directory nor
named in the file, a successor closed before that day, a cycle (A → B → A,
also through closures recorded before), a date that is not a date. A closed
code is never reused: "agency import" refuses it afterwards. Importing the
same file again changes nothing.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 1, "one CSV file of successions"); err != nil {
				return err
			}
			succ, err := readSuccessions(args[0])
			if err != nil {
				return err
			}
			st, closeStore, err := openStore(*path)
			if err != nil {
				return err
			}
			defer closeStore()
			changed, err := st.CloseAgencies(context.Background(), succ, time.Now())
			if err != nil {
				return fmt.Errorf("%s: nothing recorded: %w", args[0], err)
			}
			fmt.Fprintf(env.Stdout, "recorded %d successions: %d directory entries changed\n", len(succ), changed)
			return nil
		}
	},
}

// successionColumns are the CSV's columns; the first three are required.
var successionColumns = []string{"code", "closed_on", "successor", "successor_name", "basis"}

// readSuccessions reads and checks a successions CSV by itself (each line's
// fields, and codes closed twice); the store checks it against the
// directory.
func readSuccessions(path string) ([]store.Succession, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%s: not UTF-8", path)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: the first row must name the columns %s: %w", path, strings.Join(successionColumns, ","), err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !slices.Contains(successionColumns, h) {
			return nil, fmt.Errorf("%s: line 1: unknown column %q (want %s)", path, h, strings.Join(successionColumns, ","))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("%s: line 1: column %q twice", path, h)
		}
		col[h] = i
	}
	for _, c := range successionColumns[:3] {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s: line 1: no %q column", path, c)
		}
	}
	var out []store.Succession
	seen := map[certs.AgencyCode]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		field := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s: line %d: %s", path, line, fmt.Sprintf(format, args...))
		}
		code, err := certs.ParseAgencyCode(field("code"))
		if err != nil {
			return nil, bad("code: %v", err)
		}
		successor, err := certs.ParseAgencyCode(field("successor"))
		if err != nil {
			return nil, bad("successor: %v", err)
		}
		day, err := store.ParseDay(field("closed_on"))
		if err != nil {
			return nil, bad("closed_on: %v", err)
		}
		if first, dup := seen[code]; dup {
			return nil, bad("%s is closed on line %d already", code, first)
		}
		seen[code] = line
		out = append(out, store.Succession{Code: code, On: day, Successor: successor,
			SuccessorName: field("successor_name"), Basis: field("basis"), Line: line})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no successions after the header", path)
	}
	return out, nil
}
