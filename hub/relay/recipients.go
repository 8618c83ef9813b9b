package relay

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

// ErrRecipientClosed: an addressee's code was closed by a reorganisation.
// The error is a *RecipientClosedError naming the successors.
var ErrRecipientClosed = errors.New("recipient's agency code is closed")

// RecipientClosedError refuses a document addressed to closed codes: each
// closed addressee with the agency that takes its documents today.
type RecipientClosedError struct {
	Closed []ClosedRecipient
}

// ClosedRecipient is a closed addressee and the end of its chain of
// successions on the day the document came.
type ClosedRecipient struct {
	Agency    store.Agency // the closed code's entry
	Successor store.Agency
}

func (e *RecipientClosedError) Error() string {
	parts := make([]string, len(e.Closed))
	for i, c := range e.Closed {
		parts[i] = fmt.Sprintf("%s is succeeded by %s", c.Agency.Code, c.Successor.Code)
	}
	return ErrRecipientClosed.Error() + ": " + strings.Join(parts, ", ")
}

func (e *RecipientClosedError) Unwrap() error { return ErrRecipientClosed }

// recipients returns the agencies a document is delivered to: each of its
// To entries, which must be an active agency of the directory. It is the
// one place a document's addressees become deliveries, whichever packet
// (a Lienthong packet or edXML) the document came in.
//
// An addressee whose code a reorganisation closed is refused, naming its
// successor (*RecipientClosedError), rather than delivered there: the
// addressee is part of the signed document ("Kính gửi: …"), so rerouting
// would hand a paper addressed to a body that no longer exists to another
// one without its sender knowing. The sender's clerk re-addresses it. A
// closure whose day has not come yet (recorded ahead of the act taking
// effect) still delivers to the code; the day is Vietnam's.
func (r *Relay) recipients(ctx context.Context, m *document.Metadata) ([]certs.AgencyCode, error) {
	out := make([]certs.AgencyCode, 0, len(m.To))
	today := store.DayOf(r.clock())
	var closed []ClosedRecipient
	for _, to := range m.To {
		a, err := r.st.Agency(ctx, to.Code)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s", ErrUnknownRecipient, to.Code)
		}
		if err != nil {
			return nil, err
		}
		if a.Superseded() {
			chain, err := store.Trace(ctx, r.st, to.Code, today)
			if err != nil {
				return nil, err
			}
			if len(chain) > 1 {
				closed = append(closed, ClosedRecipient{Agency: a, Successor: chain[len(chain)-1]})
				continue
			}
			if a.Closed() {
				out = append(out, to.Code) // closes on a later day
				continue
			}
		}
		if !a.Active {
			return nil, fmt.Errorf("%w: %s", ErrUnknownRecipient, to.Code)
		}
		out = append(out, to.Code)
	}
	if len(closed) > 0 {
		return nil, &RecipientClosedError{Closed: closed}
	}
	return out, nil
}
