package main

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/mod/sumdb/note"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/control"
	"lienthong/hub/service"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
)

type usageError string

func (e usageError) Error() string { return string(e) }

type cli struct{ stdout, stderr io.Writer }

func run(args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout, stderr}
	err := c.dispatch(args)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "lienthong-hub: %s\n", ue)
		return 2
	}
	fmt.Fprintf(stderr, "lienthong-hub: error: %v\n", err)
	return 1
}

const usage = `usage: lienthong-hub COMMAND [flags]

commands:
  serve     run the hub from a configuration file
  demo      run a hub for the demo PKI on localhost
  agency    import, list or show the history of directory entries
  stats     print per-agency statistics
  logkey    make the key that signs the transparency log's checkpoints
  bench     measure the hub under load (documents/s, MB/s, latency, memory per idle connection)
`

func (c *cli) dispatch(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return usageError("no command given")
	}
	switch args[0] {
	case "serve":
		return c.serve(args[1:])
	case "demo":
		return c.demo(args[1:])
	case "agency":
		if len(args) < 2 {
			return usageError("agency: want import, list or history")
		}
		switch args[1] {
		case "import":
			return c.agencyImport(args[2:])
		case "list":
			return c.agencyList(args[2:])
		case "history":
			return c.agencyHistory(args[2:])
		}
		return usageError(fmt.Sprintf("agency: unknown subcommand %q", args[1]))
	case "bench":
		return c.bench(args[1:])
	case "stats":
		return c.stats(args[1:])
	case "logkey":
		return c.logKey(args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, usage)
		return nil
	}
	return usageError(fmt.Sprintf("unknown command %q", args[0]))
}

func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("lienthong-hub "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string, nargs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError(err.Error())
	}
	if fs.NArg() != nargs {
		return usageError(fmt.Sprintf("%s: want %d argument(s), got %d", fs.Name(), nargs, fs.NArg()))
	}
	return nil
}

func (c *cli) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(c.stderr, &slog.HandlerOptions{Level: level}))
}

func (c *cli) serve(args []string) error {
	fs := c.flags("serve")
	path := fs.String("config", "", "configuration file (JSON)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *path == "" {
		return usageError("serve: --config is required")
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	return c.runHub(cfg, nil)
}

// runHub opens and runs a hub until SIGINT or SIGTERM; prepare, when set,
// runs on the opened hub first.
func (c *cli) runHub(cfg config.Config, prepare func(*service.Hub) error) error {
	log := c.logger(cfg.Level())
	if n := cfg.Procs(); n != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
		log.Info("scheduler", "gomaxprocs", n, "spare_procs", cfg.SpareProcs)
	}
	h, err := service.Open(cfg, log)
	if err != nil {
		return err
	}
	if prepare != nil {
		if err := prepare(h); err != nil {
			h.Close()
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return h.Run(ctx)
}

func (c *cli) demo(args []string) error {
	fs := c.flags("demo")
	pki := fs.String("pki", "demo/pki", "the demo PKI made by lienthong-certs demo")
	data := fs.String("data", "demo/hub", "folder for the hub's store")
	listen := fs.String("listen", "127.0.0.1:4433", "address for agencies")
	ops := fs.String("ops", "127.0.0.1:9433", "address for /healthz and /metrics")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Listen, cfg.OpsListen, cfg.DataDir = *listen, *ops, *data
	cfg.TLSCert, cfg.TLSKey = filepath.Join(*pki, "hub.crt"), filepath.Join(*pki, "hub.key")
	cfg.TSACert, cfg.TSAKey = filepath.Join(*pki, "tsa.crt"), filepath.Join(*pki, "tsa.key")
	cfg.Roots, cfg.CRLs = filepath.Join(*pki, "ca.crt"), []string{filepath.Join(*pki, "ca.crl")}
	if _, err := os.Stat(filepath.Join(*pki, "log.key")); err == nil {
		cfg.LogKey, cfg.LogOrigin = filepath.Join(*pki, "log.key"), "localhost/log"
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	return c.runHub(cfg, func(h *service.Hub) error {
		for _, a := range certs.DemoAgencies {
			if _, err := upsert(h.Store(), a.Code, a.Name, true, "", time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
}

func upsert(st control.Store, code certs.AgencyCode, name string, active bool, supersededBy string, at time.Time) (bool, error) {
	parent, _ := code.Parent()
	return st.UpsertAgency(context.Background(), &store.Agency{
		Code: string(code), Name: name, Parent: string(parent), Level: code.Level(), Active: active, SupersededBy: supersededBy,
	}, at)
}

// openStore opens, for the operator's commands, the store named by a
// configuration: through the control socket of the hub that runs on it,
// or, when none runs, the store itself.
func openStore(path string) (control.Store, func() error, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	cl, err := control.Dial(context.Background(), cfg.DataDir)
	if err == nil {
		return cl, cl.Close, nil
	}
	if !errors.Is(err, control.ErrNoHub) {
		return nil, nil, err
	}
	st, err := boltstore.Open(cfg.DataDir, boltstore.Options{OpenTimeout: 2 * time.Second})
	if err != nil {
		// A hub that was starting holds the store before it listens.
		if cl, err := control.Dial(context.Background(), cfg.DataDir); err == nil {
			return cl, cl.Close, nil
		}
		return nil, nil, fmt.Errorf("open store %s (another process holds it, and no hub answers on its control socket): %w", cfg.DataDir, err)
	}
	return st, st.Close, nil
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
		r := csv.NewReader(strings.NewReader(string(data)))
		records, err := r.ReadAll()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(records) == 0 || strings.ToLower(strings.TrimPrefix(records[0][0], "\ufeff")) != "code" {
			return nil, fmt.Errorf("%s: the first row must be the header code,name[,active,superseded_by]", path)
		}
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

func (c *cli) agencyImport(args []string) error {
	fs := c.flags("agency import")
	path := fs.String("config", "", "configuration file")
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	// Read and check the whole file before touching the store: a bad
	// line imports nothing.
	rows, err := readAgencies(fs.Arg(0))
	if err != nil {
		return err
	}
	st, closeStore, err := openStore(*path)
	if err != nil {
		return err
	}
	defer closeStore()
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
	fmt.Fprintf(c.stdout, "imported %d agencies: %d changed, %d unchanged\n", len(rows), changed, len(rows)-changed)
	return nil
}

func (c *cli) agencyList(args []string) error {
	fs := c.flags("agency list")
	path := fs.String("config", "", "configuration file")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	st, closeStore, err := openStore(*path)
	if err != nil {
		return err
	}
	defer closeStore()
	list, err := st.Agencies(context.Background())
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(c.stdout).Encode(list)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tLEVEL\tACTIVE\tNAME")
	for _, a := range list {
		fmt.Fprintf(tw, "%s\t%d\t%v\t%s\n", a.Code, a.Level, a.Active, a.Name)
	}
	return tw.Flush()
}

func (c *cli) agencyHistory(args []string) error {
	fs := c.flags("agency history")
	path := fs.String("config", "", "configuration file")
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	st, closeStore, err := openStore(*path)
	if err != nil {
		return err
	}
	defer closeStore()
	hist, err := st.AgencyHistory(context.Background(), fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	for _, h := range hist {
		state := "active"
		if !h.Active {
			state = "inactive"
		}
		if h.SupersededBy != "" {
			state += ", superseded by " + h.SupersededBy
		}
		fmt.Fprintf(c.stdout, "%s  %s  %s (%s)\n", h.At.UTC().Format(time.RFC3339), h.Code, h.Name, state)
	}
	return nil
}

func (c *cli) stats(args []string) error {
	fs := c.flags("stats")
	path := fs.String("config", "", "configuration file")
	agency := fs.String("agency", "", "one agency's code; all agencies when empty")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	st, closeStore, err := openStore(*path)
	if err != nil {
		return err
	}
	defer closeStore()
	ctx := context.Background()
	codes := []string{*agency}
	if *agency == "" {
		list, err := st.Agencies(ctx)
		if err != nil {
			return err
		}
		codes = codes[:0]
		for _, a := range list {
			codes = append(codes, a.Code)
		}
	}
	var all []store.AgencyStats
	for _, code := range codes {
		s, err := st.Stats(ctx, code)
		if err != nil {
			return err
		}
		all = append(all, s)
	}
	if *asJSON {
		return json.NewEncoder(c.stdout).Encode(all)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "AGENCY\tSENT\tRECEIVED\tACKED\tWITHDRAWN\tSTATUSES")
	for _, s := range all {
		var parts []string
		for code, n := range s.Statuses {
			parts = append(parts, fmt.Sprintf("%s:%d", code, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", s.Agency, s.Sent, s.Received, s.Acked, s.Withdrawn, strings.Join(parts, " "))
	}
	return tw.Flush()
}

func (c *cli) logKey(args []string) error {
	fs := c.flags("logkey")
	name := fs.String("name", "", "the key's name, usually the hub's host name")
	out := fs.String("out", "", "file for the signer key; the verifier key goes to FILE.pub")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *name == "" || *out == "" {
		return usageError("logkey: --name and --out are required")
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, *name)
	if err != nil {
		return err
	}
	if err := certs.WriteNewFile(*out, []byte(skey+"\n"), 0o600); err != nil {
		return err
	}
	if err := certs.WriteNewFile(*out+".pub", []byte(vkey+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wrote %s (keep it secret) and %s.pub (give it to auditors):\n%s\n", *out, *out, vkey)
	return nil
}
