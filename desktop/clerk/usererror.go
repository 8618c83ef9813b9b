package clerk

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"syscall"

	"github.com/quic-go/quic-go"

	"lienthong/certs"
	"lienthong/certs/token"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/pades"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// UserError is what a clerk may read about a failure: a message of
// desktop/i18n with its arguments, in the clerk's language, clear and
// actionable. The technical cause stays in Err, for the log; it is never
// shown. Explain makes one from any error.
type UserError struct {
	Key  i18n.Key
	Args []any
	// Problems are a validation error's problems, listed one a line
	// after the message.
	Problems []document.Problem
	// Ref is set for an error Explain does not know: a short reference
	// shown to the clerk and logged beside the cause, so that support can
	// find the log line the clerk reads out.
	Ref string
	// Err is the technical cause.
	Err error
}

// Error describes the failure for the log: the key and the cause.
func (e *UserError) Error() string {
	if e.Ref != "" {
		return fmt.Sprintf("%s [ref %s]: %v", e.Key, e.Ref, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Key, e.Err)
}

func (e *UserError) Unwrap() error { return e.Err }

// Message is what the clerk reads, in cat's language: the message, then
// each validation problem on its own line.
func (e *UserError) Message(cat *i18n.Catalog) string {
	msg := cat.T(e.Key, e.Args...)
	for _, p := range e.Problems {
		text := p.MessageVI
		if cat.Lang() == i18n.English || text == "" {
			text = p.Message
		}
		msg += "\n• " + text
	}
	return msg
}

// LogAttrs are the attributes of the log line that goes with the message
// a clerk sees: the message key, the reference if any, and the cause.
// Errors of this tree never carry document content, so neither do these.
func (e *UserError) LogAttrs() []any {
	attrs := []any{"msg_key", string(e.Key), "err", e.Err}
	if e.Ref != "" {
		attrs = append(attrs, "ref", e.Ref)
	}
	return attrs
}

// Explain maps an error of the core, the store, the hub (by its wire
// code), the PKI, the PDF verifier or the operating system to what a
// clerk can act on. It is the one place that decides what a clerk reads
// about a failure; an error it does not know becomes ErrUnexpected with a
// fresh reference. nil gives nil.
func Explain(err error) *UserError {
	if err == nil {
		return nil
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	ue = &UserError{Err: err}
	if k, args, ok := explainKey(err, ue); ok {
		ue.Key, ue.Args = k, args
		return ue
	}
	ue.Key = i18n.ErrUnexpected
	ue.Ref = fmt.Sprintf("%08X", rand.Uint32())
	ue.Args = []any{ue.Ref}
	return ue
}

func explainKey(err error, ue *UserError) (i18n.Key, []any, bool) {
	var ve *document.ValidationError
	if errors.As(err, &ve) {
		ue.Problems = ve.Problems
		return i18n.ErrInvalid, nil, true
	}
	if errors.Is(err, context.Canceled) {
		return i18n.ErrCanceled, nil, true
	}
	var pse *PersonSignatureError
	if errors.As(err, &pse) {
		return i18n.ErrPersonRefused, []any{pse.Check.message()}, true
	}
	if rc, ok := RecipientClosedOf(err); ok {
		return i18n.ErrRecipientClosed, []any{rc.List()}, true
	}
	// The hub answered: its code says why.
	if errors.As(err, new(*wire.Error)) {
		if k, ok := wireKeys[wire.CodeOf(err)]; ok {
			return k, nil, true
		}
		return i18n.ErrHubInternal, nil, true
	}
	var addr *hubclient.AddrError
	if errors.As(err, &addr) {
		return i18n.ErrHubAddress, []any{addr.Addr}, true
	}
	if k, args, ok := explainProxy(err); ok {
		return k, args, true
	}
	for _, s := range sentinelKeys {
		if errors.Is(err, s.err) {
			return s.key, nil, true
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		name := filepath.Base(pe.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return i18n.ErrFileNotFound, []any{name}, true
		case errors.Is(err, fs.ErrPermission):
			return i18n.ErrFilePermission, []any{name}, true
		}
	}
	if errors.Is(err, syscall.ENOSPC) {
		return i18n.ErrDiskFull, nil, true
	}
	// The hub's TLS refused our certificate (an untrusted CA, expired,
	// revoked): it answered, but not over HTTP. (When our handshake knew
	// it would, and stopped, sentinelKeys tell: certs.ErrRefusedByServer.)
	if certificateRefused(err) {
		return i18n.ErrHubRefusedCertificate, nil, true
	}
	// No answer from the hub: the network, its certificate, or a timeout.
	var x509Unknown x509.UnknownAuthorityError
	var x509Invalid x509.CertificateInvalidError
	var x509Host x509.HostnameError
	var tlsVerify *tls.CertificateVerificationError
	if errors.As(err, &x509Unknown) || errors.As(err, &x509Invalid) || errors.As(err, &x509Host) || errors.As(err, &tlsVerify) {
		return i18n.ErrHubCertificate, nil, true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return i18n.ErrTimeout, nil, true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return i18n.ErrTimeout, nil, true
	}
	var ue2 *url.Error
	if errors.As(err, &ue2) || errors.As(err, &ne) {
		return i18n.ErrOffline, nil, true
	}
	return "", nil, false
}

// certificateAlerts are the TLS alerts about the client's certificate
// (RFC 8446 §6.2), as crypto/tls names them and as numbers.
var certificateAlerts = map[string]uint8{
	"tls: bad certificate": 42, "tls: unsupported certificate": 43, "tls: revoked certificate": 44,
	"tls: expired certificate": 45, "tls: unknown certificate": 46, "tls: unknown certificate authority": 48,
	"tls: access denied": 49, "tls: certificate required": 116,
}

// certificateRefused reports a TLS alert from the hub about this
// clerk's certificate: over TCP crypto/tls reports it as a "remote
// error" (its type unexported, so known by its text); over QUIC as a
// remote CRYPTO_ERROR, 0x100 plus the alert.
func certificateRefused(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil {
		_, ok := certificateAlerts[op.Err.Error()]
		return ok
	}
	var qt *quic.TransportError
	if errors.As(err, &qt) && qt.Remote && qt.ErrorCode >= 0x100 && qt.ErrorCode < 0x200 {
		for _, a := range certificateAlerts {
			if uint64(qt.ErrorCode) == 0x100+uint64(a) {
				return true
			}
		}
	}
	return false
}

// wireKeys are the messages of the hub's error codes.
var wireKeys = map[wire.Code]i18n.Key{
	wire.CodeBadRequest:       i18n.ErrHubBadRequest,
	wire.CodeMalformed:        i18n.ErrHubBadRequest,
	wire.CodeBadSignature:     i18n.ErrHubBadSignature,
	wire.CodeUntrustedSigner:  i18n.ErrHubUntrusted,
	wire.CodeSenderMismatch:   i18n.ErrHubSender,
	wire.CodeInvalidDocument:  i18n.ErrHubInvalid,
	wire.CodeUnknownRecipient: i18n.ErrHubRecipient,
	wire.CodeMissingBlob:      i18n.ErrHubTransfer,
	wire.CodeHashMismatch:     i18n.ErrHubTransfer,
	wire.CodeOffset:           i18n.ErrHubTransfer,
	wire.CodeNotPDF:           i18n.ErrHubNotPDF,
	wire.CodeSecretNotAllowed: i18n.ErrHubSecret,
	wire.CodePDFTooComplex:    i18n.ErrHubPDFTooComplex,
	wire.CodeTooLarge:         i18n.ErrHubTooLarge,
	wire.CodeConflict:         i18n.ErrHubConflict,
	wire.CodeNotFound:         i18n.ErrHubNotFound,
	wire.CodeForbidden:        i18n.ErrHubForbidden,
	wire.CodeWithdrawn:        i18n.ErrHubWithdrawn,
	wire.CodeInvalidStatus:    i18n.ErrHubInvalidStatus,
	wire.CodeRateLimited:      i18n.ErrHubBusy,
	wire.CodeUnavailable:      i18n.ErrHubUnavailable,
	wire.CodeInternal:         i18n.ErrHubInternal,
	wire.CodeQuotaExceeded:    i18n.ErrHubQuota,
	wire.CodeGone:             i18n.ErrHubGone,
	wire.CodeRecipientClosed:  i18n.ErrHubRecipient, // without details; with them, explainKey names the successors
	wire.CodeUnregistered:     i18n.ErrHubUnregistered,
}

// sentinelKeys are the messages of the sentinel errors, in the order they
// are tried: the more specific first.
var sentinelKeys = []struct {
	err error
	key i18n.Key
}{
	{xmlsig.ErrBadSignature, i18n.ErrEdXMLTampered},
	{ErrEdXMLUnsigned, i18n.ErrEdXMLUnsigned},
	{ErrEdXMLUntrusted, i18n.ErrEdXMLUntrusted},
	{ErrEdXMLSigner, i18n.ErrEdXMLSigner},
	{ErrEdXMLNotForUs, i18n.ErrEdXMLNotForUs},
	{ErrEdXMLAttachment, i18n.ErrEdXMLAttachment},
	{edxml.ErrTooLarge, i18n.ErrEdXMLTooLarge},
	{edxml.ErrAttachment, i18n.ErrEdXMLUnreadable},
	{edxml.ErrMalformed, i18n.ErrEdXMLUnreadable},
	{edxml.ErrNotEdXML, i18n.ErrEdXMLUnreadable},
	{edxml.ErrMissing, i18n.ErrEdXMLUnreadable},
	{edxml.ErrInvalid, i18n.ErrEdXMLUnreadable},
	{xmlsig.ErrUnsupported, i18n.ErrEdXMLUnreadable},
	{xmlsig.ErrWeakAlgorithm, i18n.ErrEdXMLSigner},
	{token.ErrWrongPIN, i18n.ErrTokenWrongPIN},
	{token.ErrPINLocked, i18n.ErrTokenPINLocked},
	{token.ErrPINNeeded, i18n.ErrTokenPINNeeded},
	{token.ErrTokenRemoved, i18n.ErrTokenRemoved},
	{token.ErrKeyCannotSign, i18n.ErrTokenKeyCannotSign},
	{token.ErrCertMismatch, i18n.ErrTokenCertMismatch},
	{token.ErrNoCertificate, i18n.ErrTokenNoCert},
	{token.ErrTokenNotFound, i18n.ErrTokenNotFound},
	{token.ErrTokenAmbiguous, i18n.ErrTokenAmbiguous},
	{token.ErrKeyNotFound, i18n.ErrTokenKeyNotFound},
	{token.ErrKeyAmbiguous, i18n.ErrTokenKeyNotFound},
	{token.ErrModule, i18n.ErrTokenModule},
	{token.ErrTokenFailed, i18n.ErrTokenFailed},
	{token.ErrNoCgo, i18n.ErrTokenNoSupport},
	{certs.ErrTokenUnsupported, i18n.ErrTokenNoSupport},
	{certs.ErrUnregistered, i18n.SigUnregistered},
	{ErrSealAgency, i18n.ErrSealAgency},
	{ErrNotOurPerson, i18n.ErrNotOurPerson},
	{ErrNotConfigured, i18n.ErrNotConfigured},
	{hubclient.ErrNoAddress, i18n.ErrHubAddressEmpty},
	{ErrWrongBox, i18n.ErrWrongBox},
	{ErrReasonNeeded, i18n.ErrReasonNeeded},
	{ErrNoRecall, i18n.ErrNoRecall},
	{ErrExists, i18n.ErrStoreExists},
	{ErrNoStore, i18n.ErrNoStore},
	{store.ErrWrongPassphrase, i18n.ErrWrongPassphrase},
	{store.ErrLocked, i18n.ErrStoreLocked},
	{store.ErrNewerSchema, i18n.ErrNewerSchema},
	{store.ErrCorrupt, i18n.ErrCorrupt},
	{store.ErrDestroyed, i18n.ErrDestroyed},
	{store.ErrDuplicate, i18n.ErrDuplicate},
	{store.ErrHistory, i18n.ErrTransition},
	{document.ErrTransition, i18n.ErrTransition},
	{store.ErrClosed, i18n.ErrStoreClosed},
	{store.ErrNotFound, i18n.ErrNotFound},
	{document.ErrBadDate, i18n.ErrBadDate},
	{certs.ErrRefusedByServer, i18n.ErrHubRefusedCertificate}, // before what it wraps
	{certs.ErrRevoked, i18n.ErrCertRevoked},
	{certs.ErrExpired, i18n.ErrCertExpired},
	{certs.ErrUntrusted, i18n.ErrCertUntrusted},
	{certs.ErrNoAgency, i18n.ErrCertNoAgency},
	{certs.ErrManyAgencies, i18n.ErrCertNoAgency},
	{certs.ErrBadAgencyCode, i18n.ErrCertNoAgency},
	{certs.ErrWrongPassphrase, i18n.ErrKeyPassphrase},
	{pades.ErrBudget, i18n.ErrPDFTooComplex},
	{pades.ErrNotPDF, i18n.ErrNotPDF},
	{ErrNotViewable, i18n.ErrNotViewable},
	{envelope.ErrActiveContent, i18n.ErrActiveContent},
	{envelope.ErrTypeNotAllowed, i18n.ErrAttachmentType},
	{envelope.ErrContent, i18n.ErrNotPDF},
	{pades.ErrDamaged, i18n.ErrPDFDamaged},
	{pades.ErrEncrypted, i18n.ErrPDFEncrypted},
	{pades.ErrUnsupported, i18n.ErrPDFUnsupported},
}

// explainProxy chooses the message of a proxy's refusal (4xx: its rules
// or its credentials), of a proxy that did not answer or could not reach
// the hub (5xx), or of a proxy setting that is not a URL.
func explainProxy(err error) (i18n.Key, []any, bool) {
	var pu *hubclient.ProxyURLError
	if errors.As(err, &pu) {
		return i18n.ErrProxyURL, nil, true
	}
	var pe *hubclient.ProxyError
	if !errors.As(err, &pe) {
		return "", nil, false
	}
	switch {
	case pe.Status == http.StatusUnauthorized || pe.Status == http.StatusProxyAuthRequired:
		return i18n.ErrProxyAuth, []any{pe.Proxy}, true
	case pe.Status >= 400 && pe.Status < 500:
		return i18n.ErrProxyRefused, []any{pe.Proxy, pe.Target, pe.Status}, true
	}
	return i18n.ErrProxyOffline, []any{pe.Proxy}, true
}
