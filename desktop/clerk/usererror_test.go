package clerk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"lienthong/certs"
	"lienthong/certs/token"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/pades"
	"lienthong/shared/wire"
)

func TestExplain(t *testing.T) {
	_, notExist := os.Open(filepath.Join(t.TempDir(), "cong-van.pdf"))
	hubAddrErr := func(s string) error {
		_, err := ParseHubAddress(s)
		return fmt.Errorf("set hub address: %w", err)
	}
	tests := []struct {
		name   string
		err    error
		key    i18n.Key
		vi, en string // a part of each language's message
	}{
		{"hub refuses a recipient", fmt.Errorf("push: submit: %w", wire.Errorf(wire.CodeUnknownRecipient, "000.00.00.H99 is not in the directory")),
			i18n.ErrHubRecipient, "Nơi nhận không có trong danh bạ", "not in the hub's directory"},
		{"hub distrusts the signer", wire.Errorf(wire.CodeUntrustedSigner, "certificate revoked"), i18n.ErrHubUntrusted, "không tin chứng thư số", "does not trust"},
		{"hub refuses a closed recipient", fmt.Errorf("push: submit: %w", &wire.Error{Code: wire.CodeRecipientClosed, Message: "x",
			Details: map[string]any{"closed": []any{map[string]any{"code": "000.00.00.H50", "name": "UBND tỉnh Hà Giang", "closed_on": "2025-07-01",
				"successor": "000.00.00.H51", "successor_name": "UBND tỉnh Tuyên Quang"}}}}),
			i18n.ErrRecipientClosed, "sáp nhập vào cơ quan khác: UBND tỉnh Hà Giang → UBND tỉnh Tuyên Quang (000.00.00.H51)", "merged into another agency: UBND tỉnh Hà Giang → UBND tỉnh Tuyên Quang"},
		{"closed recipient without details", wire.Errorf(wire.CodeRecipientClosed, "x"), i18n.ErrHubRecipient, "đã ngừng hoạt động", "no longer active"},
		{"hub busy", wire.Errorf(wire.CodeRateLimited, "slow down"), i18n.ErrHubBusy, "đang bận", "busy"},
		{"hub unknown code", &wire.Error{Code: "new_code_from_2030"}, i18n.ErrHubInternal, "gặp lỗi", "had an error"},
		{"hub recalled it", wire.Errorf(wire.CodeWithdrawn, "x"), i18n.ErrHubWithdrawn, "thu hồi trước khi đến", "recalled"},
		{"hub quota", wire.Errorf(wire.CodeQuotaExceeded, "x"), i18n.ErrHubQuota, "chưa gửi", "not yet sent"},
		{"hub retention", wire.Errorf(wire.CodeGone, "x"), i18n.ErrHubGone, "thời hạn lưu giữ", "retention period"},
		{"wrong passphrase", fmt.Errorf("open store: %w", store.ErrWrongPassphrase), i18n.ErrWrongPassphrase, "Sai mật khẩu", "Wrong passphrase"},
		{"store held elsewhere", store.ErrLocked, i18n.ErrStoreLocked, "cửa sổ khác", "another window"},
		{"newer store", store.ErrNewerSchema, i18n.ErrNewerSchema, "phiên bản mới hơn", "newer version"},
		{"duplicate", &store.DuplicateError{Existing: "m1"}, i18n.ErrDuplicate, "trùng số", "already on this computer"},
		{"transition", fmt.Errorf("status: %w", document.ErrTransition), i18n.ErrTransition, "không được phép", "not allowed"},
		{"no recall", fmt.Errorf("answer: %w", ErrNoRecall), i18n.ErrNoRecall, "thu hồi", "no recall"},
		{"not configured", ErrNotConfigured, i18n.ErrNotConfigured, "Cài đặt", "Settings"},
		{"bad hub address", hubAddrErr("truc1.gov.vn:4433, truc2.gov.vn"), i18n.ErrHubAddress, "“truc2.gov.vn” không hợp lệ", "“truc2.gov.vn” is not valid"},
		{"no hub address", hubAddrErr(" , "), i18n.ErrHubAddressEmpty, "tên:cổng", "host:port"},
		{"expired certificate", fmt.Errorf("verify: %w: x", certs.ErrExpired), i18n.ErrCertExpired, "hết hạn", "expired"},
		{"revoked certificate", fmt.Errorf("%w: serial 1F", certs.ErrRevoked), i18n.ErrCertRevoked, "bị thu hồi", "revoked"},
		{"not a pdf", fmt.Errorf("verify x.pdf: %w", pades.ErrNotPDF), i18n.ErrNotPDF, "không phải là tệp PDF", "not a PDF"},
		{"pdf bomb", fmt.Errorf("sign x.pdf: %w", &pades.BudgetError{What: "form fields", Limit: 10000}), i18n.ErrPDFTooComplex, "quá phức tạp", "too complex"},
		{"file missing", notExist, i18n.ErrFileNotFound, "Không tìm thấy tệp cong-van.pdf", "File cong-van.pdf not found"},
		{"disk full", fmt.Errorf("write: %w", syscall.ENOSPC), i18n.ErrDiskFull, "Ổ đĩa đã đầy", "disk is full"},
		{"timeout", fmt.Errorf("hello: %w", context.DeadlineExceeded), i18n.ErrTimeout, "không trả lời kịp", "did not answer in time"},
		{"no network", &url.Error{Op: "Post", URL: "https://hub", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, i18n.ErrOffline,
			"Không kết nối được", "Cannot reach the hub"},
		{"cancelled", context.Canceled, i18n.ErrCanceled, "hủy", "cancelled"},
		{"token: wrong PIN", fmt.Errorf("open seal: %w", &token.Error{Op: "login", Code: 0xA0, Err: token.ErrWrongPIN}), i18n.ErrTokenWrongPIN, "Sai mã PIN", "Wrong token PIN"},
		{"token: PIN locked", &token.Error{Op: "login", Code: 0xA4, Err: token.ErrPINLocked}, i18n.ErrTokenPINLocked, "đã bị khóa", "locked"},
		{"token: removed", fmt.Errorf("sign x.pdf: %w", &token.Error{Op: "sign", Code: 0x32, Err: token.ErrTokenRemoved}), i18n.ErrTokenRemoved, "bị rút ra", "removed while signing"},
		{"token: key may not sign", &token.Error{Op: "read key", Err: token.ErrKeyCannotSign}, i18n.ErrTokenKeyCannotSign, "không được phép dùng để ký", "may not sign"},
		{"token: certificate of another key", &token.Error{Op: "check key", Err: token.ErrCertMismatch}, i18n.ErrTokenCertMismatch, "không khớp", "does not match"},
		{"token: none plugged in", &token.Error{Op: "find token", Err: token.ErrTokenNotFound}, i18n.ErrTokenNotFound, "cắm thiết bị", "Plug it in"},
		{"seal of another agency", fmt.Errorf("seal: %w: 000.00.00.H49, the store is 000.00.00.H41", ErrSealAgency), i18n.ErrSealAgency, "không phải của cơ quan này", "not this agency's"},
		{"token: built without cgo", &token.Error{Op: "open", Err: token.ErrNoCgo}, i18n.ErrTokenNoSupport, "không hỗ trợ", "does not support"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ue := Explain(tc.err)
			if ue.Key != tc.key {
				t.Fatalf("key %s, want %s", ue.Key, tc.key)
			}
			if ue.Ref != "" {
				t.Errorf("a known error got a reference %q", ue.Ref)
			}
			if !errors.Is(ue, tc.err) {
				t.Error("the cause is lost")
			}
			for lang, want := range map[i18n.Lang]string{i18n.Vietnamese: tc.vi, i18n.English: tc.en} {
				if got := ue.Message(i18n.New(lang)); !strings.Contains(got, want) || strings.Contains(got, "%!") {
					t.Errorf("%s: %q lacks %q", lang, got, want)
				}
			}
			if got := ue.Message(i18n.New(i18n.Vietnamese)); strings.Contains(got, tc.err.Error()) {
				t.Errorf("the technical cause shows: %q", got)
			}
		})
	}
}

func TestExplainValidation(t *testing.T) {
	err := fmt.Errorf("issue: %w", &document.ValidationError{Problems: []document.Problem{
		{Field: "subject", Code: document.ProblemRequired, Message: "subject is required", MessageVI: "Phải nhập trích yếu."},
	}})
	ue := Explain(err)
	if ue.Key != i18n.ErrInvalid {
		t.Fatalf("key %s", ue.Key)
	}
	if got := ue.Message(i18n.New(i18n.Vietnamese)); got != "Thông tin văn bản chưa hợp lệ:\n• Phải nhập trích yếu." {
		t.Errorf("vi %q", got)
	}
	if got := ue.Message(i18n.New(i18n.English)); got != "The document's details are not valid:\n• subject is required" {
		t.Errorf("en %q", got)
	}
}

func TestExplainUnknown(t *testing.T) {
	ue := Explain(errors.New("bbolt: page 42 out of range"))
	if ue.Key != i18n.ErrUnexpected || !regexp.MustCompile(`^[0-9A-F]{8}$`).MatchString(ue.Ref) {
		t.Fatalf("key %s ref %q", ue.Key, ue.Ref)
	}
	msg := ue.Message(i18n.New(i18n.Vietnamese))
	if !strings.Contains(msg, "lỗi không mong muốn") || !strings.Contains(msg, ue.Ref) || strings.Contains(msg, "bbolt") {
		t.Errorf("message %q", msg)
	}
	attrs := fmt.Sprint(ue.LogAttrs()...)
	if !strings.Contains(attrs, ue.Ref) || !strings.Contains(attrs, "bbolt: page 42") {
		t.Errorf("the log line lacks the reference or the cause: %s", attrs)
	}
	if again := Explain(fmt.Errorf("wrapped: %w", ue)); again != ue {
		t.Error("explaining an explained error made a new one")
	}
	if Explain(nil) != nil {
		t.Error("Explain(nil) is not nil")
	}
}

// TestExplainCoversEveryWireCode keeps the mapping complete as codes are
// added to the protocol.
func TestExplainCoversEveryWireCode(t *testing.T) {
	for _, c := range []wire.Code{wire.CodeBadRequest, wire.CodeMalformed, wire.CodeBadSignature, wire.CodeUntrustedSigner,
		wire.CodeSenderMismatch, wire.CodeInvalidDocument, wire.CodeUnknownRecipient, wire.CodeMissingBlob, wire.CodeHashMismatch,
		wire.CodeNotPDF, wire.CodeSecretNotAllowed, wire.CodePDFTooComplex, wire.CodeTooLarge, wire.CodeOffset, wire.CodeConflict, wire.CodeNotFound, wire.CodeForbidden,
		wire.CodeWithdrawn, wire.CodeInvalidStatus, wire.CodeRateLimited, wire.CodeUnavailable, wire.CodeInternal, wire.CodeRecipientClosed, wire.CodeUnregistered} {
		if _, ok := wireKeys[c]; !ok {
			t.Errorf("no message for wire code %s", c)
		}
	}
	for c, k := range wireKeys {
		if !i18n.Has(i18n.Vietnamese, k) || !i18n.Has(i18n.English, k) {
			t.Errorf("wire code %s: key %s missing from a catalog", c, k)
		}
	}
	for _, s := range sentinelKeys {
		if !i18n.Has(i18n.Vietnamese, s.key) || !i18n.Has(i18n.English, s.key) {
			t.Errorf("%v: key %s missing from a catalog", s.err, s.key)
		}
	}
}
