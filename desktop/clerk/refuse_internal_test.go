package clerk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/pades"
)

// TestPacketRefusal: why a packet did not open decides the cause of its
// refusal, and every cause has a reason for the sender, in Vietnamese, and
// words for the clerk in both languages.
func TestPacketRefusal(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want store.RefusalCause
	}{
		{fmt.Errorf("%w: x509: certificate has expired", envelope.ErrUntrusted), store.CauseSigner},
		{fmt.Errorf("check: %w", certs.ErrRevoked), store.CauseSigner},
		{fmt.Errorf("%w: crypto/ecdsa: verification error", envelope.ErrBadSignature), store.CauseSignature},
		{fmt.Errorf("%w: signed by 000.00.00.G22", envelope.ErrWrongSigner), store.CauseSignature},
		{fmt.Errorf("%w: unexpected end of JSON input", envelope.ErrMalformed), store.CauseInvalid},
		{fmt.Errorf("%w: %w", envelope.ErrInvalid, document.ErrInvalid), store.CauseInvalid},
	} {
		var r *refusal
		if err := packetRefusal(tc.err); !errors.As(err, &r) || r.cause != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("packetRefusal(%v) = %v, want cause %s wrapping it", tc.err, err, tc.want)
		}
	}
	vi, en := i18n.New(i18n.Vietnamese), i18n.New(i18n.English)
	for cause := range reasonKeys {
		r := &refusal{cause: cause}
		switch cause {
		case store.CauseTooLarge:
			r.args = []any{"1.0 MB", "0.5 MB"}
		case store.CausePDFTooComplex:
			r.args = []any{"cong-van.pdf"}
		case store.CauseType:
			r.args = []any{".docx", "pdf"}
		}
		if reason := r.reason(); !strings.HasPrefix(reason, "Hệ thống của cơ quan nhận") || strings.Contains(reason, "%!") {
			t.Errorf("the reason for %s: %q", cause, reason)
		}
		if CauseText(vi, cause) == CauseText(en, cause) {
			t.Errorf("the cause %s reads the same in both languages: %q", cause, CauseText(vi, cause))
		}
	}
}

// TestCheckLimits refuses an attachment over the clerk's limit, saying
// both sizes, and takes one at the limit.
func TestCheckLimits(t *testing.T) {
	c := &Clerk{opts: Options{MaxAttachment: 2_000_000}}
	env := &envelope.Document{Attachments: []envelope.Attachment{{Size: 2_000_000}}}
	if err := c.checkLimits(env); err != nil {
		t.Fatalf("an attachment at the limit: %v", err)
	}
	env.Attachments = append(env.Attachments, envelope.Attachment{Size: 2_500_000})
	var r *refusal
	if err := c.checkLimits(env); !errors.As(err, &r) || r.cause != store.CauseTooLarge ||
		!strings.Contains(r.reason(), "2.5 MB") || !strings.Contains(r.reason(), "2.0 MB") {
		t.Fatalf("over the limit: %v (reason %q)", err, r.reason())
	}
}

// TestAttachmentRefusal: an attachment over the PDF reader's budget
// refuses its document, naming the file to the sender; any other fetch
// error is left to the engine (a download may fail for a while).
func TestAttachmentRefusal(t *testing.T) {
	env := &envelope.Document{Metadata: &document.Metadata{Subject: "Về việc"}}
	a := envelope.Attachment{Name: "cong-van.pdf"}
	bomb := permanent(fmt.Errorf("attachment: %w", &pades.BudgetError{What: "form fields", Limit: 10000}))
	var r *refusal
	if err := attachmentRefusal(env, a, bomb); !errors.As(err, &r) || r.cause != store.CausePDFTooComplex ||
		!errors.Is(err, pades.ErrBudget) || !strings.Contains(r.reason(), "“cong-van.pdf”") {
		t.Fatalf("a bomb: %v", err)
	}
	other := errors.New("download: connection reset")
	if err := attachmentRefusal(env, a, other); err != other {
		t.Errorf("a download error became %v", err)
	}
}

// TestRepeatBacksOff: a step that keeps failing for good is not retried
// at once. Within 1.5 s the backoff (0.25–0.75 s, then 0.5–1.5 s...)
// allows at most 5 attempts; retried at once it would be thousands.
func TestRepeatBacksOff(t *testing.T) {
	c := &Clerk{opts: Options{MaxBackoff: 30 * time.Second}, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	calls := 0
	c.repeat(ctx, func(context.Context) error {
		calls++
		return permanent(errors.New("refused for good"))
	}, nil)
	if calls == 0 || calls > 5 {
		t.Fatalf("%d attempts in 1.5 s", calls)
	}
}

// TestEdXMLFetchRefusal: the hub's answers that it will never hand an
// edXML packet out refuse the document, telling the sender the hub's
// code; others (the network, a busy hub, not_found) are retried.
func TestEdXMLFetchRefusal(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want store.RefusalCause
		code string
	}{
		{fmt.Errorf("fetch: %w", hubclient.ErrTooLarge), store.CauseTooLarge, "too_large"},
		{fmt.Errorf("fetch: %w", hubclient.ErrSecretNotAllowed), store.CauseInvalid, "secret_not_allowed"},
		{fmt.Errorf("fetch: %w", hubclient.ErrGone), store.CauseInvalid, "gone"},
		{fmt.Errorf("fetch: %w", hubclient.ErrUnavailable), "", ""},
		{fmt.Errorf("fetch: %w", hubclient.ErrNotFound), "", ""},
		{errors.New("fetch: connection reset"), "", ""},
	} {
		err := edxmlFetchRefusal(tc.err)
		var r *refusal
		if !errors.As(err, &r) {
			if tc.want != "" || err != tc.err {
				t.Errorf("%v: %v, want a refusal for %q", tc.err, err, tc.want)
			}
			continue
		}
		if r.cause != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%v: cause %s, want %s wrapping it", tc.err, r.cause, tc.want)
		}
		if reason := r.reason(); !strings.Contains(reason, "máy chủ liên thông") || !strings.Contains(reason, tc.code) || strings.Contains(reason, "%!") {
			t.Errorf("%v: reason %q", tc.err, reason)
		}
	}
	var r *refusal
	if err := tooLargeEdXML(3e6, 2e6); !errors.As(err, &r) || r.cause != store.CauseTooLarge ||
		!strings.Contains(r.reason(), "gói tin edXML (3.0 MB) vượt quá giới hạn 2.0 MB") {
		t.Errorf("a packet over the clerk's limit: %v", err)
	}
}
