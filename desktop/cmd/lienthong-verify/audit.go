package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/desktop/audit"
	"lienthong/shared/document"
	"lienthong/shared/evidence"
	"lienthong/shared/hubclient"
)

// The auditor's subcommands beside the default PDF check.
var auditCommands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"evidence": runEvidence,
	"log":      runLog,
	"compare":  runCompare,
	"stats":    runStats,
}

const auditUsage = `usage:
  lienthong-verify evidence --roots FILE [--crl FILE] --log-key FILE [--json] BUNDLE.zip
  lienthong-verify log      --hub ADDR --state FILE --log-key FILE --origin NAME AUTH
  lienthong-verify compare  --log-key FILE --origin NAME [--hub ADDR AUTH] STATE_A STATE_B
  lienthong-verify stats    --hub ADDR --log-key FILE --origin NAME AUTH [--json]

AUTH, to reach the hub: --cert FILE --key FILE [--key-passphrase-file FILE] --roots FILE
--log-key FILE holds the hub's log verifier key (name+hash+key), given by its operator.
Exit status: 0 everything holds; 1 something does not; 2 bad usage or unreadable input.
`

// common holds the flags the subcommands share.
type common struct {
	fs                          *flag.FlagSet
	roots, crl, logKey, origin  string
	hub, cert, key, keyPassFile string
	asJSON                      bool
}

func newCommon(name string) *common {
	c := &common{fs: flag.NewFlagSet("lienthong-verify "+name, flag.ContinueOnError)}
	c.fs.SetOutput(io.Discard)
	c.fs.StringVar(&c.roots, "roots", "", "")
	c.fs.StringVar(&c.crl, "crl", "", "")
	c.fs.StringVar(&c.logKey, "log-key", "", "")
	c.fs.StringVar(&c.origin, "origin", "", "")
	c.fs.StringVar(&c.hub, "hub", "", "")
	c.fs.StringVar(&c.cert, "cert", "", "")
	c.fs.StringVar(&c.key, "key", "", "")
	c.fs.StringVar(&c.keyPassFile, "key-passphrase-file", "", "")
	c.fs.BoolVar(&c.asJSON, "json", false, "")
	return c
}

type usageErr string

func (e usageErr) Error() string { return string(e) }

// parse parses flags wherever they stand and returns the arguments.
func (c *common) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			return nil, usageErr(err.Error())
		}
		if c.fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
}

func (c *common) verifier() (*certs.Verifier, error) {
	if c.roots == "" {
		return nil, usageErr("--roots is required")
	}
	roots, err := certs.ReadCertificates(c.roots)
	if err != nil {
		return nil, err
	}
	v, err := certs.NewVerifier(roots)
	if err != nil {
		return nil, err
	}
	if c.crl != "" {
		data, err := os.ReadFile(c.crl)
		if err != nil {
			return nil, err
		}
		crl, err := certs.ParseCRL(data)
		if err != nil {
			return nil, err
		}
		v.SetCRLs(crl)
	}
	return v, nil
}

func (c *common) log() (audit.Log, error) {
	if c.logKey == "" || c.origin == "" {
		return audit.Log{}, usageErr("--log-key and --origin are required")
	}
	key, err := c.readLogKey()
	if err != nil {
		return audit.Log{}, err
	}
	return audit.Log{Origin: c.origin, Key: key}, nil
}

// readLogKey reads the hub's log verifier key from --log-key; "" when the
// flag is not given.
func (c *common) readLogKey() (string, error) {
	if c.logKey == "" {
		return "", nil
	}
	b, err := os.ReadFile(c.logKey)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func (c *common) client() (*hubclient.Client, error) {
	if c.hub == "" || c.cert == "" || c.key == "" {
		return nil, usageErr("--hub, --cert, --key and --roots are required to reach the hub")
	}
	v, err := c.verifier()
	if err != nil {
		return nil, err
	}
	var pass []byte
	if c.keyPassFile != "" {
		b, err := os.ReadFile(c.keyPassFile)
		if err != nil {
			return nil, err
		}
		pass = bytes.TrimRight(b, "\r\n")
	}
	kp, err := certs.OpenSigner(certs.SignerRef{Cert: c.cert, Key: c.key, Passphrase: pass})
	if err != nil {
		return nil, err
	}
	return hubclient.New(c.hub, kp, v, hubclient.Options{})
}

// hubLog returns the log the auditor trusts and a client of its hub.
func (c *common) hubLog() (audit.Log, *hubclient.Client, error) {
	l, err := c.log()
	if err != nil {
		return audit.Log{}, nil, err
	}
	cl, err := c.client()
	if err != nil {
		return audit.Log{}, nil, err
	}
	return l, cl, nil
}

// finish prints an error the auditor's way and maps it to an exit status.
func finish(stderr io.Writer, err error) int {
	if err == nil {
		return exitValid
	}
	var ue usageErr
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "lienthong-verify: error: %s (see lienthong-verify help)\n", ue)
		return exitUnread
	}
	fmt.Fprintf(stderr, "lienthong-verify: error: %v\n", err)
	if errors.Is(err, audit.ErrForked) {
		return exitInvalid
	}
	return exitUnread
}

func runEvidence(args []string, stdout, stderr io.Writer) int {
	c := newCommon("evidence")
	pos, err := c.parse(args)
	if err == nil && len(pos) != 1 {
		err = usageErr("want one evidence bundle")
	}
	if err != nil {
		return finish(stderr, err)
	}
	v, err := c.verifier()
	if err != nil {
		return finish(stderr, err)
	}
	logKey, err := c.readLogKey()
	if err != nil {
		return finish(stderr, err)
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return finish(stderr, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return finish(stderr, err)
	}
	b, err := evidence.Read(f, st.Size())
	if err != nil {
		return finish(stderr, err)
	}
	rep := evidence.Verify(b, evidence.Options{Verifier: v, LogKey: logKey})
	if c.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			*evidence.Report
			OK bool `json:"ok"`
		}{rep, rep.OK()})
	} else {
		for _, ch := range rep.Checks {
			mark := "OK  "
			if !ch.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(stdout, "%s %s", mark, ch.What)
			if ch.Detail != "" {
				fmt.Fprintf(stdout, ": %s", ch.Detail)
			}
			fmt.Fprintln(stdout)
		}
	}
	if !rep.OK() {
		return exitInvalid
	}
	return exitValid
}

func runLog(args []string, stdout, stderr io.Writer) int {
	c := newCommon("log")
	state := c.fs.String("state", "", "")
	pos, err := c.parse(args)
	if err == nil && (len(pos) != 0 || *state == "") {
		err = usageErr("--state FILE is required and no argument is taken")
	}
	if err != nil {
		return finish(stderr, err)
	}
	l, cl, err := c.hubLog()
	if err != nil {
		return finish(stderr, err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := audit.Follow(ctx, cl, l, *state)
	if err != nil {
		return finish(stderr, err)
	}
	switch {
	case res.First:
		fmt.Fprintf(stdout, "OK: first checkpoint of %s saved: %d entries\n", res.Latest.Origin, res.Latest.Size)
	case res.Latest.Size == res.Previous.Size:
		fmt.Fprintf(stdout, "OK: the log still has %d entries and the same history\n", res.Latest.Size)
	default:
		fmt.Fprintf(stdout, "OK: the log grew from %d to %d entries and kept its history\n", res.Previous.Size, res.Latest.Size)
	}
	return exitValid
}

func runCompare(args []string, stdout, stderr io.Writer) int {
	c := newCommon("compare")
	pos, err := c.parse(args)
	if err == nil && len(pos) != 2 {
		err = usageErr("want two state files")
	}
	if err != nil {
		return finish(stderr, err)
	}
	l, err := c.log()
	if err != nil {
		return finish(stderr, err)
	}
	var states [2]audit.State
	for i, p := range pos {
		if states[i], err = audit.LoadState(p); err != nil {
			return finish(stderr, err)
		}
		if states[i].Checkpoint == "" {
			return finish(stderr, fmt.Errorf("%s holds no checkpoint", p))
		}
	}
	var cl *hubclient.Client
	if c.hub != "" {
		if cl, err = c.client(); err != nil {
			return finish(stderr, err)
		}
		defer cl.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := audit.Compare(ctx, cl, l, states[0], states[1]); err != nil {
		return finish(stderr, err)
	}
	fmt.Fprintf(stdout, "OK: the two checkpoints (%d and %d entries) belong to one history\n", states[0].Size, states[1].Size)
	return exitValid
}

func runStats(args []string, stdout, stderr io.Writer) int {
	c := newCommon("stats")
	pos, err := c.parse(args)
	if err == nil && len(pos) != 0 {
		err = usageErr("no argument is taken")
	}
	if err != nil {
		return finish(stderr, err)
	}
	l, cl, err := c.hubLog()
	if err != nil {
		return finish(stderr, err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	today := time.Now().In(document.VietnamTime).Format(time.DateOnly)
	rep, err := audit.Recount(ctx, cl, l, today)
	if err != nil {
		return finish(stderr, err)
	}
	if c.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		fmt.Fprintf(stdout, "log: %d entries, tree verified against the signed checkpoint\n", rep.LogSize)
		fmt.Fprintf(stdout, "%-15s %6s %9s %10s %10s %8s\n", "AGENCY", "SENT", "RECEIVED", "DELIVERED", "COMPLETED", "OVERDUE")
		for _, n := range rep.Counts {
			fmt.Fprintf(stdout, "%-15s %6d %9d %10d %10d %8d\n", n.Agency, n.Sent, n.Received, n.Delivered, n.Completed, n.Overdue)
		}
		for _, m := range rep.Mismatches {
			fmt.Fprintf(stdout, "MISMATCH %s %s: the hub publishes %d, its log shows %d\n", m.Agency, m.Figure, m.Published, m.Logged)
		}
	}
	if len(rep.Mismatches) > 0 {
		return exitInvalid
	}
	return exitValid
}
