package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"lienthong/shared/document"
)

// ThemeMode is the clerk's choice of light or dark.
type ThemeMode string

// The theme modes. System follows the desktop's preference.
const (
	ThemeSystem ThemeMode = ""
	ThemeLight  ThemeMode = "light"
	ThemeDark   ThemeMode = "dark"
)

// Colour names the theme adds for documents' urgency and secrecy marks.
const (
	ColorNameFlash      fyne.ThemeColorName = "lienthongFlash"      // Hỏa tốc, Hỏa tốc hẹn giờ: red
	ColorNameVeryUrgent fyne.ThemeColorName = "lienthongVeryUrgent" // Thượng khẩn: orange
	ColorNameUrgent     fyne.ThemeColorName = "lienthongUrgent"     // Khẩn: amber
	ColorNameSecret     fyne.ThemeColorName = "lienthongSecret"     // Mật and above: purple
)

// Theme is Fyne's default theme with a fixed variant (or the system's) and
// the urgency and secrecy colours. Red is kept for Hỏa tốc alone among the
// marks, as clerks read it on paper.
type Theme struct {
	Mode ThemeMode
}

var _ fyne.Theme = (*Theme)(nil)

// NewTheme returns the theme for a mode.
func NewTheme(mode ThemeMode) *Theme { return &Theme{Mode: mode} }

func (t *Theme) variant(v fyne.ThemeVariant) fyne.ThemeVariant {
	switch t.Mode {
	case ThemeLight:
		return theme.VariantLight
	case ThemeDark:
		return theme.VariantDark
	}
	return v
}

// Color returns the default theme's colours, and the marks' colours.
func (t *Theme) Color(name fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	v = t.variant(v)
	dark := v == theme.VariantDark
	switch name {
	case ColorNameFlash:
		if dark {
			return color.NRGBA{R: 0xff, G: 0x5c, B: 0x5c, A: 0xff}
		}
		return color.NRGBA{R: 0xc6, G: 0x1a, B: 0x1a, A: 0xff}
	case ColorNameVeryUrgent:
		if dark {
			return color.NRGBA{R: 0xff, G: 0x9f, B: 0x43, A: 0xff}
		}
		return color.NRGBA{R: 0xd3, G: 0x5f, B: 0x00, A: 0xff}
	case ColorNameUrgent:
		if dark {
			return color.NRGBA{R: 0xf5, G: 0xd0, B: 0x4c, A: 0xff}
		}
		return color.NRGBA{R: 0xa6, G: 0x7c, B: 0x00, A: 0xff}
	case ColorNameSecret:
		if dark {
			return color.NRGBA{R: 0xc4, G: 0x9b, B: 0xff, A: 0xff}
		}
		return color.NRGBA{R: 0x6a, G: 0x1b, B: 0x9a, A: 0xff}
	case theme.ColorNameError:
		return t.Color(ColorNameFlash, v)
	}
	return theme.DefaultTheme().Color(name, v)
}

// Font returns the default font, which covers Vietnamese.
func (t *Theme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

// Icon returns the default icons.
func (t *Theme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size returns the default sizes.
func (t *Theme) Size(n fyne.ThemeSizeName) float32 { return theme.DefaultTheme().Size(n) }

// UrgencyColorName returns the colour of an urgency's mark, and false for
// Thường, which has none.
func UrgencyColorName(u document.Urgency) (fyne.ThemeColorName, bool) {
	switch u {
	case document.UrgencyFlash, document.UrgencyFlashScheduled:
		return ColorNameFlash, true
	case document.UrgencyVeryUrgent:
		return ColorNameVeryUrgent, true
	case document.UrgencyUrgent:
		return ColorNameUrgent, true
	}
	return "", false
}
