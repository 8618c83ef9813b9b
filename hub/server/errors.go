package server

import (
	"context"
	"errors"
	"net/http"

	"lienthong/certs"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// The server's own refusals, made while decoding a request, before the
// relay is called.
var (
	errBadRequest  = errors.New("bad request")
	errNoIdentity  = errors.New("no agency identity")
	errRateLimited = errors.New("rate limited")
	errOverloaded  = errors.New("the hub is overloaded")
	errRevoked     = errors.New("the client certificate is no longer valid (revoked or expired)")
	errNoLogKey    = errors.New("this hub has no log key configured")
	errNoRoute     = errors.New("no such call")
)

// codes maps the sentinel errors of the relay, the store, the packet
// checks and the server's decoding to wire codes. This table is the only
// place on the hub where an error becomes a wire code; the client maps
// codes back to sentinels in shared/hubclient/errors.go. The first entry
// the error matches wins.
var codes = []struct {
	target error
	code   wire.Code
}{
	{errBadRequest, wire.CodeBadRequest},
	{certs.ErrUnregistered, wire.CodeUnregistered},
	{errNoIdentity, wire.CodeForbidden},
	{errRateLimited, wire.CodeRateLimited},
	{errOverloaded, wire.CodeUnavailable},
	{errRevoked, wire.CodeForbidden},
	{errNoLogKey, wire.CodeUnavailable},
	{errNoRoute, wire.CodeNotFound},
	{relay.ErrSenderMismatch, wire.CodeSenderMismatch},
	{relay.ErrUnknownRecipient, wire.CodeUnknownRecipient},
	{relay.ErrRecipientClosed, wire.CodeRecipientClosed},
	{relay.ErrAttachmentSize, wire.CodeInvalidDocument},
	{relay.ErrNotPDF, wire.CodeNotPDF},
	{relay.ErrSecretNotAllowed, wire.CodeSecretNotAllowed},
	{relay.ErrPDFTooComplex, wire.CodePDFTooComplex},
	{relay.ErrNotRecipient, wire.CodeForbidden},
	{relay.ErrQuotaExceeded, wire.CodeQuotaExceeded},
	{relay.ErrDraining, wire.CodeUnavailable},
	{relay.ErrEdXMLBusy, wire.CodeUnavailable},
	{relay.ErrEdXMLRegarding, wire.CodeInvalidStatus},
	{edxml.ErrTooLarge, wire.CodeTooLarge},
	{edxml.ErrMalformed, wire.CodeMalformed},
	{edxml.ErrNotEdXML, wire.CodeMalformed},
	{edxml.ErrAttachment, wire.CodeMalformed},
	{edxml.ErrMissing, wire.CodeInvalidDocument},
	{edxml.ErrInvalid, wire.CodeInvalidDocument},
	{xmlsig.ErrUnsigned, wire.CodeBadSignature},
	{xmlsig.ErrBadSignature, wire.CodeBadSignature},
	{xmlsig.ErrUnsupported, wire.CodeBadSignature},
	{xmlsig.ErrWeakAlgorithm, wire.CodeBadSignature},
	{relay.ErrRenditionTooLarge, wire.CodeTooLarge},
	{envelope.ErrBadSignature, wire.CodeBadSignature},
	{envelope.ErrUntrusted, wire.CodeUntrustedSigner},
	{envelope.ErrWrongSigner, wire.CodeSenderMismatch},
	{envelope.ErrInvalid, wire.CodeInvalidDocument},
	{envelope.ErrMalformed, wire.CodeMalformed},
	{document.ErrInvalid, wire.CodeInvalidDocument},
	{document.ErrMalformed, wire.CodeMalformed},
	{document.ErrTransition, wire.CodeInvalidStatus},
	{store.ErrWrongDocument, wire.CodeInvalidStatus},
	{store.ErrNotFound, wire.CodeNotFound},
	{store.ErrConflict, wire.CodeConflict},
	{store.ErrLeaseLost, wire.CodeConflict},
	{store.ErrMissingBlob, wire.CodeMissingBlob},
	{store.ErrInvalid, wire.CodeBadRequest},
	{store.ErrForbidden, wire.CodeForbidden},
	{store.ErrWithdrawn, wire.CodeWithdrawn},
	{store.ErrDigestMismatch, wire.CodeHashMismatch},
	{store.ErrTooLarge, wire.CodeTooLarge},
	{store.ErrGone, wire.CodeGone},
	{store.ErrClosed, wire.CodeUnavailable},
	{store.ErrUnavailable, wire.CodeUnavailable},
	{certs.ErrRevoked, wire.CodeUntrustedSigner},
	{context.Canceled, wire.CodeUnavailable},
}

// toWire maps an error to the error the client receives: a validation
// error keeps its problems, a closed recipient names its successor, an upload at the wrong offset the offset to
// resume from, anything unknown is internal (its cause goes to the log,
// not to the client).
func toWire(err error) *wire.Error {
	var ve *document.ValidationError
	if errors.As(err, &ve) {
		return &wire.Error{Code: wire.CodeInvalidDocument, Message: err.Error(), Details: ve.Problems}
	}
	var ce *relay.RecipientClosedError
	if errors.As(err, &ce) {
		return &wire.Error{Code: wire.CodeRecipientClosed, Message: err.Error(), Details: recipientClosed(ce)}
	}
	var oe *store.OffsetError
	if errors.As(err, &oe) {
		return &wire.Error{Code: wire.CodeOffset, Message: err.Error(), Offset: oe.Want}
	}
	if errors.Is(err, store.ErrUnavailable) {
		// The driver's words name hosts and ports: the log has them.
		return &wire.Error{Code: wire.CodeUnavailable, Message: store.ErrUnavailable.Error()}
	}
	for _, t := range codes {
		if errors.Is(err, t.target) {
			we := &wire.Error{Code: t.code, Message: err.Error()}
			// An edXML packet's refusal names its element.
			if ee := (*edxml.Error)(nil); errors.As(err, &ee) && ee.Path != "" {
				we.Details = wire.EdXMLRefusal{Element: ee.Path}
			}
			return we
		}
	}
	return &wire.Error{Code: wire.CodeInternal, Message: "internal error"}
}

// fail answers err and logs it: client mistakes at Info, a database out
// of reach at Warn (a failover says so once per request in flight), the
// hub's own failures at Error, each with the cause the client does not
// see.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, agency certs.AgencyCode, err error) wire.Code {
	we := toWire(err)
	attrs := []any{"agency", agency, "method", r.Method, "path", r.URL.Path, "code", we.Code}
	switch {
	case we.Code == wire.CodeInternal:
		s.log.Error("request failed", append(attrs, "err", err)...)
	case errors.Is(err, store.ErrUnavailable):
		s.log.Warn("request failed: the database cannot be reached", append(attrs, "err", err)...)
	default:
		s.log.Info("request refused", append(attrs, "err", we.Message)...)
	}
	_ = writeJSON(w, we.Code.HTTPStatus(), we)
	return we.Code
}

// recipientClosed is the wire form of a refusal for closed recipients.
func recipientClosed(e *relay.RecipientClosedError) wire.RecipientClosed {
	out := wire.RecipientClosed{Closed: make([]wire.ClosedRecipient, len(e.Closed))}
	for i, c := range e.Closed {
		out.Closed[i] = wire.ClosedRecipient{Code: string(c.Agency.Code), Name: c.Agency.Name,
			Successor: string(c.Successor.Code), SuccessorName: c.Successor.Name}
		if c.Agency.Closed() {
			out.Closed[i].ClosedOn = store.Day(c.Agency.ClosedOn)
		}
	}
	return out
}
