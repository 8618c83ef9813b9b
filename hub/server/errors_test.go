package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// TestToWire checks the one table that turns the hub's errors into wire
// codes, through the wrapping the relay and the store add.
func TestToWire(t *testing.T) {
	tests := []struct {
		err  error
		want wire.Code
	}{
		{fmt.Errorf("%w: size", errBadRequest), wire.CodeBadRequest},
		{fmt.Errorf("%w: x", errNoIdentity), wire.CodeForbidden},
		{fmt.Errorf("%w: x", errRateLimited), wire.CodeRateLimited},
		{errNoLogKey, wire.CodeUnavailable},
		{fmt.Errorf("%w: GET /v2", errNoRoute), wire.CodeNotFound},
		{fmt.Errorf("%w: x", errOverloaded), wire.CodeUnavailable},
		{fmt.Errorf("%w: x", errSlowBody), wire.CodeUnavailable},
		{fmt.Errorf("%w: revoked", errRevoked), wire.CodeForbidden},
		{fmt.Errorf("%w: %w", envelope.ErrUntrusted, certs.ErrUnregistered), wire.CodeUnregistered},
		{fmt.Errorf("%w: signed by H41", relay.ErrSenderMismatch), wire.CodeSenderMismatch},
		{fmt.Errorf("%w: H26", relay.ErrUnknownRecipient), wire.CodeUnknownRecipient},
		{fmt.Errorf("recipients: %w", closedH20), wire.CodeRecipientClosed},
		{fmt.Errorf("%w: 10 bytes", relay.ErrAttachmentSize), wire.CodeInvalidDocument},
		{fmt.Errorf("attachment %q: %w", "a.pdf", relay.ErrNotPDF), wire.CodeNotPDF},
		{fmt.Errorf("%w: marked Mật", relay.ErrSecretNotAllowed), wire.CodeSecretNotAllowed},
		{fmt.Errorf("attachment %q: %w", "a.pdf", relay.ErrPDFTooComplex), wire.CodePDFTooComplex},
		{fmt.Errorf("%w: sender", relay.ErrNotRecipient), wire.CodeForbidden},
		{fmt.Errorf("append status: %w", &document.TransitionError{Next: document.StatusReceived}), wire.CodeInvalidStatus},
		{fmt.Errorf("append status: %w", store.ErrWrongDocument), wire.CodeInvalidStatus},
		{fmt.Errorf("no message: %w", store.ErrNotFound), wire.CodeNotFound},
		{fmt.Errorf("recalled: %w", store.ErrWithdrawn), wire.CodeWithdrawn},
		{fmt.Errorf("id reused: %w", store.ErrConflict), wire.CodeConflict},
		{fmt.Errorf("x: %w", store.ErrMissingBlob), wire.CodeMissingBlob},
		{fmt.Errorf("x: %w", store.ErrTooLarge), wire.CodeTooLarge},
		{fmt.Errorf("x: %w", store.ErrClosed), wire.CodeUnavailable},
		{fmt.Errorf("accept: %w: dial tcp 10.0.0.7:5432: connection refused", store.ErrUnavailable), wire.CodeUnavailable},
		{fmt.Errorf("begin upload: %w: 3 bytes held", relay.ErrQuotaExceeded), wire.CodeQuotaExceeded},
		{fmt.Errorf("open blob: %w", store.ErrGone), wire.CodeGone},
		{fmt.Errorf("%w: about 60 MB", relay.ErrRenditionTooLarge), wire.CodeTooLarge},
		{&store.OffsetError{Got: 1, Want: 5}, wire.CodeOffset},
		{&document.ValidationError{}, wire.CodeInvalidDocument},
		{errors.New("disk on fire"), wire.CodeInternal},
	}
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			got := toWire(tc.err)
			if got.Code != tc.want {
				t.Fatalf("toWire(%v) = %s, want %s", tc.err, got.Code, tc.want)
			}
			if tc.want == wire.CodeInternal && got.Message != "internal error" {
				t.Fatalf("an internal error's cause reaches the client: %q", got.Message)
			}
			if errors.Is(tc.err, store.ErrUnavailable) && got.Message != store.ErrUnavailable.Error() {
				t.Fatalf("the database's address reaches the client: %q", got.Message)
			}
		})
	}
	if we := toWire(&store.OffsetError{Got: 1, Want: 5}); we.Offset != 5 {
		t.Fatalf("offset = %d, want 5", we.Offset)
	}
	// A closed recipient's refusal names the successor in its details, and
	// a client reads them back from the JSON it received.
	raw, err := json.Marshal(toWire(fmt.Errorf("recipients: %w", closedH20)))
	if err != nil {
		t.Fatal(err)
	}
	var back wire.Error
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	rc, ok := wire.RecipientClosedOf(&back)
	if !ok || len(rc.Closed) != 1 || rc.Closed[0] != (wire.ClosedRecipient{Code: "000.00.00.H20", Name: "UBND tỉnh Hà Giang",
		ClosedOn: "2025-07-01", Successor: "000.00.00.H21", SuccessorName: "UBND tỉnh Tuyên Quang"}) {
		t.Fatalf("details = %+v (%v) from %s", rc, ok, raw)
	}
}

var closedH20 = &relay.RecipientClosedError{Closed: []relay.ClosedRecipient{{
	Agency: store.Agency{Code: "000.00.00.H20", Name: "UBND tỉnh Hà Giang", Level: 1, SupersededBy: "000.00.00.H21",
		ClosedOn: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)},
	Successor: store.Agency{Code: "000.00.00.H21", Name: "UBND tỉnh Tuyên Quang", Level: 1, Active: true},
}}}

// TestUnencodableAnswer: a value writeJSON cannot encode is an error
// before anything is written, so that the error can still be answered.
func TestUnencodableAnswer(t *testing.T) {
	w := httptest.NewRecorder()
	if err := writeJSON(w, http.StatusOK, map[string]any{"f": func() {}}); err == nil || w.Body.Len() != 0 || len(w.Header()) != 0 {
		t.Fatalf("an unencodable value: %v, wrote %q %v", err, w.Body, w.Header())
	}
}
