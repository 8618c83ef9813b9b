package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"lienthong/certs"
	"lienthong/shared/auditlog"
	"lienthong/shared/strictjson"
	"lienthong/shared/wire"
)

// ErrForged reports a directory record the hub served that is not what
// its log committed to: other bytes, another code or another time than
// the log entry it names.
var ErrForged = errors.New("a directory record is not what the hub's log committed to")

// ErrIncomplete reports a directory history that leaves out a change the
// log records of its code (a closure hidden, say); only a complete trace
// (TraceOptions.Complete) can tell.
var ErrIncomplete = errors.New("the hub's directory history leaves out changes its log records")

// maxChain bounds a trace, as the hub bounds its own.
const maxChain = 64

// TraceSource is where a trace reads directory histories and the log: a
// hub (*hubclient.Client) or a saved TraceFile.
type TraceSource interface {
	DirectoryHistory(ctx context.Context, code string) (*wire.DirectoryHistory, error)
	LogEntries(ctx context.Context, from, to int64) ([][]byte, error)
	Inclusion(ctx context.Context, index, size int64) (auditlog.InclusionProof, error)
}

// TraceFile is everything a trace was checked with: the signed checkpoint,
// the histories and each version's log entry with its inclusion proof. It
// is itself a TraceSource, so a saved trace is checked again offline with
// nothing but the hub's log key.
type TraceFile struct {
	Checkpoint string                  `json:"checkpoint"` // the signed note
	Histories  []wire.DirectoryHistory `json:"histories"`
	Entries    []LoggedEntry           `json:"entries"`
}

// LoggedEntry is one log entry with its proof of inclusion.
type LoggedEntry struct {
	Entry []byte                  `json:"entry"`
	Proof auditlog.InclusionProof `json:"proof"`
}

// LoadTraceFile reads a saved trace.
func LoadTraceFile(path string) (*TraceFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f TraceFile
	if err := strictjson.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("trace file %s: %w", path, err)
	}
	return &f, nil
}

// Save writes the trace file atomically.
func (f *TraceFile) Save(path string) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return certs.ReplaceFile(path, append(data, '\n'), 0o644)
}

// DirectoryHistory implements TraceSource.
func (f *TraceFile) DirectoryHistory(_ context.Context, code string) (*wire.DirectoryHistory, error) {
	for i := range f.Histories {
		if f.Histories[i].Code == code {
			return &f.Histories[i], nil
		}
	}
	return nil, fmt.Errorf("the trace file holds no history of %s", code)
}

// LogEntries implements TraceSource for one entry at a time.
func (f *TraceFile) LogEntries(_ context.Context, from, to int64) ([][]byte, error) {
	for _, e := range f.Entries {
		if e.Proof.Index == from && to == from+1 {
			return [][]byte{e.Entry}, nil
		}
	}
	return nil, fmt.Errorf("the trace file holds no log entry %d", from)
}

// Inclusion implements TraceSource.
func (f *TraceFile) Inclusion(_ context.Context, index, size int64) (auditlog.InclusionProof, error) {
	for _, e := range f.Entries {
		if e.Proof.Index == index && e.Proof.Size == size {
			return e.Proof, nil
		}
	}
	return auditlog.InclusionProof{}, fmt.Errorf("the trace file holds no proof of entry %d in a log of %d", index, size)
}

// TraceStep is one code of a trace, as its last logged version says.
type TraceStep struct {
	Code         string    `json:"code"`
	Name         string    `json:"name"`
	Active       bool      `json:"active"`
	SupersededBy string    `json:"superseded_by,omitempty"`
	ClosedOn     string    `json:"closed_on,omitempty"` // yyyy-mm-dd
	ClosedBasis  string    `json:"closed_basis,omitempty"`
	Recorded     time.Time `json:"recorded"`  // when the hub recorded that version
	LogIndex     int64     `json:"log_index"` // its log entry, verified
	Versions     int       `json:"versions"`  // versions of the code, each verified
	indexes      []int64   // the versions' log entries
}

// TraceReport says where a code led on a day: Chain from the code asked
// to the agency that took its documents that day (the last step).
type TraceReport struct {
	Code       string              `json:"code"`
	Day        string              `json:"day"`
	LogSize    int64               `json:"log_size"` // the checkpoint every version was proved under
	Chain      []TraceStep         `json:"chain"`
	Checkpoint auditlog.Checkpoint `json:"-"`
}

// TraceOptions are a trace's choices.
type TraceOptions struct {
	// Complete downloads the whole log up to the checkpoint, proves it is
	// the tree the checkpoint signs, and checks that each history lists
	// every directory change the log records of its code: without it a
	// hub could leave out a version (a later closure) that it did log.
	Complete bool
	// Record, when not nil, receives what was checked (with the
	// checkpoint), to check again offline (not with Complete).
	Record *TraceFile
}

// Trace answers where code led on day (midnight UTC of the date), from
// the hub's directory histories, proving every version against the log
// under the signed checkpoint: its log entry is in the tree the
// checkpoint signs, and that entry names the code, the time and the
// SHA-256 of the record's exact bytes. It follows a closed code to its
// successor when the closure's day is on or before day (and a code
// superseded without a date whatever the day), as the hub routes. A
// record that is not what the log committed to is ErrForged; an entry not
// in the checkpoint's tree is ErrForked; a history that leaves out a
// logged change, ErrIncomplete (with opts.Complete).
func Trace(ctx context.Context, src TraceSource, l Log, checkpoint []byte, code string, day time.Time, opts TraceOptions) (*TraceReport, error) {
	cp, err := l.open(checkpoint)
	if err != nil {
		return nil, err
	}
	rec := opts.Record
	var logged map[string][]int64
	if opts.Complete {
		if logged, err = directoryChanges(ctx, src, cp); err != nil {
			return nil, err
		}
	}
	if rec != nil {
		rec.Checkpoint = string(checkpoint)
	}
	rep := &TraceReport{Code: code, Day: day.UTC().Format(time.DateOnly), LogSize: cp.Size, Checkpoint: cp}
	seen := map[string]bool{}
	for !seen[code] {
		if len(rep.Chain) == maxChain {
			return nil, fmt.Errorf("the chain of successions from %s is longer than %d codes", rep.Code, maxChain)
		}
		seen[code] = true
		step, err := traceStep(ctx, src, cp, code, rec)
		if err != nil {
			return nil, err
		}
		if logged != nil && !slices.Equal(logged[code], step.indexes) {
			return nil, fmt.Errorf("%w: the history of %s lists log entries %v, the log has directory changes of it at %v", ErrIncomplete, code, step.indexes, logged[code])
		}
		rep.Chain = append(rep.Chain, *step)
		if step.Active || step.SupersededBy == "" {
			break
		}
		if step.ClosedOn != "" && step.ClosedOn > rep.Day {
			break
		}
		code = step.SupersededBy
	}
	return rep, nil
}

// traceStep fetches and proves every version of code and returns what
// its last one says.
func traceStep(ctx context.Context, src TraceSource, cp auditlog.Checkpoint, code string, rec *TraceFile) (*TraceStep, error) {
	h, err := src.DirectoryHistory(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("fetch the directory history of %s: %w", code, err)
	}
	if h.Code != code || len(h.Versions) == 0 {
		return nil, fmt.Errorf("%w: the history asked of %s is of %q with %d versions", ErrForged, code, h.Code, len(h.Versions))
	}
	if rec != nil {
		rec.Histories = append(rec.Histories, *h)
	}
	var (
		last wire.DirectoryRecord
		step TraceStep
	)
	for i, v := range h.Versions {
		if i > 0 && v.LogIndex <= h.Versions[i-1].LogIndex {
			return nil, fmt.Errorf("%w: the versions of %s are not in the log's order", ErrForged, code)
		}
		if err := proveVersion(ctx, src, cp, code, v, rec); err != nil {
			return nil, fmt.Errorf("%s, version %d (log entry %d): %w", code, i+1, v.LogIndex, err)
		}
		// Read as it comes: a later hub may record more fields.
		var r wire.DirectoryRecord
		if err := json.Unmarshal(v.Record, &r); err != nil {
			return nil, fmt.Errorf("%w: %s, version %d: the record is not JSON: %v", ErrForged, code, i+1, err)
		}
		if r.Code != code {
			return nil, fmt.Errorf("%w: %s, version %d: the record is of %q", ErrForged, code, i+1, r.Code)
		}
		last, step.Recorded, step.LogIndex = r, v.At, v.LogIndex
		step.indexes = append(step.indexes, v.LogIndex)
	}
	step.Code, step.Name, step.Active, step.SupersededBy, step.ClosedBasis, step.Versions =
		last.Code, last.Name, last.Active, last.SupersededBy, last.ClosedBasis, len(h.Versions)
	if !last.ClosedOn.IsZero() {
		step.ClosedOn = last.ClosedOn.UTC().Format(time.DateOnly)
	}
	return &step, nil
}

// proveVersion checks one version against the log under cp.
func proveVersion(ctx context.Context, src TraceSource, cp auditlog.Checkpoint, code string, v wire.DirectoryVersion, rec *TraceFile) error {
	if v.LogIndex < 0 || v.LogIndex >= cp.Size {
		return fmt.Errorf("the entry is not under the checkpoint of %d entries (a change after it: check again)", cp.Size)
	}
	entries, err := src.LogEntries(ctx, v.LogIndex, v.LogIndex+1)
	if err != nil {
		return fmt.Errorf("fetch the log entry: %w", err)
	}
	if len(entries) != 1 {
		return fmt.Errorf("the hub returned %d log entries for one", len(entries))
	}
	proof, err := src.Inclusion(ctx, v.LogIndex, cp.Size)
	if err != nil {
		return fmt.Errorf("fetch the inclusion proof: %w", err)
	}
	if proof.Index != v.LogIndex {
		return fmt.Errorf("%w: a proof for entry %d", auditlog.ErrBadProof, proof.Index)
	}
	if err := auditlog.VerifyInclusion(entries[0], proof, cp); err != nil {
		return fmt.Errorf("%w: the log entry is not in the tree the checkpoint signs: %v", ErrForked, err)
	}
	if rec != nil {
		rec.Entries = append(rec.Entries, LoggedEntry{Entry: bytes.Clone(entries[0]), Proof: proof})
	}
	e, err := auditlog.DecodeEntry(entries[0])
	if err != nil {
		return err
	}
	sum := sha256.Sum256(v.Record)
	switch {
	case e.Kind != auditlog.KindDirectory || e.Agency != code:
		return fmt.Errorf("%w: the log entry is a %s entry of %q, not a directory change of %s", ErrForged, e.Kind, e.Agency, code)
	case e.PacketSHA256 != hex.EncodeToString(sum[:]):
		return fmt.Errorf("%w: the record's SHA-256 is %x, the log entry names %s", ErrForged, sum, e.PacketSHA256)
	case !e.At.Equal(v.At):
		return fmt.Errorf("%w: recorded at %s, the log entry says %s", ErrForged, v.At.UTC().Format(time.RFC3339), e.At.UTC().Format(time.RFC3339))
	}
	return nil
}

// directoryChanges downloads the log up to cp, proves the entries make the
// tree cp signs, and returns the indexes of each code's directory changes.
func directoryChanges(ctx context.Context, src TraceSource, cp auditlog.Checkpoint) (map[string][]int64, error) {
	out := map[string][]int64{}
	err := walkLog(ctx, src, cp, func(index int64, e *auditlog.Entry) {
		if e.Kind == auditlog.KindDirectory {
			out[e.Agency] = append(out[e.Agency], index)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
