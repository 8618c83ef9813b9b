package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/internal/cli"
)

var agencyImportCmd = &cli.Command{
	Name:    "agency import",
	Args:    "AGENCIES.csv|.json",
	Summary: "import directory entries from a CSV or JSON file",
	Help: `Reads the whole file and checks every entry before writing anything: a bad
line imports nothing, nor does a code closed by a succession (a closed code is
never reused; see "agency successions"). Each code keeps its history.

CSV: a header row code,name[,active,superseded_by] then one agency a row.
JSON: an array of {"code", "name", "active", "superseded_by"}.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 1, "one file of agencies"); err != nil {
				return err
			}
			// Read and check the whole file before touching the store: a bad
			// line imports nothing.
			rows, err := readAgencies(args[0])
			if err != nil {
				return err
			}
			st, closeStore, err := openStore(*path)
			if err != nil {
				return err
			}
			defer closeStore()
			// A closed code is never reused: refuse the file before writing
			// any of it (the store refuses it too, row by row).
			for i, row := range rows {
				cur, err := st.Agency(context.Background(), certs.AgencyCode(row.Code))
				if err == nil && cur.Closed() {
					return fmt.Errorf("%s: entry %d: %s closed on %s, succeeded by %s; a closed code is never reused", args[0], i+1, row.Code, store.Day(cur.ClosedOn), cur.SupersededBy)
				}
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			now := time.Now()
			changed := 0
			for _, row := range rows {
				active := row.Active == nil || *row.Active
				ok, err := upsert(st, certs.AgencyCode(row.Code), row.Name, active, row.SupersededBy, now)
				if err != nil {
					return fmt.Errorf("%s: %w", row.Code, err)
				}
				if ok {
					changed++
				}
			}
			fmt.Fprintf(env.Stdout, "imported %d agencies: %d changed, %d unchanged\n", len(rows), changed, len(rows)-changed)
			return nil
		}
	},
}

// importedAgency is one row of an import file.
type importedAgency struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	Active       *bool  `json:"active,omitempty"`
	SupersededBy string `json:"superseded_by,omitempty"`
}

func readAgencies(path string) ([]importedAgency, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows []importedAgency
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		if err := json.Unmarshal(data, &rows); err != nil {
			return nil, fmt.Errorf("%s: want a JSON array of {code, name, active, superseded_by}: %w", path, err)
		}
	case ".csv":
		if rows, err = readAgenciesCSV(path, data); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s: want a .csv or .json file", path)
	}
	for i, row := range rows {
		if _, err := certs.ParseAgencyCode(row.Code); err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", path, i+1, err)
		}
		if strings.TrimSpace(row.Name) == "" {
			return nil, fmt.Errorf("%s: entry %d (%s): the name is empty", path, i+1, row.Code)
		}
		if row.SupersededBy != "" {
			if _, err := certs.ParseAgencyCode(row.SupersededBy); err != nil {
				return nil, fmt.Errorf("%s: entry %d: superseded_by: %w", path, i+1, err)
			}
		}
	}
	return rows, nil
}

func readAgenciesCSV(path string, data []byte) ([]importedAgency, error) {
	records, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(records) == 0 || strings.ToLower(strings.TrimPrefix(records[0][0], "\ufeff")) != "code" {
		return nil, fmt.Errorf("%s: the first row must be the header code,name[,active,superseded_by]", path)
	}
	var rows []importedAgency
	for i, rec := range records[1:] {
		if len(rec) < 2 {
			return nil, fmt.Errorf("%s: line %d: want at least code and name", path, i+2)
		}
		row := importedAgency{Code: strings.TrimSpace(rec[0]), Name: strings.TrimSpace(rec[1])}
		if len(rec) > 2 && strings.TrimSpace(rec[2]) != "" {
			b, err := strconv.ParseBool(strings.TrimSpace(rec[2]))
			if err != nil {
				return nil, fmt.Errorf("%s: line %d: active must be true or false", path, i+2)
			}
			row.Active = &b
		}
		if len(rec) > 3 {
			row.SupersededBy = strings.TrimSpace(rec[3])
		}
		rows = append(rows, row)
	}
	return rows, nil
}
