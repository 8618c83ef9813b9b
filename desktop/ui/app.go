package ui

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
)

// Preference keys the app keeps in Fyne's preferences (not secrets).
const (
	PrefLang   = "lang"   // "vi" or "en"
	PrefTheme  = "theme"  // "", "light" or "dark"
	PrefStaff  = "staff"  // the clerk's name, written in statuses
	PrefNotify = "notify" // notifications of urgent arrivals (default on)
)

// Tab names, for Options.Tab and App.ShowTab.
const (
	TabIncoming  = "incoming"
	TabOutgoing  = "outgoing"
	TabCompose   = "compose"
	TabRegisters = "registers"
	TabVerify    = "verify"
	TabSettings  = "settings"
)

var tabOrder = []string{TabIncoming, TabOutgoing, TabCompose, TabRegisters, TabVerify, TabSettings}

// Options configure the app.
type Options struct {
	// Home is the folder of the clerk's store.
	Home string
	// Logger receives the app's log; nil discards it.
	Logger *slog.Logger
	// Clerk are the core's options.
	Clerk clerk.Options
	// Lang forces a language; empty: the clerk's choice in Cài đặt, else
	// the locale (LANG starting with "en" gives English).
	Lang i18n.Lang
	// Getenv reads the environment; nil is os.Getenv.
	Getenv func(string) string
	// NoSync keeps the sync engine stopped (tests that drive Sync
	// themselves).
	NoSync bool
	// Passphrase, if set, unlocks the store without asking (the demo and
	// the screenshot script; never a default).
	Passphrase []byte
	// Tab is the tab to show first (TabIncoming...).
	Tab string
	// OpenFirst shows the first document of the tab's list.
	OpenFirst bool
	// Screenshot, if set, is a PNG file the window is captured to once
	// the first screen has settled; then Quit is called.
	Screenshot string
	Quit       func()
	// Dispatch runs a function on Fyne's goroutine; nil is fyne.Do. Every
	// result of background work (the core's events, the connection test,
	// the preview) reaches the widgets through it. Tests pass a queue they
	// drain on their own goroutine.
	Dispatch func(func())
}

// App is the clerk's desktop app: the first-run wizard or the unlock
// screen, then the main window's tabs over one *clerk.Clerk. Every screen
// reaches the store and the hub only through the clerk.
type App struct {
	fyne fyne.App
	win  fyne.Window
	opts Options
	cat  *i18n.Catalog
	log  *slog.Logger

	Wizard *Wizard
	Unlock *Unlock

	clerk     *clerk.Clerk
	Tabs      *container.AppTabs
	Incoming  *BoxTab
	Outgoing  *BoxTab
	Compose   *ComposeTab
	Registers *RegistersTab
	Verify    *VerifyTab
	Settings  *SettingsTab
	Status    *StatusBar
	// PIN is the PIN dialog while it shows (a token asks for its PIN),
	// else nil.
	PIN *PINDialog

	// seal is the agency's seal on a token (Cài đặt), nil when the
	// store's key signs; sealProblem is why the seal chosen is not used.
	seal        *tokenSeal
	sealProblem error

	// OnReady is called, on Fyne's goroutine, when the main window shows.
	OnReady func()

	cancel context.CancelFunc
	wg     sync.WaitGroup
	ready  atomic.Bool

	// ctx ends when the app closes; background work (run) takes it, and
	// Close waits for that work (ops) before it closes the store.
	ctx     context.Context
	stopOps context.CancelFunc
	ops     sync.WaitGroup
	closed  atomic.Bool // set by Close; Fyne runs late results on the caller once it has stopped
}

// Ready reports whether the main window is showing.
func (a *App) Ready() bool { return a.ready.Load() }

// New prepares the app in window w; Start shows its first screen.
func New(fa fyne.App, w fyne.Window, opts Options) *App {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	lang := opts.Lang
	if !lang.Valid() {
		if l, ok := i18n.ParseLang(fa.Preferences().String(PrefLang)); ok {
			lang = l
		} else {
			lang = i18n.FromLocale(opts.Getenv)
		}
	}
	if opts.Dispatch == nil {
		opts.Dispatch = fyne.Do
	}
	a := &App{fyne: fa, win: w, opts: opts, cat: i18n.New(lang), log: opts.Logger}
	a.ctx, a.stopOps = context.WithCancel(context.Background())
	mode := ThemeMode(fa.Preferences().String(PrefTheme))
	if mode != ThemeDark {
		mode = ThemeLight // an office tool: light unless the clerk chose dark
	}
	fa.Settings().SetTheme(NewTheme(mode))
	w.SetTitle(a.cat.T(i18n.AppTitle))
	return a
}

// do runs f on Fyne's goroutine.
func (a *App) do(f func()) { a.opts.Dispatch(f) }

// Clerk returns the open core, nil before the store is unlocked.
func (a *App) Clerk() *clerk.Clerk { return a.clerk }

// Start shows the wizard on the first run, the unlock screen afterwards.
func (a *App) Start() {
	if a.opts.Screenshot != "" {
		a.scheduleScreenshot()
	}
	// The demo's passphrase opens the store before the window shows, so
	// nothing waits on a visible window here.
	if clerk.Exists(a.opts.Home) && len(a.opts.Passphrase) > 0 {
		c, err := a.openClerk(a.opts.Home, a.opts.Passphrase)
		if err == nil {
			a.showMain(c)
			return
		}
		a.explain("unlock", err)
	}
	if clerk.Exists(a.opts.Home) {
		a.Unlock = NewUnlock(a)
		a.win.SetContent(a.Unlock.Object())
		a.win.Canvas().Focus(a.Unlock.Passphrase)
		return
	}
	a.Wizard = NewWizard(a)
	a.win.SetContent(a.Wizard.Object())
}

// showMain builds the main window over an open clerk and starts the sync
// engine and the event pump.
func (a *App) showMain(c *clerk.Clerk) {
	a.clerk = c
	a.Status = NewStatusBar(a.cat, a.onSync)
	a.Incoming = NewBoxTab(a, store.Incoming)
	a.Outgoing = NewBoxTab(a, store.Outgoing)
	a.Compose = NewComposeTab(a)
	a.Registers = NewRegistersTab(a)
	a.Verify = NewVerifyTab(a)
	a.Settings = NewSettingsTab(a)
	a.Tabs = container.NewAppTabs(
		container.NewTabItem(a.cat.T(i18n.TabIncoming), a.Incoming.Object()),
		container.NewTabItem(a.cat.T(i18n.TabOutgoing), a.Outgoing.Object()),
		container.NewTabItem(a.cat.T(i18n.TabCompose), a.Compose.Object()),
		container.NewTabItem(a.cat.T(i18n.TabRegisters), a.Registers.Object()),
		container.NewTabItem(a.cat.T(i18n.TabVerify), a.Verify.Object()),
		container.NewTabItem(a.cat.T(i18n.TabSettings), a.Settings.Object()),
	)
	a.Tabs.OnSelected = a.onTabSelected
	a.win.SetContent(container.NewBorder(nil, a.Status.Object(), nil, nil, a.Tabs))
	a.addShortcuts()
	a.Status.SetPending(c.OutboxLen())
	a.Status.SetOnline(c.Online(), "")

	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	events, unsubscribe := c.Subscribe()
	failures := newSyncFailures(a.cat, c)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer unsubscribe()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-events:
				// What needs the store (the outbox, for the failures
				// shown) is read here, off Fyne's goroutine.
				if failures.apply(ev, func(err error) string { return a.message("sync", err) }) {
					text := failures.text()
					a.do(func() { a.Status.SetSyncFailed(text) })
				}
				a.do(func() { a.onEvent(ev) })
			}
		}
	}()
	if !a.opts.NoSync {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := c.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("sync engine stopped", "err", err)
			}
		}()
	}
	if a.opts.Tab != "" {
		a.ShowTab(a.opts.Tab)
	}
	if a.opts.OpenFirst {
		a.openFirst()
	}
	a.reportSealProblem()
	a.ready.Store(true)
	if a.OnReady != nil {
		a.OnReady()
	}
}

// openFirst shows the first document of the selected box tab.
func (a *App) openFirst() {
	t := a.Incoming
	if a.Tabs.SelectedIndex() == 1 {
		t = a.Outgoing
	}
	if s, ok := t.List.Row(0); ok {
		t.onOpen(s)
	}
}

// ShowTab selects a tab by name (TabIncoming...); false for an unknown one
// or before the main window shows.
func (a *App) ShowTab(name string) bool {
	if a.Tabs == nil {
		return false
	}
	for i, n := range tabOrder {
		if n == name {
			a.Tabs.SelectIndex(i)
			return true
		}
	}
	return false
}

func (a *App) onTabSelected(t *container.TabItem) {
	if t.Content == a.Registers.Object() {
		a.Registers.Refresh()
	}
	if t.Content == a.Compose.Object() {
		a.Compose.RecheckPerson()
	}
}

// onEvent applies a core event to the widgets; it runs on Fyne's goroutine.
func (a *App) onEvent(ev clerk.Event) {
	if a.clerk == nil {
		return // closed while the event waited
	}
	switch e := ev.(type) {
	case clerk.DocumentArrived:
		a.Incoming.List.Reload()
		if e.Urgency >= document.UrgencyUrgent && a.fyne.Preferences().BoolWithFallback(PrefNotify, true) {
			a.fyne.SendNotification(fyne.NewNotification(
				a.cat.T(i18n.NotifyUrgent, urgencyName(a.cat, e.Urgency)),
				a.cat.T(i18n.NotifyBody, e.From, e.Subject)))
		}
	case clerk.StatusChanged:
		a.Outgoing.List.Reload()
		a.Incoming.List.Reload()
		a.Outgoing.View.RefreshIf(e.ID)
		a.Incoming.View.RefreshIf(e.ID)
	case clerk.DocumentChanged:
		a.Outgoing.List.Reload()
		a.Incoming.List.Reload()
		a.Outgoing.View.RefreshIf(e.ID)
		a.Incoming.View.RefreshIf(e.ID)
	case clerk.DocumentRefused:
		a.Incoming.Refused.Reload()
	case clerk.DocumentDuplicate:
		a.onDuplicate(e)
	case clerk.DocumentReturned:
		a.onReturned(e)
	case clerk.PersonSignatureWarning:
		a.onPersonWarning(e)
	case clerk.ConnectionChanged:
		reason := ""
		if e.Err != nil {
			reason = a.message("connect", e.Err)
		}
		a.Status.SetOnline(e.Online, reason)
	case clerk.OutboxChanged:
		a.Status.SetPending(e.Pending)
	case clerk.TransferProgress:
		a.Status.SetTransfer(e.Upload, e.Done, e.Total)
	}
}

// onDuplicate tells the clerk that the hub delivered again a document the
// incoming box holds (imported from an edXML file, or delivered before):
// it was not registered a second time, and keeps its số đến.
func (a *App) onDuplicate(e clerk.DocumentDuplicate) {
	a.Incoming.List.Reload()
	a.Incoming.View.RefreshIf(e.Existing)
	if !a.fyne.Preferences().BoolWithFallback(PrefNotify, true) {
		return
	}
	from, subject := string(e.From), ""
	if v, err := a.clerk.Document(e.Existing); err == nil && v.Doc.Payload != nil && v.Doc.Payload.Metadata != nil {
		from, subject = v.Doc.Payload.Metadata.From.Name, v.Doc.Payload.Metadata.Subject
	}
	a.fyne.SendNotification(fyne.NewNotification(a.cat.T(i18n.NotifyDuplicate), a.cat.T(i18n.NotifyDuplicateBody, from, subject)))
}

// onSync runs one sync now, in the background; its failure shows in the
// status bar until a sync succeeds.
func (a *App) onSync() {
	c := a.clerk
	if c == nil || a.Status.SyncButton.Disabled() {
		return // Ctrl+R while a sync runs
	}
	a.run(i18n.WorkSync, []*widget.Button{a.Status.SyncButton}, c.Sync, func(err error) {
		msg := ""
		if err != nil {
			msg = a.message("sync", err)
		}
		a.Status.SetSyncResult(msg)
	})
}

func (a *App) addShortcuts() {
	cv := a.win.Canvas()
	mod := fyne.KeyModifierShortcutDefault
	cv.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: mod}, func(fyne.Shortcut) { a.ShowTab(TabCompose) })
	cv.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: mod}, func(fyne.Shortcut) { a.onSync() })
	cv.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: mod}, func(fyne.Shortcut) {
		switch a.Tabs.SelectedIndex() {
		case 1:
			cv.Focus(a.Outgoing.List.Search)
		default:
			a.ShowTab(TabIncoming)
			cv.Focus(a.Incoming.List.Search)
		}
	})
	keys := []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6}
	for i, k := range keys {
		name := tabOrder[i]
		cv.AddShortcut(&desktop.CustomShortcut{KeyName: k, Modifier: mod}, func(fyne.Shortcut) { a.ShowTab(name) })
	}
}

// Close stops the engine, waits for the background work and closes the
// store.
func (a *App) Close() {
	a.closed.Store(true)
	a.stopOps()
	a.ops.Wait()
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	if a.clerk != nil {
		if err := a.clerk.Close(); err != nil {
			a.log.Warn("close store", "err", err)
		}
		a.clerk = nil
	}
	if a.seal != nil {
		a.seal.Close()
	}
}

// staff is the clerk's name written into statuses.
func (a *App) staff() string { return a.fyne.Preferences().String(PrefStaff) }

// newBoldLabel returns a bold label.
func newBoldLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.TextStyle = fyne.TextStyle{Bold: true}
	return l
}
