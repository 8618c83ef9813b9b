package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/i18n"
)

// StatusBar is the line always visible at the bottom of the main window:
// online or offline, documents waiting to send, the transfer in
// progress, what sync failed and why, and the work under way in the
// background. Its methods must be called on Fyne's goroutine.
type StatusBar struct {
	cat      *i18n.Catalog
	Online   *widget.Label
	icon     *widget.Icon
	Pending  *widget.Label
	Transfer *widget.Label
	Progress *widget.ProgressBar
	// SyncError says what the hub or this clerk refused in a sync, or why
	// the last sync asked for failed; empty when sync works.
	SyncError *widget.Label
	// Activity and Busy show the background work under way.
	Activity *widget.Label
	Busy     *widget.ProgressBarInfinite
	// SyncButton asks for a sync now.
	SyncButton *widget.Button
	root       *fyne.Container

	busy       int
	failures   string // from the SyncFailed events
	syncResult string // from the last sync the clerk asked for
}

// NewStatusBar builds a status bar showing offline and nothing waiting.
func NewStatusBar(cat *i18n.Catalog, onSync func()) *StatusBar {
	b := &StatusBar{
		cat:       cat,
		Online:    widget.NewLabel(""),
		icon:      widget.NewIcon(theme.MediaRecordIcon()),
		Pending:   widget.NewLabel(""),
		Transfer:  widget.NewLabel(""),
		Progress:  widget.NewProgressBar(),
		SyncError: widget.NewLabel(""),
		Activity:  widget.NewLabel(""),
		Busy:      widget.NewProgressBarInfinite(),
	}
	b.SyncError.Importance = widget.DangerImportance
	b.SyncError.Wrapping = fyne.TextWrapWord
	b.SyncError.Hide()
	b.Busy.Stop()
	b.Busy.Hide()
	b.SyncButton = widget.NewButtonWithIcon(cat.T(i18n.SyncNow), theme.ViewRefreshIcon(), onSync)
	b.Progress.Hide()
	b.SetOnline(false, "")
	b.SetPending(0)
	line := container.NewHBox(b.icon, b.Online, widget.NewSeparator(), b.Pending, widget.NewSeparator(), b.Transfer,
		container.NewGridWrap(fyne.NewSize(160, b.Progress.MinSize().Height), b.Progress), layoutSpacer(),
		b.Activity, container.NewGridWrap(fyne.NewSize(120, b.Busy.MinSize().Height), b.Busy), b.SyncButton)
	// The sync error, when there is one, is a line of its own above: it
	// says what to do, so it is not cut.
	b.root = container.NewVBox(b.SyncError, line)
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

// Begin shows that background work described by text started.
func (b *StatusBar) Begin(text string) {
	b.busy++
	b.Activity.SetText(text)
	b.Busy.Show()
	b.Busy.Start()
}

// End shows that one background work ended.
func (b *StatusBar) End() {
	if b.busy > 0 {
		b.busy--
	}
	if b.busy == 0 {
		b.Activity.SetText("")
		b.Busy.Stop()
		b.Busy.Hide()
	}
}

// Working reports whether background work is under way.
func (b *StatusBar) Working() bool { return b.busy > 0 }

// SetSyncFailed shows what sync items fail (text from the SyncFailed
// events, already in the clerk's words); "" clears it.
func (b *StatusBar) SetSyncFailed(text string) {
	b.failures = text
	b.showSync()
}

// SetSyncResult shows why the sync the clerk asked for failed; "" (a sync
// that succeeded) clears it.
func (b *StatusBar) SetSyncResult(text string) {
	b.syncResult = text
	b.showSync()
}

func (b *StatusBar) showSync() {
	text := b.failures
	if text == "" && b.syncResult != "" {
		text = b.cat.T(i18n.SyncFailedStatus, b.syncResult)
	}
	b.SyncError.SetText(text)
	if text == "" {
		b.SyncError.Hide()
	} else {
		b.SyncError.Show()
	}
	b.root.Refresh() // the bar grows or shrinks by the line
}
