// Package audit is what an auditor runs against a hub without trusting it:
// it follows the hub's transparency log from one saved checkpoint to the
// next, proving each time that the log only grew; compares the checkpoints
// two auditors saved, to catch a hub that shows them different histories;
// recounts the hub's published statistics from the log's own entries; and
// traces where an agency code led on a date across reorganisations, from
// directory records each proved against the log (Trace).
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"lienthong/certs"
	"lienthong/shared/auditlog"
	"lienthong/shared/hubclient"
	"lienthong/shared/strictjson"
	"lienthong/shared/wire"
)

// ErrForked reports two checkpoints of one log that cannot both be true:
// the hub rewrote or forked its history. The signed checkpoints are the
// proof.
var ErrForked = errors.New("the hub's log history was rewritten or forked")

// State is what an auditor keeps between runs: the last checkpoint it
// verified, as signed by the hub.
type State struct {
	Origin     string    `json:"origin"`
	Size       int64     `json:"size"`
	Checkpoint string    `json:"checkpoint"` // the signed note
	Checked    time.Time `json:"checked"`
}

// LoadState reads a state file; a missing file is an empty state.
func LoadState(path string) (State, error) {
	var st State
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := strictjson.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("state %s: %w", path, err)
	}
	return st, nil
}

// SaveState writes the state atomically.
func SaveState(path string, st State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return certs.ReplaceFile(path, append(data, '\n'), 0o644)
}

// Log names the log an auditor trusts: its origin and the hub's note
// verifier key.
type Log struct {
	Origin string
	Key    string
}

func (l Log) open(signed []byte) (auditlog.Checkpoint, error) {
	return auditlog.OpenCheckpoint(signed, l.Key, l.Origin)
}

// Result is one step of following the log.
type Result struct {
	Previous, Latest auditlog.Checkpoint
	First            bool // there was no saved checkpoint
}

// Follow fetches the hub's latest checkpoint, proves it extends the one
// in statePath (if any), and saves it there. On ErrForked the state is
// left as it was, so the evidence stays.
func Follow(ctx context.Context, c *hubclient.Client, l Log, statePath string) (*Result, error) {
	st, err := LoadState(statePath)
	if err != nil {
		return nil, err
	}
	signed, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetch checkpoint: %w", err)
	}
	latest, err := l.open(signed)
	if err != nil {
		return nil, err
	}
	res := &Result{Latest: latest, First: st.Checkpoint == ""}
	if !res.First {
		prev, err := l.open([]byte(st.Checkpoint))
		if err != nil {
			return nil, fmt.Errorf("saved checkpoint: %w", err)
		}
		res.Previous = prev
		if err := proveGrowth(ctx, c, prev, latest); err != nil {
			return res, err
		}
	}
	return res, SaveState(statePath, State{Origin: latest.Origin, Size: latest.Size, Checkpoint: string(signed), Checked: time.Now().UTC()})
}

// proveGrowth checks that newer extends older with a proof from the hub.
func proveGrowth(ctx context.Context, c *hubclient.Client, older, newer auditlog.Checkpoint) error {
	var p auditlog.ConsistencyProof
	if older.Size > 0 && older.Size < newer.Size {
		var err error
		if p, err = c.Consistency(ctx, older.Size, newer.Size); err != nil {
			return fmt.Errorf("fetch consistency proof %d→%d: %w", older.Size, newer.Size, err)
		}
	}
	if err := auditlog.VerifyConsistency(older, newer, p); err != nil {
		return fmt.Errorf("%w: %v", ErrForked, err)
	}
	return nil
}

// Compare checks two auditors' saved checkpoints against each other.
// Equal sizes must have equal roots. Otherwise the hub (c) is asked for
// its latest checkpoint and must prove that both saved ones are prefixes
// of it: a hub that showed the auditors different histories cannot, and a
// hub that now serves a log shorter than one it signed is caught too.
func Compare(ctx context.Context, c *hubclient.Client, l Log, a, b State) error {
	ca, err := l.open([]byte(a.Checkpoint))
	if err != nil {
		return fmt.Errorf("first checkpoint: %w", err)
	}
	cb, err := l.open([]byte(b.Checkpoint))
	if err != nil {
		return fmt.Errorf("second checkpoint: %w", err)
	}
	if ca.Size == cb.Size {
		if ca.Root != cb.Root {
			return fmt.Errorf("%w: two signed checkpoints of size %d with different roots", ErrForked, ca.Size)
		}
		return nil
	}
	if c == nil {
		return errors.New("the checkpoints differ in size: a hub address is needed to fetch consistency proofs")
	}
	signed, err := c.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("fetch checkpoint: %w", err)
	}
	latest, err := l.open(signed)
	if err != nil {
		return err
	}
	for _, saved := range []auditlog.Checkpoint{ca, cb} {
		if err := proveGrowth(ctx, c, saved, latest); err != nil {
			return err
		}
	}
	return nil
}

// Counts are what the log says of one agency.
type Counts struct {
	Agency    string `json:"agency"`
	Sent      uint64 `json:"sent"`      // submissions it made
	Received  uint64 `json:"received"`  // documents queued to it
	Delivered uint64 `json:"delivered"` // documents it acknowledged
	Completed uint64 `json:"completed"` // status 06 it sent
	Overdue   uint64 `json:"overdue"`   // documents to it past due without 06 or 02
}

// Mismatch is a figure the hub publishes that its log does not support.
type Mismatch struct {
	Agency    string `json:"agency"`
	Figure    string `json:"figure"`
	Published uint64 `json:"published"`
	Logged    uint64 `json:"logged"`
}

// StatsReport is the outcome of Recount.
type StatsReport struct {
	Checkpoint auditlog.Checkpoint `json:"-"`
	LogSize    int64               `json:"log_size"`
	Counts     []Counts            `json:"counts"`
	Mismatches []Mismatch          `json:"mismatches"`
}

// Recount downloads the whole log up to a fresh signed checkpoint,
// rebuilds its tree to prove the entries are exactly the log, counts per
// agency, and compares with the statistics the hub publishes. today is the
// date (yyyy-mm-dd, Vietnam) overdue is judged at.
func Recount(ctx context.Context, c *hubclient.Client, l Log, today string) (*StatsReport, error) {
	published, err := c.Stats(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetch statistics: %w", err)
	}
	signed, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	cp, err := l.open(signed)
	if err != nil {
		return nil, err
	}
	if cp.Size < published.LogSize {
		return nil, fmt.Errorf("the statistics are of a log of %d entries, the checkpoint of only %d", published.LogSize, cp.Size)
	}
	counts := map[string]*Counts{}
	at := func(a string) *Counts {
		if counts[a] == nil {
			counts[a] = &Counts{Agency: a}
		}
		return counts[a]
	}
	type pending struct{ due, recipient string }
	open := map[string]pending{} // message id + recipient → due date
	err = walkLog(ctx, c, cp, func(index int64, e *auditlog.Entry) {
		// Counted only up to the size the statistics were taken at.
		if index >= published.LogSize {
			return
		}
		switch e.Kind {
		case auditlog.KindAccepted:
			at(e.Sender).Sent++
			for _, r := range e.Recipients {
				at(r).Received++
				if e.Due != "" {
					open[e.MessageID+" "+r] = pending{due: e.Due, recipient: r}
				}
			}
		case auditlog.KindDelivered:
			at(e.Agency).Delivered++
		case auditlog.KindStatus:
			if e.Status == "06" {
				at(e.Agency).Completed++
			}
			if e.Status == "06" || e.Status == "02" || e.Status == "15" {
				delete(open, e.MessageID+" "+e.Agency)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	for _, p := range open {
		if p.due < today {
			at(p.recipient).Overdue++
		}
	}
	rep := &StatsReport{Checkpoint: cp, LogSize: published.LogSize}
	for _, a := range published.Agencies {
		got := at(a.Agency)
		for _, f := range []struct {
			name      string
			published uint64
			logged    uint64
		}{
			{"sent", a.Sent, got.Sent}, {"received", a.Received, got.Received},
			{"delivered", a.Acked, got.Delivered}, {"completed", a.Statuses["06"], got.Completed},
		} {
			if f.published != f.logged {
				rep.Mismatches = append(rep.Mismatches, Mismatch{Agency: a.Agency, Figure: f.name, Published: f.published, Logged: f.logged})
			}
		}
	}
	for _, c := range counts {
		rep.Counts = append(rep.Counts, *c)
	}
	sort.Slice(rep.Counts, func(i, j int) bool { return rep.Counts[i].Agency < rep.Counts[j].Agency })
	return rep, nil
}

// entrySource serves a log's entries: a hub (hubclient.Client), or an
// auditor's saved answer (TraceFile).
type entrySource interface {
	LogEntries(ctx context.Context, from, to int64) ([][]byte, error)
}

// walkLog downloads the log's entries up to cp, in pages of at most
// wire.MaxLogEntries, hands each to each with its index, and proves that
// they make the tree cp signs: ErrForked otherwise. It is the one reading
// of a whole log, for every check that recounts what the log holds.
func walkLog(ctx context.Context, src entrySource, cp auditlog.Checkpoint, each func(index int64, e *auditlog.Entry)) error {
	rebuilt := &auditlog.Memory{}
	for from := int64(0); from < cp.Size; from += wire.MaxLogEntries {
		to := min(from+wire.MaxLogEntries, cp.Size)
		entries, err := src.LogEntries(ctx, from, to)
		if err != nil {
			return fmt.Errorf("fetch entries %d–%d: %w", from, to, err)
		}
		if int64(len(entries)) != to-from {
			return fmt.Errorf("the hub returned %d entries for %d–%d", len(entries), from, to)
		}
		for i, raw := range entries {
			if _, err := rebuilt.Append(raw); err != nil {
				return err
			}
			e, err := auditlog.DecodeEntry(raw)
			if err != nil {
				return fmt.Errorf("entry %d: %w", from+int64(i), err)
			}
			each(from+int64(i), e)
		}
	}
	head, err := auditlog.Head(cp.Origin, cp.Size, rebuilt)
	if err != nil {
		return err
	}
	if head.Root != cp.Root {
		return fmt.Errorf("%w: the entries the hub serves do not make the tree it signed", ErrForked)
	}
	return nil
}
