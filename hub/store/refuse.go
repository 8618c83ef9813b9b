package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lienthong/certs"
	"lienthong/shared/document"
)

// Refusals end a delivery the other way than Queues.Ack: the recipient's
// system could not take the document (a signature it cannot accept, an
// attachment over its limit, a packet it cannot read) and says so, so
// that its queue moves on and the sender learns why.
type Refusals interface {
	// Refuse marks a pending delivery refused, with a reason (required),
	// in one transaction with its entry in the transparency log, the
	// receipt seal makes for that entry, and status 02 (Từ chối tiếp
	// nhận) from the recipient with the reason, carried by that receipt
	// as its signed bytes and queued to the sender. A refused delivery is
	// never listed or leased again. Refusing it again returns it with
	// existed=true, whatever the reason; an acknowledged delivery is
	// ErrConflict (and acknowledging a refused one is too), a withdrawn one
	// ErrWithdrawn, an unknown one ErrNotFound. The recipient's history of
	// the message must allow 02 (document.Lifecycle): a history that has
	// begun (the recipient sent statuses of its own) may refuse the
	// transition. seal is required: the status needs the receipt's bytes.
	Refuse(ctx context.Context, recipient certs.AgencyCode, messageID, reason string, now time.Time, seal Seal) (d Delivery, existed bool, err error)
}

// ValidReason checks a refusal's reason: required, valid UTF-8 of at most
// document.MaxReason characters, without control characters.
func ValidReason(reason string) error {
	switch {
	case strings.TrimSpace(reason) == "":
		return fmt.Errorf("%w: a refusal needs a reason", ErrInvalid)
	case !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > document.MaxReason:
		return fmt.Errorf("%w: a reason is UTF-8 text of at most %d characters", ErrInvalid, document.MaxReason)
	case strings.IndexFunc(reason, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: a reason without control characters", ErrInvalid)
	}
	return nil
}
