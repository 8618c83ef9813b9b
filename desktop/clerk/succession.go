package clerk

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/wire"
)

// Agencies closed by a reorganisation (the 2025 mergers). The hub refuses
// a document addressed to a closed code (recipient_closed) rather than
// delivering it elsewhere, since the addressee is part of what was
// signed; the clerk re-addresses it. The clerk checks its cached directory
// first, so that it never signs a document to a code it knows closed,
// and reads the hub's refusal when its cache is older than the hub's. A
// document from a closed code, signed before the closure, verifies as any
// other and is listed under its successor.

// ErrRecipientClosed: a recipient's code was closed; the error is a
// *RecipientClosedError naming the successors.
var ErrRecipientClosed = errors.New("a recipient's agency code is closed")

// ClosedRecipient is a closed recipient and the agency that succeeds it.
type ClosedRecipient struct {
	Code          certs.AgencyCode
	Name          string
	ClosedOn      string // yyyy-mm-dd when the hub said; empty otherwise
	Successor     certs.AgencyCode
	SuccessorName string
}

// RecipientClosedError refuses a draft or reports the hub's refusal of a
// document addressed to closed codes.
type RecipientClosedError struct {
	Closed []ClosedRecipient
}

func (e *RecipientClosedError) Error() string {
	return ErrRecipientClosed.Error() + ": " + e.List()
}

func (e *RecipientClosedError) Unwrap() error { return ErrRecipientClosed }

// List names each closed recipient and its successor, in no language:
// "old name → successor name (code)".
func (e *RecipientClosedError) List() string {
	parts := make([]string, len(e.Closed))
	for i, c := range e.Closed {
		parts[i] = fmt.Sprintf("%s → %s (%s)", c.Name, c.SuccessorName, c.Successor)
	}
	return strings.Join(parts, "; ")
}

// RecipientClosedOf returns the closed recipients of an error: the clerk's
// own check before signing, or the hub's recipient_closed refusal.
func RecipientClosedOf(err error) (*RecipientClosedError, bool) {
	var rc *RecipientClosedError
	if errors.As(err, &rc) {
		return rc, true
	}
	d, ok := wire.RecipientClosedOf(err)
	if !ok {
		return nil, false
	}
	rc = &RecipientClosedError{}
	for _, c := range d.Closed {
		rc.Closed = append(rc.Closed, ClosedRecipient{Code: certs.AgencyCode(c.Code), Name: c.Name, ClosedOn: c.ClosedOn,
			Successor: certs.AgencyCode(c.Successor), SuccessorName: c.SuccessorName})
	}
	return rc, true
}

// maxChain bounds a walk along successions in the cached directory.
const maxChain = 64

// Successor returns the agency that takes code's documents according to
// the cached directory: the end of its chain of successions. ok is false
// when the directory does not know code as closed.
func (c *Clerk) Successor(code certs.AgencyCode) (store.Agency, bool) {
	a, err := c.st.Agency(code)
	if err != nil || a.Active || a.SupersededBy == "" {
		return store.Agency{}, false
	}
	seen := map[certs.AgencyCode]bool{code: true}
	for range maxChain {
		next, err := c.st.Agency(a.SupersededBy)
		if err != nil {
			return store.Agency{Code: a.SupersededBy, Name: string(a.SupersededBy)}, true
		}
		if next.Active || next.SupersededBy == "" || seen[next.Code] {
			return next, true
		}
		seen[next.Code] = true
		a = next
	}
	return a, true
}

// PickableDirectory lists what a clerk picks recipients from: the active
// agencies and the closed ones (shown with their successors, picking one
// offers its successor), in code order.
func (c *Clerk) PickableDirectory() ([]store.Agency, error) {
	all, err := c.st.SearchAgencies("", true, 0)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if a.Active || a.SupersededBy != "" {
			out = append(out, a)
		}
	}
	return out, nil
}

// closedRecipients lists the recipients the cached directory knows closed.
func (c *Clerk) closedRecipients(to []document.Recipient) *RecipientClosedError {
	var out []ClosedRecipient
	for _, r := range to {
		succ, ok := c.Successor(r.Code)
		if !ok {
			continue
		}
		name := r.Name
		if a, err := c.st.Agency(r.Code); err == nil {
			name = a.Name
		}
		out = append(out, ClosedRecipient{Code: r.Code, Name: name, Successor: succ.Code, SuccessorName: succ.Name})
	}
	if len(out) == 0 {
		return nil
	}
	return &RecipientClosedError{Closed: out}
}

// closedProblems are a draft's closed recipients as validation problems.
func closedProblems(to []document.Recipient, rc *RecipientClosedError) []document.Problem {
	var out []document.Problem
	for _, cl := range rc.Closed {
		field := "to"
		for i, r := range to {
			if r.Code == cl.Code {
				field = fmt.Sprintf("to[%d]", i)
			}
		}
		out = append(out, document.Problem{Field: field, Code: document.ProblemNotAllowed,
			Message:   fmt.Sprintf("%s has merged: it is now %s (%s)", cl.Name, cl.SuccessorName, cl.Successor),
			MessageVI: fmt.Sprintf("%s đã sáp nhập; nay là %s (%s).", cl.Name, cl.SuccessorName, cl.Successor)})
	}
	return out
}

// withSuccessors sets each summary's Successor when the cached directory
// knows its agency closed.
func (c *Clerk) withSuccessors(rows []store.Summary) []store.Summary {
	memo := map[certs.AgencyCode]*store.Agency{}
	for i := range rows {
		code := rows[i].AgencyCode
		s, seen := memo[code]
		if !seen {
			if succ, ok := c.Successor(code); ok {
				s = &succ
			}
			memo[code] = s
		}
		rows[i].Successor = s
	}
	return rows
}

// forgetDirectory makes the next sync round fetch the directory again.
func (c *Clerk) forgetDirectory() {
	c.mu.Lock()
	c.dirRefreshed = time.Time{}
	c.mu.Unlock()
}
