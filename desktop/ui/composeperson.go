package ui

import (
	"context"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
)

// personState is the compose screen's knowledge of the main PDF's
// person signature (ND30: the competent person signs before the clerk
// seals): the check of the file last chosen, run off Fyne's goroutine
// each time the main file changes.
type personState struct {
	path     string // the main file checked, or being checked
	seq      int    // the check under way; a result of an older one is dropped
	checking bool
	check    *clerk.PersonCheck
	err      error
}

// mainFile is the draft's main document, "" when none is given.
func mainFile(d *clerk.Draft) string {
	if len(d.Files) == 0 {
		return ""
	}
	return d.Files[0]
}

// personLine updates the person-signature line for draft d (starting a
// check when its main file changed) and returns the problem that keeps
// the document from being sent, "" when nothing does: under the refuse
// setting, a main PDF without a valid person signature of this agency,
// or one still being checked.
func (t *ComposeTab) personLine(d *clerk.Draft) string {
	c := t.app.cat
	policy := t.app.clerk.PersonPolicy()
	path := mainFile(d)
	t.Person.Importance = widget.MediumImportance
	switch {
	case policy == clerk.PersonOff:
		t.person = personState{}
		t.Person.SetText(c.T(i18n.PersonNotChecked))
		return ""
	case path == "" || !strings.EqualFold(filepath.Ext(path), ".pdf"):
		// An office file as the main document is not checked, as
		// Issue does not check it.
		t.person = personState{seq: t.person.seq}
		t.Person.SetText(c.T(i18n.PersonNoFile))
		return ""
	case path != t.person.path:
		t.startPersonCheck(path)
	}
	p := t.person
	switch {
	case p.checking:
		// Under warn, a document sent meanwhile is checked by Issue,
		// whose warning onPersonWarning shows.
		t.Person.SetText(c.T(i18n.PersonChecking))
		if policy == clerk.PersonRefuse {
			return c.T(i18n.PersonChecking)
		}
		return ""
	case p.err != nil:
		msg := c.T(i18n.PersonCheckFailed, t.app.message("check person signature", p.err))
		t.Person.Importance = widget.DangerImportance
		t.Person.SetText(msg)
		if policy == clerk.PersonRefuse {
			return msg
		}
		return ""
	}
	lines := []string{p.check.Message(c)}
	for _, s := range p.check.Signers {
		lines = append(lines, "• "+clerk.SignerLine(c, s))
	}
	switch {
	case p.check.OK():
		t.Person.Importance = widget.SuccessImportance
	case policy == clerk.PersonRefuse:
		t.Person.Importance = widget.DangerImportance
	default:
		t.Person.Importance = widget.WarningImportance
		lines[0] = c.T(i18n.PersonWarnNote, lines[0])
	}
	t.Person.SetText(strings.Join(lines, "\n"))
	if !p.check.OK() && policy == clerk.PersonRefuse {
		return c.T(i18n.PersonRefuseProblem, p.check.Message(c))
	}
	return ""
}

// startPersonCheck checks path's person signature in the background (a
// PDF is parsed and its chains verified) and validates the draft again
// with the result, unless the main file changed meanwhile.
func (t *ComposeTab) startPersonCheck(path string) {
	t.person.seq++
	seq := t.person.seq
	t.person = personState{path: path, seq: seq, checking: true}
	c := t.app.clerk
	var check clerk.PersonCheck
	t.app.run("", nil, func(ctx context.Context) (err error) {
		check, err = c.CheckPersonSignature(ctx, path)
		return err
	}, func(err error) {
		if t.person.seq != seq {
			return
		}
		t.person.checking = false
		if err != nil {
			t.person.err = err
		} else {
			t.person.check = &check
		}
		t.onChanged()
	})
}

// RecheckPerson checks the main file's person signature again (the file
// may have changed on disk while the clerk was away from the tab).
func (t *ComposeTab) RecheckPerson() {
	t.person.path = ""
	t.onChanged()
}

// missingPerson returns what the main PDF lacks, "" when nothing (or
// not known yet, or not checked): under the warn setting the clerk is
// asked before sending.
func (t *ComposeTab) missingPerson() string {
	p := t.person
	if p.check == nil || p.check.OK() || t.app.clerk.PersonPolicy() != clerk.PersonWarn {
		return ""
	}
	return p.check.Message(t.app.cat)
}

// confirmSend asks before signing and sending: with what the main PDF
// lacks named when the setting warns about it.
func (t *ComposeTab) confirmSend(d *clerk.Draft) {
	c := t.app.cat
	msg, yes := c.T(i18n.CmpConfirm, d.Metadata.Subject, len(d.Metadata.To)), c.T(i18n.OK)
	if missing := t.missingPerson(); missing != "" {
		msg, yes = c.T(i18n.CmpConfirmMissing, missing, d.Metadata.Subject, len(d.Metadata.To)), c.T(i18n.CmpSendAnyway)
	}
	t.personConfirmed = ""
	dlg := dialog.NewConfirm(c.T(i18n.CmpSend), msg, func(ok bool) {
		if ok && yes == c.T(i18n.CmpSendAnyway) {
			t.personConfirmed = mainFile(d)
		}
		if ok {
			t.Issue()
		}
	}, t.app.win)
	dlg.SetConfirmText(yes)
	dlg.SetDismissText(c.T(i18n.Cancel))
	dlg.Show()
}

// onPersonWarning tells the clerk that a document went out without a
// valid person signature of this agency (the warn setting), unless the
// confirmation before sending said so already: a document sent while its
// main file was still being checked is checked by Issue itself.
func (a *App) onPersonWarning(e clerk.PersonSignatureWarning) {
	if a.Compose != nil && a.Compose.personConfirmed != "" && a.Compose.personConfirmed == e.File {
		return
	}
	d := dialog.NewInformation(a.cat.T(i18n.CmpPerson), a.cat.T(i18n.WarnPersonSignature, e.Check.Message(a.cat)), a.win)
	d.SetDismissText(a.cat.T(i18n.Close))
	d.Show()
}
