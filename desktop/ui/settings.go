package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/shared/envelope"
)

// SettingsTab is Cài đặt: language, theme, the clerk's name for statuses,
// notifications, the hub's address, where the clerk waits for documents
// (a long-poll front's address), the HTTP proxy to it, the agency's
// seal (the store's key or a key on a token), what sending does with a
// document the competent person has not signed, the attachment types the
// clerk takes besides PDF, and the shortcuts.
type SettingsTab struct {
	app     *App
	Lang    *widget.Select
	Theme   *widget.RadioGroup
	Staff   *widget.Entry
	Notify  *widget.Check
	Hub     *widget.Entry
	SaveHub *widget.Button
	// Poll is where the clerk holds its long polls: a long-poll front's
	// address, empty for the hub's (clerk.SetPollAddress).
	Poll     *widget.Entry
	SavePoll *widget.Button
	// Proxy is the HTTP proxy to the hub (clerk.ParseProxy), its password
	// masked.
	Proxy     *widget.Entry
	SaveProxy *widget.Button
	// Seal chooses what signs as the agency's seal.
	Seal *SealChoice
	// PersonPolicy is what sending does with a main PDF that lacks a
	// valid signature of a competent person of this agency: warn, refuse
	// or not check (clerk.PersonPolicy).
	PersonPolicy *widget.RadioGroup
	// Types are the office types taken as appendices (PDF always is).
	Types   *widget.CheckGroup
	Message *widget.Label
	root    fyne.CanvasObject
}

// NewSettingsTab builds the settings screen.
func NewSettingsTab(a *App) *SettingsTab {
	c := a.cat
	p := a.fyne.Preferences()
	t := &SettingsTab{app: a, Staff: widget.NewEntry(), Hub: widget.NewEntry(), Poll: widget.NewEntry(), Proxy: widget.NewEntry(), Message: widget.NewLabel("")}
	var langs []string
	for _, l := range i18n.Langs() {
		langs = append(langs, l.Name())
	}
	t.Lang = widget.NewSelect(langs, nil)
	t.Lang.SetSelected(c.Lang().Name())
	t.Lang.OnChanged = t.onLang
	themes := []string{c.T(i18n.ThemeLight), c.T(i18n.ThemeDark)}
	t.Theme = widget.NewRadioGroup(themes, nil)
	t.Theme.Horizontal = true
	if ThemeMode(p.String(PrefTheme)) == ThemeDark {
		t.Theme.SetSelected(themes[1])
	} else {
		t.Theme.SetSelected(themes[0])
	}
	t.Theme.OnChanged = t.onTheme
	t.Staff.SetText(p.String(PrefStaff))
	t.Staff.OnChanged = func(s string) { p.SetString(PrefStaff, s) }
	t.Notify = widget.NewCheck(c.T(i18n.SetNotify), func(on bool) { p.SetBool(PrefNotify, on) })
	t.Notify.SetChecked(p.BoolWithFallback(PrefNotify, true))
	t.Hub.SetText(a.clerk.HubAddress())
	t.Hub.SetPlaceHolder(c.T(i18n.SetHubHint))
	t.SaveHub = widget.NewButton(c.T(i18n.OK), t.onSaveHub)
	t.Poll.SetText(a.clerk.PollAddress())
	t.Poll.SetPlaceHolder(c.T(i18n.SetPollHint))
	t.SavePoll = widget.NewButton(c.T(i18n.OK), t.onSavePoll)
	t.Proxy.SetText(a.clerk.ProxyShown())
	t.Proxy.SetPlaceHolder(c.T(i18n.SetProxyHint))
	t.SaveProxy = widget.NewButton(c.T(i18n.OK), t.onSaveProxy)
	var office []string
	for _, ty := range envelope.Types()[1:] {
		office = append(office, ty.Extension)
	}
	t.Types = widget.NewCheckGroup(office, nil)
	t.Types.Horizontal = true
	for _, ty := range a.clerk.AttachmentTypes().Types()[1:] {
		t.Types.Selected = append(t.Types.Selected, ty.Extension)
	}
	t.Types.OnChanged = t.onTypes
	typesHint := widget.NewLabel(c.T(i18n.SetAttachmentHint))
	typesHint.Wrapping = fyne.TextWrapWord
	code, name := a.clerk.Agency()
	t.Seal = newSealChoice(a)
	t.PersonPolicy = widget.NewRadioGroup([]string{c.T(i18n.PolicyWarn), c.T(i18n.PolicyRefuse), c.T(i18n.PolicyOff)}, nil)
	t.PersonPolicy.SetSelected(c.T(policyKeys[a.clerk.PersonPolicy()]))
	t.PersonPolicy.OnChanged = t.onPersonPolicy
	shortcuts := widget.NewLabel(c.T(i18n.SetShortcuts))
	shortcuts.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(c.T(i18n.SetAgency), widget.NewLabel(c.T(i18n.AgencyWithCode, name, code))),
		widget.NewFormItem(c.T(i18n.SetHub), container.NewBorder(nil, nil, nil, t.SaveHub, t.Hub)),
		widget.NewFormItem(c.T(i18n.SetPoll), container.NewBorder(nil, nil, nil, t.SavePoll, t.Poll)),
		widget.NewFormItem(c.T(i18n.SetProxy), container.NewBorder(nil, nil, nil, t.SaveProxy, t.Proxy)),
		widget.NewFormItem(c.T(i18n.SetSeal), t.Seal.Object()),
		widget.NewFormItem(c.T(i18n.SetPersonPolicy), t.PersonPolicy),
		widget.NewFormItem(c.T(i18n.SetStaff), t.Staff),
		widget.NewFormItem(c.T(i18n.SetLanguage), t.Lang),
		widget.NewFormItem(c.T(i18n.SetTheme), t.Theme),
		widget.NewFormItem("", t.Notify),
		widget.NewFormItem(c.T(i18n.SetAttachmentTypes), container.NewVBox(t.Types, typesHint)),
	)
	t.root = container.NewVScroll(container.NewVBox(form, t.Message, shortcuts))
	return t
}

// Object returns the screen.
func (t *SettingsTab) Object() fyne.CanvasObject { return t.root }

func (t *SettingsTab) onLang(name string) {
	for _, l := range i18n.Langs() {
		if l.Name() == name {
			t.app.fyne.Preferences().SetString(PrefLang, string(l))
			if l != t.app.cat.Lang() {
				t.Message.SetText(i18n.New(l).T(i18n.SetRestart))
			}
		}
	}
}

func (t *SettingsTab) onTheme(choice string) {
	mode := ThemeLight
	if choice == t.app.cat.T(i18n.ThemeDark) {
		mode = ThemeDark
	}
	t.app.fyne.Preferences().SetString(PrefTheme, string(mode))
	t.app.fyne.Settings().SetTheme(NewTheme(mode))
}

// onTypes stores the office types the clerk takes, off Fyne's goroutine
// (a store write).
func (t *SettingsTab) onTypes(exts []string) {
	names := []string{"pdf"}
	for _, e := range exts {
		names = append(names, strings.TrimPrefix(e, "."))
	}
	c := t.app.clerk
	t.app.run(i18n.WorkSave, nil, func(context.Context) error {
		return c.SetAttachmentTypes(names)
	}, func(err error) {
		if err != nil {
			t.Message.SetText(t.app.message("set attachment types", err))
			return
		}
		t.Message.SetText(t.app.cat.T(i18n.ActDone, strings.Join(names, ", ")))
	})
}

// onSaveHub checks and stores the hub's address, one or several nodes',
// off Fyne's goroutine (a store write), and shows it as kept.
func (t *SettingsTab) onSaveHub() {
	c, addr := t.app.clerk, t.Hub.Text
	t.app.run(i18n.WorkSave, []*widget.Button{t.SaveHub}, func(context.Context) error {
		if err := c.SetHubAddress(addr); err != nil {
			return err
		}
		addr = c.HubAddress()
		return nil
	}, func(err error) {
		if err != nil {
			t.Message.SetText(t.app.message("set hub address", err))
			return
		}
		t.Hub.SetText(addr)
		t.Message.SetText(t.app.cat.T(i18n.ActDone, addr))
	})
}

// onSavePoll checks and stores where the clerk waits for documents, off
// Fyne's goroutine (a store write), and shows it as kept.
func (t *SettingsTab) onSavePoll() {
	c, addr := t.app.clerk, strings.TrimSpace(t.Poll.Text)
	t.app.run(i18n.WorkSave, []*widget.Button{t.SavePoll}, func(context.Context) error {
		if err := c.SetPollAddress(addr); err != nil {
			return err
		}
		addr = c.PollAddress()
		return nil
	}, func(err error) {
		if err != nil {
			t.Message.SetText(t.app.message("set poll address", err))
			return
		}
		t.Poll.SetText(addr)
		t.Message.SetText(t.app.cat.T(i18n.ActDone, addr))
	})
}

// onSaveProxy checks and stores the proxy setting off Fyne's goroutine (a
// store write), and shows it as kept, its password masked. The masked
// setting shown, saved unchanged, keeps the password it masks.
func (t *SettingsTab) onSaveProxy() {
	c, proxy := t.app.clerk, strings.TrimSpace(t.Proxy.Text)
	var shown string
	t.app.run(i18n.WorkSave, []*widget.Button{t.SaveProxy}, func(context.Context) error {
		if proxy != c.ProxyShown() {
			if err := c.SetProxy(proxy); err != nil {
				return err
			}
		}
		shown = c.ProxyShown()
		return nil
	}, func(err error) {
		if err != nil {
			t.Message.SetText(t.app.message("set proxy", err))
			return
		}
		t.Proxy.SetText(shown)
		t.Message.SetText(t.app.cat.T(i18n.ActDone, shown))
	})
}

// policyKeys name the person-signature policies on screen.
var policyKeys = map[clerk.PersonPolicy]i18n.Key{
	clerk.PersonWarn: i18n.PolicyWarn, clerk.PersonRefuse: i18n.PolicyRefuse, clerk.PersonOff: i18n.PolicyOff,
}

// onPersonPolicy stores the policy off Fyne's goroutine (a store write)
// and checks the draft being composed again under it.
func (t *SettingsTab) onPersonPolicy(choice string) {
	var policy clerk.PersonPolicy
	for p, k := range policyKeys {
		if t.app.cat.T(k) == choice {
			policy = p
		}
	}
	if policy == "" {
		return
	}
	c := t.app.clerk
	t.app.run(i18n.WorkSave, nil, func(context.Context) error {
		return c.SetPersonPolicy(string(policy))
	}, func(err error) {
		if err != nil {
			t.Message.SetText(t.app.message("set person policy", err))
			return
		}
		t.Message.SetText(t.app.cat.T(i18n.ActDone, choice))
		if t.app.Compose != nil {
			t.app.Compose.onChanged()
		}
	})
}
