package ui

import (
	"fmt"
	"strings"

	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
)

// urgencyName returns an urgency in the catalog's language.
func urgencyName(c *i18n.Catalog, u document.Urgency) string {
	switch u {
	case document.UrgencyUrgent:
		return c.T(i18n.UrgencyUrgent)
	case document.UrgencyVeryUrgent:
		return c.T(i18n.UrgencyVeryUrgent)
	case document.UrgencyFlash:
		return c.T(i18n.UrgencyFlash)
	case document.UrgencyFlashScheduled:
		return c.T(i18n.UrgencyFlashScheduled)
	}
	return c.T(i18n.UrgencyNormal)
}

// secrecyName returns a secrecy level in the catalog's language.
func secrecyName(c *i18n.Catalog, s document.Secrecy) string {
	switch s {
	case document.SecrecyConfidential:
		return c.T(i18n.SecrecyConfidential)
	case document.SecrecySecret:
		return c.T(i18n.SecrecySecret)
	case document.SecrecyTopSecret:
		return c.T(i18n.SecrecyTopSecret)
	}
	return c.T(i18n.SecrecyNone)
}

// statusName returns a business status in the catalog's language; an
// outgoing document without any status yet reads "Chưa có phản hồi".
func statusName(c *i18n.Catalog, s document.Status) string {
	if !s.Valid() {
		return c.T(i18n.StatusNone)
	}
	if c.Lang() == i18n.English {
		n := s.NameEN()
		if n != "" {
			return strings.ToUpper(n[:1]) + n[1:]
		}
	}
	return s.NameVI()
}

// numberNotation prints "1234/STTTT-CNTT", or only the notation while a
// document has no number.
func numberNotation(s store.Summary) string {
	if s.Number == "" {
		return s.Notation
	}
	return document.FormatNumberNotation(s.Number, s.Notation)
}

// formatDate prints a date the Vietnamese way, dd/mm/yyyy; "" for none.
func formatDate(d document.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
}

// formatBytes prints a size for the transfer progress.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
