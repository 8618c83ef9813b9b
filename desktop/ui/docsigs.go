package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/pades"
)

// renderSignatures shows the shown document's signature reports in plain
// words: for a received document always, for a sent one when it has a
// report.
func (v *DocView) renderSignatures() {
	cat := v.app.cat
	dv := v.View
	v.Signers.SetText(SignersText(cat, dv.Signers))
	v.Signers.Importance = widget.SuccessImportance
	for _, s := range dv.Signers {
		if !s.Valid {
			v.Signers.Importance = widget.DangerImportance
		}
	}
	if len(dv.Signers) == 0 {
		v.Signers.Importance = widget.WarningImportance
	}
	v.Signers.Refresh()
	reports := dv.Reports
	if len(reports) == 0 && dv.Report != nil {
		reports = []*pades.Report{dv.Report}
	}
	if dv.Doc.Box == store.Incoming || len(reports) > 0 {
		var b strings.Builder
		for i, r := range reports {
			if len(reports) > 1 && i < len(dv.Doc.Payload.Attachments) {
				b.WriteString(cat.T(i18n.SigAttachment, clerk.AttachmentLabel(dv.Doc.Payload.Metadata, i, dv.Doc.Payload.Attachments[i])) + "\n")
			}
			b.WriteString(SignatureText(cat, r))
		}
		v.Signatures.SetText(strings.TrimSpace(b.String()))
		v.sigHead.Show()
		v.Signatures.Show()
	} else {
		v.Signatures.SetText("")
		v.sigHead.Hide()
		v.Signatures.Hide()
	}
}

// SignersText names a PDF's signers, one a line in signing order, each in
// its ND30 role (the competent person, the agency's seal), valid or why
// not, and when.
func SignersText(cat *i18n.Catalog, signers []clerk.Signer) string {
	if len(signers) == 0 {
		return cat.T(i18n.DocNoSigners)
	}
	var lines []string
	for _, s := range signers {
		lines = append(lines, clerk.SignerLine(cat, s))
	}
	return strings.Join(lines, "\n")
}

// SignatureText describes a verification report in plain words: who
// signed, when, valid or why not, and what changed after signing.
func SignatureText(cat *i18n.Catalog, r *pades.Report) string {
	if r == nil || len(r.Signatures) == 0 {
		return cat.T(i18n.SigNone) + "\n"
	}
	var b strings.Builder
	if r.Valid() {
		b.WriteString(cat.T(i18n.SigAllValid) + "\n")
	} else {
		b.WriteString(cat.T(i18n.SigSomeInvalid) + "\n")
	}
	for i, s := range r.Signatures {
		verdict := cat.T(i18n.SigValid)
		if !s.Valid() {
			verdict = cat.T(i18n.SigInvalid)
		}
		if s.Indeterminate {
			verdict = cat.T(i18n.SigIndeterminate)
		}
		fmt.Fprintf(&b, "%d. %s — %s\n", i+1, verdict, cat.T(i18n.SigSigner, commonName(s.Signer)))
		if s.Issuer != "" {
			b.WriteString("   " + cat.T(i18n.SigIssuer, commonName(s.Issuer)) + "\n")
		}
		if s.TimestampTime != nil {
			b.WriteString("   " + cat.T(i18n.SigTimestamp, s.TimestampTime.In(document.VietnamTime).Format("02/01/2006 15:04:05")) + "\n")
		} else if s.ClaimedTime != nil {
			b.WriteString("   " + cat.T(i18n.SigTime, s.ClaimedTime.In(document.VietnamTime).Format("02/01/2006 15:04:05")) + "\n")
		}
		if !s.Trusted && !s.Indeterminate {
			b.WriteString("   " + cat.T(i18n.SigUntrusted) + "\n")
		}
		if s.RevokedAt != nil {
			when := s.RevokedAt.In(document.VietnamTime).Format("02/01/2006 15:04:05")
			switch s.Revocation {
			case pades.RevocationRevoked:
				b.WriteString("   " + cat.T(i18n.SigRevoked, when) + "\n")
			case pades.RevocationRevokedLater:
				b.WriteString("   " + cat.T(i18n.SigRevokedLater, when) + "\n")
			}
		}
		if bad := s.ForbiddenChanges(); len(bad) > 0 {
			var d []string
			for _, c := range bad {
				d = append(d, c.Description)
			}
			b.WriteString("   " + cat.T(i18n.SigChanged, strings.Join(d, "; ")) + "\n")
		} else {
			b.WriteString("   " + cat.T(i18n.SigUnchanged) + "\n")
		}
		for _, p := range s.Problems {
			b.WriteString("   " + cat.T(i18n.SigProblem, p) + "\n")
		}
	}
	return b.String()
}

// commonName returns the CN of a distinguished name as pades prints it
// ("SERIALNUMBER=..., CN=Ủy ban nhân dân tỉnh Nghệ An, O=..."), or the whole
// name when it has none: a clerk reads who signed, not an X.500 name.
func commonName(dn string) string {
	for _, part := range strings.Split(dn, ", ") {
		if v, ok := strings.CutPrefix(part, "CN="); ok && v != "" {
			return v
		}
	}
	return dn
}
