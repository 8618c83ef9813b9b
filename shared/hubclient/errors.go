package hubclient

import (
	"errors"

	"lienthong/shared/wire"
)

// Sentinel errors for the hub's answers, one per wire code: the one place
// on the client side where wire codes become Go errors. An error the hub
// answered is a *wire.Error (so wire.CodeOf and errors.As keep working)
// that also matches the sentinel of its code:
//
//	if errors.Is(err, hubclient.ErrWithdrawn) { … }
//
// The hub maps its own errors to these codes in hub/server/errors.go.
var (
	ErrBadRequest       = errors.New("the hub refused a malformed request")
	ErrMalformed        = errors.New("the hub cannot read the packet")
	ErrBadSignature     = errors.New("the packet's signature does not verify")
	ErrUntrustedSigner  = errors.New("the packet's signer is not trusted")
	ErrSenderMismatch   = errors.New("the packet's signer is not the connected agency")
	ErrInvalidDocument  = errors.New("the document breaks the rules")
	ErrUnknownRecipient = errors.New("a recipient is not an active agency in the directory")
	ErrMissingBlob      = errors.New("an attachment was not uploaded")
	ErrHashMismatch     = errors.New("the uploaded bytes do not match their SHA-256")
	ErrNotPDF           = errors.New("an attachment is not a readable PDF")
	ErrSecretNotAllowed = errors.New("the hub does not carry documents marked Mật or above")
	ErrPDFTooComplex    = errors.New("an attachment is too complex a PDF to check safely")
	ErrTooLarge         = errors.New("over the hub's size limit")
	ErrOffset           = errors.New("an upload chunk at the wrong offset")
	ErrConflict         = errors.New("the message id was used for another packet")
	ErrNotFound         = errors.New("not found on the hub")
	ErrForbidden        = errors.New("not allowed for this agency")
	ErrWithdrawn        = errors.New("recalled by its sender before it was delivered")
	ErrInvalidStatus    = errors.New("the status may not follow the document's history")
	ErrRateLimited      = errors.New("too many requests")
	ErrUnavailable      = errors.New("the hub is unavailable")
	ErrInternal         = errors.New("the hub failed")
	ErrQuotaExceeded    = errors.New("the agency's unsent uploads fill its quota on the hub")
	ErrGone             = errors.New("the attachment was removed after the hub's retention period")
	ErrRecipientClosed  = errors.New("a recipient's code was closed; its successor takes its documents")
	ErrUnregistered     = errors.New("the certificate of another CA is not registered for any agency in the directory")
)

var sentinels = map[wire.Code]error{
	wire.CodeBadRequest:       ErrBadRequest,
	wire.CodeMalformed:        ErrMalformed,
	wire.CodeBadSignature:     ErrBadSignature,
	wire.CodeUntrustedSigner:  ErrUntrustedSigner,
	wire.CodeSenderMismatch:   ErrSenderMismatch,
	wire.CodeInvalidDocument:  ErrInvalidDocument,
	wire.CodeUnknownRecipient: ErrUnknownRecipient,
	wire.CodeMissingBlob:      ErrMissingBlob,
	wire.CodeHashMismatch:     ErrHashMismatch,
	wire.CodeNotPDF:           ErrNotPDF,
	wire.CodeSecretNotAllowed: ErrSecretNotAllowed,
	wire.CodePDFTooComplex:    ErrPDFTooComplex,
	wire.CodeTooLarge:         ErrTooLarge,
	wire.CodeOffset:           ErrOffset,
	wire.CodeConflict:         ErrConflict,
	wire.CodeNotFound:         ErrNotFound,
	wire.CodeForbidden:        ErrForbidden,
	wire.CodeWithdrawn:        ErrWithdrawn,
	wire.CodeInvalidStatus:    ErrInvalidStatus,
	wire.CodeRateLimited:      ErrRateLimited,
	wire.CodeUnavailable:      ErrUnavailable,
	wire.CodeInternal:         ErrInternal,
	wire.CodeQuotaExceeded:    ErrQuotaExceeded,
	wire.CodeGone:             ErrGone,
	wire.CodeRecipientClosed:  ErrRecipientClosed,
	wire.CodeUnregistered:     ErrUnregistered,
}

// Sentinel returns the sentinel error of a wire code, nil for a code this
// client does not know.
func Sentinel(c wire.Code) error { return sentinels[c] }

// answered is an error the hub answered: its wire body, and the sentinel
// of its code.
type answered struct{ body *wire.Error }

func (e *answered) Error() string { return e.body.Error() }

// Unwrap gives both the *wire.Error and the code's sentinel to errors.Is
// and errors.As.
func (e *answered) Unwrap() []error {
	if s := sentinels[e.body.Code]; s != nil {
		return []error{e.body, s}
	}
	return []error{e.body}
}

// hubError wraps the hub's answer so that it matches its sentinel.
func hubError(body *wire.Error) error { return &answered{body: body} }
