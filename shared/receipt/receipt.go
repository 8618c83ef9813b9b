// Package receipt is the hub's signed word that something happened to a
// document: that it accepted a submission, that a recipient's system
// stored it, or that a recipient's system refused it. A receipt binds the event, the message, the SHA-256 of the
// signed packet, the parties and the hub's time, and is signed with the
// hub's receipt-signing identity in the same packet form as everything
// else (package envelope), so a clerk or an auditor can check it offline
// with the root certificate and the identity's name.
//
// The receipt-signing identity is one certificate kind (certs.IssueReceipt,
// `lienthong-certs issue receipt`), one for all the nodes of a hub service
// and apart from their TLS keys; clients pin it by name
// (urn:lienthong:receipts:<name>, certs.DefaultReceiptSigner unless
// configured otherwise), and Verify accepts no other signer
// (certs.MayIssueReceipts).
package receipt

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"lienthong/certs"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/strictjson"
)

// KindReceipt is the payload kind of a receipt.
const KindReceipt = "receipt"

// Events a receipt attests.
const (
	EventAccepted  = "accepted"  // the hub stored the submission durably
	EventDelivered = "delivered" // the recipient's system stored the document
	// EventRefused: the recipient's system could not take the document
	// (a signature it cannot accept, an attachment over its limit) and
	// refused it, with Reason; the sender sees status 02 carried by this
	// receipt.
	EventRefused = "refused"
)

// ErrInvalid is wrapped by every error about a receipt's content.
var ErrInvalid = errors.New("invalid receipt")

// Receipt is what the hub attests.
type Receipt struct {
	Kind           string    `json:"kind"` // KindReceipt
	Event          string    `json:"event"`
	MessageID      string    `json:"message_id"`
	EnvelopeSHA256 string    `json:"envelope_sha256"` // of the sender's signed packet as submitted
	Sender         string    `json:"sender"`
	Recipients     []string  `json:"recipients"` // all of them when accepted; the one that stored or refused it otherwise
	At             time.Time `json:"at"`
	Hub            string    `json:"hub"` // the hub's name (its certificate's common name)
	// LogIndex is the event's entry in the hub's transparency log; the
	// inclusion proof comes from the hub's log API once a checkpoint
	// covers it.
	LogIndex int64 `json:"log_index"`
	// Reason is why the recipient refused the document (EventRefused
	// only, where it is required).
	Reason string `json:"reason,omitempty"`
}

// Validate checks the receipt's fields.
func (r *Receipt) Validate() error {
	switch {
	case r.Kind != KindReceipt:
		return fmt.Errorf("%w: kind %q", ErrInvalid, r.Kind)
	case r.Event != EventAccepted && r.Event != EventDelivered && r.Event != EventRefused:
		return fmt.Errorf("%w: unknown event %q", ErrInvalid, r.Event)
	case (r.Event == EventRefused) != (strings.TrimSpace(r.Reason) != ""):
		return fmt.Errorf("%w: a refusal and only a refusal carries a reason", ErrInvalid)
	case utf8.RuneCountInString(r.Reason) > document.MaxReason || !utf8.ValidString(r.Reason):
		return fmt.Errorf("%w: a reason of at most %d characters", ErrInvalid, document.MaxReason)
	case !envelope.ValidMessageID(r.MessageID):
		return fmt.Errorf("%w: message id %q", ErrInvalid, r.MessageID)
	case !envelope.ValidSHA256(r.EnvelopeSHA256):
		return fmt.Errorf("%w: envelope hash %q", ErrInvalid, r.EnvelopeSHA256)
	case len(r.Recipients) == 0:
		return fmt.Errorf("%w: no recipient", ErrInvalid)
	case r.At.IsZero():
		return fmt.Errorf("%w: no time", ErrInvalid)
	}
	if _, err := certs.ParseAgencyCode(r.Sender); err != nil {
		return fmt.Errorf("%w: sender: %v", ErrInvalid, err)
	}
	for _, c := range r.Recipients {
		if _, err := certs.ParseAgencyCode(c); err != nil {
			return fmt.Errorf("%w: recipient: %v", ErrInvalid, err)
		}
	}
	return nil
}

// Sign validates r and returns it signed by the hub's signer.
func Sign(r *Receipt, hub certs.Signer) ([]byte, error) {
	r.Kind = KindReceipt
	r.At = r.At.UTC()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	payload, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return envelope.Seal(payload, hub)
}

// Verify checks a signed receipt: a valid signature by the receipt-signing
// identity named signer (certs.MayIssueReceipts) chained to v's roots and
// not revoked at the receipt's own time, and well-formed content. It
// returns the receipt and the identity's certificate. A receipt signed by
// anything else, a hub node's TLS certificate included, wraps
// certs.ErrNotReceiptSigner.
func Verify(wire []byte, v *certs.Verifier, signer string) (*Receipt, *x509.Certificate, error) {
	p, err := envelope.Decode(wire)
	if err != nil {
		return nil, nil, err
	}
	var r Receipt
	if err := strictjson.Unmarshal(p.Payload, &r); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := r.Validate(); err != nil {
		return nil, nil, err
	}
	chain, err := p.VerifySigner(v, r.At, x509.ExtKeyUsageAny)
	if err != nil {
		return nil, nil, err
	}
	if err := certs.MayIssueReceipts(chain[0], signer); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", envelope.ErrUntrusted, err)
	}
	return &r, chain[0], nil
}

// EnvelopeHash returns the lower-case hex SHA-256 of a packet's wire form,
// the form receipts name it by.
func EnvelopeHash(wire []byte) string {
	d := envelope.Digest(wire)
	return hex.EncodeToString(d[:])
}
