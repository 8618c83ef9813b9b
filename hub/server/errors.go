package server

import (
	"context"
	"errors"
	"net/http"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// toWire maps an error from the store, the packet checks or the handlers to
// the error the client receives. This is the only place internal errors
// become wire codes; the client side maps codes back in its own package.
func toWire(err error) *wire.Error {
	var we *wire.Error
	if errors.As(err, &we) {
		return we
	}
	var ve *document.ValidationError
	if errors.As(err, &ve) {
		return &wire.Error{Code: wire.CodeInvalidDocument, Message: err.Error(), Details: ve.Problems}
	}
	var oe *store.OffsetError
	if errors.As(err, &oe) {
		return &wire.Error{Code: wire.CodeOffset, Message: err.Error(), Offset: oe.Want}
	}
	table := []struct {
		target error
		code   wire.Code
	}{
		{envelope.ErrBadSignature, wire.CodeBadSignature},
		{envelope.ErrUntrusted, wire.CodeUntrustedSigner},
		{envelope.ErrWrongSigner, wire.CodeSenderMismatch},
		{envelope.ErrInvalid, wire.CodeInvalidDocument},
		{envelope.ErrMalformed, wire.CodeMalformed},
		{document.ErrInvalid, wire.CodeInvalidDocument},
		{document.ErrMalformed, wire.CodeMalformed},
		{document.ErrTransition, wire.CodeInvalidStatus},
		{store.ErrNotFound, wire.CodeNotFound},
		{store.ErrConflict, wire.CodeConflict},
		{store.ErrMissingBlob, wire.CodeMissingBlob},
		{store.ErrInvalid, wire.CodeBadRequest},
		{store.ErrForbidden, wire.CodeForbidden},
		{store.ErrWithdrawn, wire.CodeWithdrawn},
		{store.ErrDigestMismatch, wire.CodeHashMismatch},
		{store.ErrTooLarge, wire.CodeTooLarge},
		{store.ErrClosed, wire.CodeUnavailable},
		{certs.ErrRevoked, wire.CodeUntrustedSigner},
		{context.Canceled, wire.CodeUnavailable},
	}
	for _, t := range table {
		if errors.Is(err, t.target) {
			return &wire.Error{Code: t.code, Message: err.Error()}
		}
	}
	return &wire.Error{Code: wire.CodeInternal, Message: "internal error"}
}

// fail answers err and logs it: client mistakes at Info, the hub's own
// failures at Error with the cause (which the client does not see).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, agency certs.AgencyCode, err error) wire.Code {
	we := toWire(err)
	attrs := []any{"agency", agency, "method", r.Method, "path", r.URL.Path, "code", we.Code}
	if we.Code == wire.CodeInternal {
		s.log.Error("request failed", append(attrs, "err", err)...)
	} else {
		s.log.Info("request refused", append(attrs, "err", we.Message)...)
	}
	_ = writeJSON(w, we.Code.HTTPStatus(), we)
	return we.Code
}
