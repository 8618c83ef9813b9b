package ui

import (
	"strings"
	"testing"
	"time"

	"lienthong/desktop/i18n"
	"lienthong/shared/pades"
)

// TestSignatureTextTrust: the clerk reads plainly that a signature is
// indeterminate, or that its signer was revoked before or after signing.
func TestSignatureTextTrust(t *testing.T) {
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		sig  *pades.SignatureReport
		want []string
	}{
		{"indeterminate", &pades.SignatureReport{Signer: "CN=A", Indeterminate: true, Problems: []string{"indeterminate: ..."}}, []string{"Không xác định được"}},
		{"revoked before", &pades.SignatureReport{Signer: "CN=A", Trusted: true, Revocation: pades.RevocationRevoked, RevokedAt: &at, Problems: []string{"revoked"}}, []string{"Không hợp lệ", "bị thu hồi ngày 01/12/2026 10:00:00, trước thời điểm ký"}},
		{"revoked later", &pades.SignatureReport{Signer: "CN=A", Trusted: true, Revocation: pades.RevocationRevokedLater, RevokedAt: &at, TimestampTime: &at}, []string{"Hợp lệ", "bị thu hồi sau, ngày 01/12/2026 10:00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SignatureText(i18n.New(i18n.Vietnamese), &pades.Report{Signatures: []*pades.SignatureReport{tt.sig}})
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("text lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
