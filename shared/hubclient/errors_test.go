package hubclient

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"lienthong/shared/wire"
)

func answer(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Body: io.NopCloser(strings.NewReader(body))}
}

// TestHubErrorsMatchSentinels checks that an answer of the hub matches the
// sentinel of its code and stays a *wire.Error.
func TestHubErrorsMatchSentinels(t *testing.T) {
	tests := []struct {
		name string
		resp *http.Response
		code wire.Code
		want error
	}{
		{"Withdrawn", answer(410, `{"code":"withdrawn","message":"recalled"}`), wire.CodeWithdrawn, ErrWithdrawn},
		{"InvalidStatus", answer(422, `{"code":"invalid_status","message":"03 after 05"}`), wire.CodeInvalidStatus, ErrInvalidStatus},
		{"Offset", answer(409, `{"code":"offset_mismatch","message":"x","offset":7}`), wire.CodeOffset, ErrOffset},
		{"ProxyPage404", answer(404, `<html>not here</html>`), wire.CodeNotFound, ErrNotFound},
		{"ProxyPage502", answer(502, `bad gateway`), wire.CodeUnavailable, ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := decodeError(tc.resp)
			if !errors.Is(err, tc.want) {
				t.Fatalf("%v does not match %v", err, tc.want)
			}
			if got := wire.CodeOf(err); got != tc.code {
				t.Fatalf("wire.CodeOf = %s, want %s", got, tc.code)
			}
			var we *wire.Error
			if !errors.As(err, &we) || we.Code != tc.code {
				t.Fatalf("errors.As *wire.Error: %v", we)
			}
			for _, other := range sentinels {
				if other != tc.want && errors.Is(err, other) {
					t.Fatalf("%v also matches %v", err, other)
				}
			}
		})
	}
	if err := decodeError(answer(400, `{"code":"from_the_future","message":"x"}`)); wire.CodeOf(err) != "from_the_future" {
		t.Fatalf("an unknown code: %v", err)
	}
}

// TestEveryCodeHasASentinel keeps the mapping whole: every wire code a
// hub answers has its sentinel here.
func TestEveryCodeHasASentinel(t *testing.T) {
	codes := []wire.Code{wire.CodeBadRequest, wire.CodeMalformed, wire.CodeBadSignature, wire.CodeUntrustedSigner,
		wire.CodeSenderMismatch, wire.CodeInvalidDocument, wire.CodeUnknownRecipient, wire.CodeMissingBlob,
		wire.CodeHashMismatch, wire.CodeNotPDF, wire.CodeSecretNotAllowed, wire.CodePDFTooComplex, wire.CodeTooLarge, wire.CodeOffset, wire.CodeConflict, wire.CodeNotFound,
		wire.CodeForbidden, wire.CodeWithdrawn, wire.CodeInvalidStatus, wire.CodeRateLimited, wire.CodeUnavailable,
		wire.CodeInternal, wire.CodeQuotaExceeded, wire.CodeGone, wire.CodeRecipientClosed, wire.CodeUnregistered}
	seen := map[error]bool{}
	for _, c := range codes {
		s := Sentinel(c)
		if s == nil || seen[s] {
			t.Fatalf("code %s: sentinel %v (missing or shared)", c, s)
		}
		seen[s] = true
	}
	if len(sentinels) != len(codes) {
		t.Fatalf("%d sentinels for %d codes", len(sentinels), len(codes))
	}
}
