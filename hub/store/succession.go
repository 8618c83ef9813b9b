package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"lienthong/certs"
	"lienthong/shared/document"
)

// Successions: when agencies merge (the 2025 reorganisation), a code is
// closed on a date and one agency succeeds it. A closure is recorded on
// the closed code's directory entry (Agency.ClosedOn, SupersededBy,
// ClosedBasis) with a history entry and a log entry like any directory
// change, is never changed afterwards, and its code is never reused:
// UpsertAgency refuses any change to a closed code.
//
// One successor per closed code: the body that took over the closed one's
// affairs and records. Where a body was split among several, the
// reorganisation's act still names the one that inherits its pending
// affairs, and that is where a document addressed to it belongs; the
// others are new codes of their own. This keeps where a code leads on a
// date a single answer (Trace).
var (
	// ErrCodeClosed: the code was closed by a succession. Its entry is
	// never changed again and the code is never reused.
	ErrCodeClosed = errors.New("agency code closed")
	// ErrSuccessionCycle: the successions would lead a code back to itself.
	ErrSuccessionCycle = errors.New("successions form a cycle")
)

// Succession says that Code closed on the day On and Successor succeeds it.
type Succession struct {
	Code certs.AgencyCode
	// On is the day the code closed, as midnight UTC of that date: from
	// that day on, the code leads to Successor.
	On        time.Time
	Successor certs.AgencyCode
	// SuccessorName creates Successor, active, when the directory lacks
	// it; when Successor exists it must be empty or its name.
	SuccessorName string
	// Basis is the act that decided it ("Nghị quyết 202/2025/QH15"); optional.
	Basis string
	// Line is where the caller read it (a file's line), named in errors;
	// 0 if none.
	Line int
}

// SuccessionError is a refused succession: its position in the batch, the
// caller's line, and why (wrapping ErrInvalid, ErrNotFound, ErrCodeClosed
// or ErrSuccessionCycle).
type SuccessionError struct {
	Index int // in the batch, from 0
	Line  int // Succession.Line
	Code  certs.AgencyCode
	Err   error
}

func (e *SuccessionError) Error() string {
	where := fmt.Sprintf("succession %d", e.Index+1)
	if e.Line > 0 {
		where = fmt.Sprintf("line %d", e.Line)
	}
	return fmt.Sprintf("%s (%s): %v", where, e.Code, e.Err)
}

func (e *SuccessionError) Unwrap() error { return e.Err }

// Closed reports whether the code was closed by a recorded succession.
func (a *Agency) Closed() bool { return !a.ClosedOn.IsZero() }

// Superseded reports whether documents addressed to a go to a successor:
// a recorded closure, or an inactive entry naming the code that replaced
// it (set by an import before closures had dates).
func (a *Agency) Superseded() bool { return !a.Active && a.SupersededBy != "" }

// IsDay reports whether t is a date as successions keep it: midnight UTC.
func IsDay(t time.Time) bool {
	return !t.IsZero() && t.Equal(t.UTC().Truncate(24*time.Hour)) && t.Location() == time.UTC
}

// validate checks what a succession says by itself.
func (s *Succession) validate() error {
	if err := ValidAgencyCode(s.Code); err != nil {
		return err
	}
	if err := ValidAgencyCode(s.Successor); err != nil {
		return fmt.Errorf("successor: %w", err)
	}
	if !IsDay(s.On) {
		return fmt.Errorf("%w: the closing date must be a day (midnight UTC)", ErrInvalid)
	}
	if s.Code == s.Successor {
		return fmt.Errorf("%w: %s succeeds itself", ErrSuccessionCycle, s.Code)
	}
	if s.SuccessorName != "" && !validText(s.SuccessorName, 200) {
		return fmt.Errorf("%w: successor name too long, not UTF-8 or with hidden characters", ErrInvalid)
	}
	if s.Basis != "" && !validText(s.Basis, 200) {
		return fmt.Errorf("%w: basis too long, not UTF-8 or with hidden characters", ErrInvalid)
	}
	return nil
}

func validText(s string, runes int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= runes && !document.HasHiddenRune(s) && strings.TrimSpace(s) != ""
}

// AgencyLookup reads a directory entry; found=false when the code is not
// in the directory. Backends give one that reads inside their transaction.
type AgencyLookup func(code certs.AgencyCode) (a Agency, found bool, err error)

// PlanSuccessions checks a batch of successions against the directory as
// get reads it and returns the entries to write: each successor to
// create, then each closed code's entry. A closure already recorded with
// the same successor and day is left out (importing a file twice changes
// nothing). The first refused succession is a *SuccessionError; the batch
// is refused whole. Both backends call it inside the transaction that
// writes the result, so the rule is checked where it is applied.
func PlanSuccessions(succ []Succession, get AgencyLookup) ([]Agency, error) {
	fail := func(i int, err error) error {
		return &SuccessionError{Index: i, Line: succ[i].Line, Code: succ[i].Code, Err: err}
	}
	first := make(map[certs.AgencyCode]int, len(succ)) // closed code → its row
	for i := range succ {
		s := &succ[i]
		if err := s.validate(); err != nil {
			return nil, fail(i, err)
		}
		if j, dup := first[s.Code]; dup {
			return nil, fail(i, fmt.Errorf("%w: closed twice in this batch (also %s)", ErrInvalid, rowName(succ, j)))
		}
		first[s.Code] = i
	}
	var (
		created  []Agency
		newNames = map[certs.AgencyCode]string{}
		closed   []Agency
		cache    = map[certs.AgencyCode]*Agency{}
	)
	lookup := func(code certs.AgencyCode) (*Agency, error) {
		if a, ok := cache[code]; ok {
			return a, nil
		}
		a, found, err := get(code)
		if err != nil {
			return nil, err
		}
		var p *Agency
		if found {
			p = &a
		}
		cache[code] = p
		return p, nil
	}
	for i := range succ {
		s := &succ[i]
		cur, err := lookup(s.Code)
		if err != nil {
			return nil, err
		}
		if cur == nil {
			return nil, fail(i, fmt.Errorf("%w: %s is not in the directory", ErrNotFound, s.Code))
		}
		succAg, err := lookup(s.Successor)
		if err != nil {
			return nil, err
		}
		switch {
		case succAg != nil:
			if s.SuccessorName != "" && s.SuccessorName != succAg.Name {
				return nil, fail(i, fmt.Errorf("%w: successor %s is %q in the directory, not %q", ErrInvalid, s.Successor, succAg.Name, s.SuccessorName))
			}
			if !succAg.Active && !succAg.Superseded() {
				return nil, fail(i, fmt.Errorf("%w: successor %s is inactive: it takes no documents", ErrInvalid, s.Successor))
			}
			if succAg.Closed() && succAg.ClosedOn.Before(s.On) {
				return nil, fail(i, fmt.Errorf("%w: successor %s closed on %s, before %s", ErrCodeClosed, s.Successor, Day(succAg.ClosedOn), Day(s.On)))
			}
		case s.SuccessorName != "":
			if name, ok := newNames[s.Successor]; ok {
				if name != s.SuccessorName {
					return nil, fail(i, fmt.Errorf("%w: successor %s named %q here and %q elsewhere in this batch", ErrInvalid, s.Successor, s.SuccessorName, name))
				}
				break
			}
			newNames[s.Successor] = s.SuccessorName
			parent, _ := s.Successor.Parent()
			created = append(created, Agency{Code: s.Successor, Name: s.SuccessorName, Parent: parent, Level: s.Successor.Level(), Active: true})
		default:
			if _, ok := newNames[s.Successor]; !ok && !namedLater(succ, i, s.Successor) {
				return nil, fail(i, fmt.Errorf("%w: successor %s is neither in the directory nor named in this batch", ErrNotFound, s.Successor))
			}
		}
		if j, ok := first[s.Successor]; ok && succ[j].On.Before(s.On) {
			return nil, fail(i, fmt.Errorf("%w: successor %s closes on %s (%s), before %s", ErrCodeClosed, s.Successor, Day(succ[j].On), rowName(succ, j), Day(s.On)))
		}
		if cur.Closed() {
			if cur.SupersededBy == s.Successor && cur.ClosedOn.Equal(s.On) {
				continue // recorded already
			}
			return nil, fail(i, fmt.Errorf("%w: closed on %s, succeeded by %s; a closure is never changed", ErrCodeClosed, Day(cur.ClosedOn), cur.SupersededBy))
		}
		if path, err := cycle(succ, first, i, lookup); err != nil {
			return nil, err
		} else if path != "" {
			return nil, fail(i, fmt.Errorf("%w: %s", ErrSuccessionCycle, path))
		}
		next := *cur
		next.Active, next.SupersededBy, next.ClosedOn, next.ClosedBasis = false, s.Successor, s.On, s.Basis
		closed = append(closed, next)
	}
	return append(created, closed...), nil
}

// namedLater reports whether a row after i names code as a successor to
// create (rows are checked in order; a later one may create it).
func namedLater(succ []Succession, i int, code certs.AgencyCode) bool {
	for _, s := range succ[i+1:] {
		if s.Successor == code && s.SuccessorName != "" {
			return true
		}
	}
	return false
}

// cycle follows row i's successor through rows 0..i of the batch and the
// directory and returns the path if it comes back to row i's code: a
// cycle is blamed on the row that closes it.
func cycle(succ []Succession, first map[certs.AgencyCode]int, i int, lookup func(certs.AgencyCode) (*Agency, error)) (string, error) {
	start := succ[i].Code
	path := []string{string(start)}
	seen := map[certs.AgencyCode]bool{start: true}
	for code := succ[i].Successor; ; {
		path = append(path, string(code))
		if code == start {
			return strings.Join(path, " → "), nil
		}
		if seen[code] {
			return "", nil // a loop elsewhere (entries from before closures had dates); not this row's
		}
		seen[code] = true
		if j, ok := first[code]; ok && j <= i {
			code = succ[j].Successor
			continue
		}
		a, err := lookup(code)
		if err != nil {
			return "", err
		}
		if a == nil || !a.Superseded() {
			return "", nil
		}
		code = a.SupersededBy
	}
}

func rowName(succ []Succession, j int) string {
	if succ[j].Line > 0 {
		return fmt.Sprintf("line %d", succ[j].Line)
	}
	return fmt.Sprintf("succession %d", j+1)
}

// Day formats a closing date as yyyy-mm-dd.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// ParseDay reads a date yyyy-mm-dd (or dd/mm/yyyy, as Vietnamese documents
// write it) as successions keep it.
func ParseDay(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date (want yyyy-mm-dd or dd/mm/yyyy)", s)
}

// AgencyReader reads one directory entry; Directory implements it.
type AgencyReader interface {
	Agency(ctx context.Context, code certs.AgencyCode) (Agency, error)
}

// maxChain bounds a trace: no real chain of successions is long.
const maxChain = 64

// Trace answers where code led on day: the code's entry, then each
// successor's, as long as the entry before it had closed on or before
// day. The last entry is the agency that took documents for code that
// day. An entry superseded without a recorded date (imported before
// closures had dates) is followed whatever the day. An unknown code is
// ErrNotFound.
func Trace(ctx context.Context, dir AgencyReader, code certs.AgencyCode, day time.Time) ([]Agency, error) {
	var out []Agency
	seen := map[certs.AgencyCode]bool{}
	for len(out) < maxChain && !seen[code] {
		seen[code] = true
		a, err := dir.Agency(ctx, code)
		if err != nil {
			if len(out) > 0 && errors.Is(err, ErrNotFound) {
				return out, nil // a successor the directory lost: the chain ends here
			}
			return nil, fmt.Errorf("trace %s: %w", code, err)
		}
		out = append(out, a)
		if !a.Superseded() || (a.Closed() && a.ClosedOn.After(day)) {
			break
		}
		code = a.SupersededBy
	}
	return out, nil
}

// CheckUpsert is the rule UpsertAgency applies, inside its transaction, to
// a new entry a for a code whose stored entry is cur (nil if none): a
// closure is recorded only by CloseAgencies, and a closed code is never
// changed or reused.
func CheckUpsert(a *Agency, cur *Agency) error {
	if a.Closed() {
		return fmt.Errorf("%w: agency %s: a closure is recorded as a succession, not an upsert", ErrInvalid, a.Code)
	}
	if cur != nil && cur.Closed() {
		return fmt.Errorf("%w: %s closed on %s, succeeded by %s; its code is never reused", ErrCodeClosed, a.Code, Day(cur.ClosedOn), cur.SupersededBy)
	}
	return nil
}

// vietnam is Vietnam's time zone (UTC+7, no daylight saving).
var vietnam = time.FixedZone("ICT", 7*3600)

// DayOf is the day t falls on in Vietnam, as successions keep days.
func DayOf(t time.Time) time.Time {
	d := t.In(vietnam)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}
