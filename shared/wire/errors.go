package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Code is a machine-readable error code. Every error the hub answers is
// an Error body with one of these codes and the HTTP status this file maps
// it to; this file is the only place that mapping lives, both directions.
type Code string

// Error codes.
const (
	CodeBadRequest       Code = "bad_request"        // malformed request or body
	CodeMalformed        Code = "malformed_packet"   // the packet cannot be read
	CodeBadSignature     Code = "bad_signature"      // the packet's signature does not verify
	CodeUntrustedSigner  Code = "untrusted_signer"   // signer not chained to the roots, expired or revoked
	CodeSenderMismatch   Code = "sender_mismatch"    // signer, sender field and connection disagree
	CodeInvalidDocument  Code = "invalid_document"   // metadata breaks ND30's rules or limits
	CodeUnknownRecipient Code = "unknown_recipient"  // a recipient is not in the directory or not active
	CodeMissingBlob      Code = "missing_blob"       // an attachment was not uploaded
	CodeHashMismatch     Code = "hash_mismatch"      // uploaded or inline bytes do not match their SHA-256
	CodeNotPDF           Code = "not_pdf"            // an attachment is not a readable PDF
	CodeSecretNotAllowed Code = "secret_not_allowed" // marked Mật or above, and this hub does not carry those
	CodePDFTooComplex    Code = "pdf_too_complex"    // an attachment asks too much of a PDF reader (a decompression or object bomb)
	CodeTooLarge         Code = "too_large"          // over the size limit
	CodeOffset           Code = "offset_mismatch"    // an upload chunk at the wrong offset
	CodeConflict         Code = "conflict"           // a message id reused for another packet
	CodeNotFound         Code = "not_found"
	CodeForbidden        Code = "forbidden" // not a party to this message
	CodeWithdrawn        Code = "withdrawn" // recalled before it was delivered
	CodeInvalidStatus    Code = "invalid_status"
	CodeRateLimited      Code = "rate_limited"
	CodeUnavailable      Code = "unavailable" // shutting down, overloaded, or its database out of reach: retry, here or on another node
	CodeInternal         Code = "internal"
	// CodeQuotaExceeded: the agency's partial uploads and attachments not
	// yet sent in a message fill its upload quota; send or let them expire.
	CodeQuotaExceeded Code = "quota_exceeded"
	// CodeGone: an attachment's bytes were removed after the hub's
	// retention period for delivered documents; the log and receipts keep
	// the proof.
	CodeGone Code = "gone"
	// CodeRecipientClosed: an addressee's code was closed by a
	// reorganisation; Details is a RecipientClosed naming each closed
	// addressee's successor. The hub does not reroute: the addressee is
	// part of the signed document, so the sender re-addresses it.
	CodeRecipientClosed Code = "recipient_closed"
	// CodeUnregistered: a certificate of a trusted CA (the client's, or a
	// packet's signer's) that names no agency of ours and that no agency
	// registered in the directory; the operator registers its SHA-256.
	CodeUnregistered Code = "unregistered_certificate"
)

var statusOf = map[Code]int{
	CodeBadRequest:       http.StatusBadRequest,
	CodeMalformed:        http.StatusBadRequest,
	CodeBadSignature:     http.StatusUnprocessableEntity,
	CodeUntrustedSigner:  http.StatusUnprocessableEntity,
	CodeSenderMismatch:   http.StatusForbidden,
	CodeInvalidDocument:  http.StatusUnprocessableEntity,
	CodeUnknownRecipient: http.StatusUnprocessableEntity,
	CodeMissingBlob:      http.StatusConflict,
	CodeHashMismatch:     http.StatusUnprocessableEntity,
	CodeNotPDF:           http.StatusUnprocessableEntity,
	CodeSecretNotAllowed: http.StatusUnprocessableEntity,
	CodePDFTooComplex:    http.StatusUnprocessableEntity,
	CodeTooLarge:         http.StatusRequestEntityTooLarge,
	CodeOffset:           http.StatusConflict,
	CodeConflict:         http.StatusConflict,
	CodeNotFound:         http.StatusNotFound,
	CodeForbidden:        http.StatusForbidden,
	CodeWithdrawn:        http.StatusGone,
	CodeInvalidStatus:    http.StatusUnprocessableEntity,
	CodeRateLimited:      http.StatusTooManyRequests,
	CodeUnavailable:      http.StatusServiceUnavailable,
	CodeInternal:         http.StatusInternalServerError,
	CodeQuotaExceeded:    http.StatusRequestEntityTooLarge,
	CodeGone:             http.StatusGone,
	CodeRecipientClosed:  http.StatusUnprocessableEntity,
	CodeUnregistered:     http.StatusForbidden,
}

// HTTPStatus is the HTTP status the hub answers with for c.
func (c Code) HTTPStatus() int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Retryable reports whether the same request may succeed later unchanged.
func (c Code) Retryable() bool {
	switch c {
	case CodeRateLimited, CodeUnavailable, CodeInternal, CodeMissingBlob, CodeOffset:
		return true
	}
	return false
}

// Returns reports whether an answer with c to a document's submission (its
// uploads or PostDocument) refuses that document for good: the packet as
// signed will never be accepted, and the hub stored nothing of it, so the
// sender takes it back (and may re-address or correct it) rather than
// retry. Not retryable codes about the request or the connection rather
// than the document (bad_request, forbidden, quota_exceeded...) are not
// among them: the document may go through once they are fixed.
func (c Code) Returns() bool {
	switch c {
	case CodeMalformed, CodeBadSignature, CodeUntrustedSigner, CodeSenderMismatch, CodeInvalidDocument,
		CodeUnknownRecipient, CodeRecipientClosed, CodeNotPDF, CodeSecretNotAllowed, CodePDFTooComplex,
		CodeTooLarge, CodeConflict:
		return true
	}
	return false
}

// Error is the body of every error answer.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`           // English, for logs and operators
	Offset  int64  `json:"offset,omitempty"`  // for offset_mismatch: resume from here
	Details any    `json:"details,omitempty"` // e.g. the validation problems
}

func (e *Error) Error() string { return fmt.Sprintf("hub: %s: %s", e.Code, e.Message) }

// Errorf makes an Error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RecipientClosed is the Details of a recipient_closed error.
type RecipientClosed struct {
	Closed []ClosedRecipient `json:"closed"`
}

// ClosedRecipient is an addressee whose code was closed, and the agency
// that takes its documents now: the end of its chain of successions.
type ClosedRecipient struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	ClosedOn      string `json:"closed_on,omitempty"` // yyyy-mm-dd; empty if the directory has no date
	Successor     string `json:"successor"`
	SuccessorName string `json:"successor_name"`
}

// RecipientClosedOf returns the details of a recipient_closed error, as a
// client decoded them (Details holds generic JSON there); ok=false for
// any other error or one without details.
func RecipientClosedOf(err error) (RecipientClosed, bool) {
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeRecipientClosed {
		return RecipientClosed{}, false
	}
	var out RecipientClosed
	if d, ok := e.Details.(RecipientClosed); ok {
		return d, true
	}
	raw, err := json.Marshal(e.Details)
	if err != nil || json.Unmarshal(raw, &out) != nil || len(out.Closed) == 0 {
		return RecipientClosed{}, false
	}
	return out, true
}

// CodeOf returns the code of err if it is or wraps an *Error, and
// CodeInternal otherwise.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// CodeForStatus guesses a code for an HTTP answer that carried no Error
// body (a proxy's page, say).
func CodeForStatus(status int) Code {
	switch {
	case status == http.StatusTooManyRequests:
		return CodeRateLimited
	case status == http.StatusNotFound:
		return CodeNotFound
	case status == http.StatusRequestEntityTooLarge:
		return CodeTooLarge
	case status >= 500:
		return CodeUnavailable
	}
	return CodeBadRequest
}
