package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/i18n"
)

// StatusBar is the line always visible at the bottom of the main window:
// online or offline, documents waiting to send, and the transfer in
// progress. Its methods must be called on Fyne's goroutine.
type StatusBar struct {
	cat      *i18n.Catalog
	Online   *widget.Label
	icon     *widget.Icon
	Pending  *widget.Label
	Transfer *widget.Label
	Progress *widget.ProgressBar
	// SyncButton asks for a sync now.
	SyncButton *widget.Button
	root       *fyne.Container
}

// NewStatusBar builds a status bar showing offline and nothing waiting.
func NewStatusBar(cat *i18n.Catalog, onSync func()) *StatusBar {
	b := &StatusBar{
		cat:      cat,
		Online:   widget.NewLabel(""),
		icon:     widget.NewIcon(theme.MediaRecordIcon()),
		Pending:  widget.NewLabel(""),
		Transfer: widget.NewLabel(""),
		Progress: widget.NewProgressBar(),
	}
	b.SyncButton = widget.NewButtonWithIcon(cat.T(i18n.SyncNow), theme.ViewRefreshIcon(), onSync)
	b.Progress.Hide()
	b.SetOnline(false, "")
	b.SetPending(0)
	b.root = container.NewHBox(b.icon, b.Online, widget.NewSeparator(), b.Pending, widget.NewSeparator(), b.Transfer, container.NewGridWrap(fyne.NewSize(160, b.Progress.MinSize().Height), b.Progress), layoutSpacer(), b.SyncButton)
	return b
}

// Object returns the bar to place in a window.
func (b *StatusBar) Object() fyne.CanvasObject { return b.root }

// SetOnline shows whether the hub is reachable; reason says why not.
func (b *StatusBar) SetOnline(online bool, reason string) {
	switch {
	case online:
		b.Online.SetText(b.cat.T(i18n.Online))
		b.Online.Importance = widget.SuccessImportance
		b.icon.SetResource(theme.NewSuccessThemedResource(theme.MediaRecordIcon()))
	case reason != "":
		b.Online.SetText(b.cat.T(i18n.OfflineReason, reason))
		b.Online.Importance = widget.WarningImportance
		b.icon.SetResource(theme.NewWarningThemedResource(theme.MediaRecordIcon()))
	default:
		b.Online.SetText(b.cat.T(i18n.Offline))
		b.Online.Importance = widget.WarningImportance
		b.icon.SetResource(theme.NewWarningThemedResource(theme.MediaRecordIcon()))
	}
	b.Online.Refresh()
}

// SetPending shows how many outbox items wait for the hub.
func (b *StatusBar) SetPending(n int) {
	b.Pending.SetText(b.cat.T(i18n.Pending, n))
}

// SetTransfer shows a transfer's progress; done == total ends it.
func (b *StatusBar) SetTransfer(upload bool, done, total int64) {
	if total <= 0 || done >= total {
		b.Transfer.SetText("")
		b.Progress.Hide()
		return
	}
	key := i18n.TransferDown
	if upload {
		key = i18n.TransferUp
	}
	b.Transfer.SetText(b.cat.T(key, formatBytes(done), formatBytes(total)))
	b.Progress.Max = float64(total)
	b.Progress.SetValue(float64(done))
	b.Progress.Show()
}
