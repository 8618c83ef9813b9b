package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"lienthong/certs"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/vnsearch"
)

func layoutSpacer() fyne.CanvasObject { return layout.NewSpacer() }

// AgencyPicker is the searchable tree of agencies a clerk picks recipients
// from: never a code to type. The directory is loaded once (about 100 bytes
// an agency, so the national list of 100,000 fits easily) with each name
// folded ahead, and filtered in memory as the clerk types, with or without
// diacritics. The tree shows the matches under their parents.
type AgencyPicker struct {
	cat    *i18n.Catalog
	Search *widget.Entry
	Tree   *widget.Tree
	Empty  *widget.Label
	// OnPick is called when the clerk selects an agency.
	OnPick func(store.Agency)

	all      map[certs.AgencyCode]*agencyNode
	roots    []string
	children map[string][]string // uid → children shown
	query    vnsearch.Query
	root     *fyne.Container
}

type agencyNode struct {
	a        store.Agency
	folded   string
	children []string
}

// NewAgencyPicker builds the picker over a directory.
func NewAgencyPicker(cat *i18n.Catalog, dir []store.Agency) *AgencyPicker {
	p := &AgencyPicker{cat: cat, Empty: widget.NewLabel(cat.T(i18n.PickerEmpty))}
	p.setDirectory(dir)
	p.Search = widget.NewEntry()
	p.Search.SetPlaceHolder(cat.T(i18n.PickerSearch))
	p.Search.OnChanged = p.onSearch
	p.Tree = widget.NewTree(p.childUIDs, p.isBranch, p.create, p.update)
	p.Tree.OnSelected = p.onSelected
	p.Empty.Hide()
	p.filter("")
	p.root = container.NewBorder(p.Search, p.Empty, nil, nil, p.Tree)
	return p
}

// Object returns the picker to place in a window.
func (p *AgencyPicker) Object() fyne.CanvasObject { return p.root }

func (p *AgencyPicker) setDirectory(dir []store.Agency) {
	p.all = make(map[certs.AgencyCode]*agencyNode, len(dir))
	for _, a := range dir {
		p.all[a.Code] = &agencyNode{a: a, folded: vnsearch.Fold(a.Name)}
	}
	p.roots = p.roots[:0]
	for _, a := range dir {
		if _, ok := p.all[a.Parent]; a.Parent != "" && ok {
			n := p.all[a.Parent]
			n.children = append(n.children, string(a.Code))
		} else {
			p.roots = append(p.roots, string(a.Code))
		}
	}
}

func (p *AgencyPicker) onSearch(text string) { p.filter(text) }

// filter keeps the agencies matching text and every parent of one.
func (p *AgencyPicker) filter(text string) {
	p.query = vnsearch.NewQuery(text)
	p.children = map[string][]string{}
	if p.query.Empty() {
		p.children[""] = p.roots
		for code, n := range p.all {
			p.children[string(code)] = n.children
		}
		p.Empty.Hide()
		if p.Tree != nil {
			p.Tree.CloseAllBranches()
			p.Tree.Refresh()
		}
		return
	}
	seen := map[string]bool{}
	var open []string
	for _, r := range p.roots {
		p.keep(r, seen, &open)
	}
	if len(p.children[""]) == 0 {
		p.Empty.Show()
	} else {
		p.Empty.Hide()
	}
	if p.Tree != nil {
		p.Tree.Refresh()
		for _, uid := range open {
			p.Tree.OpenBranch(uid)
		}
	}
}

// keep reports whether uid or one of its descendants matches, recording the
// kept children of each kept node.
func (p *AgencyPicker) keep(uid string, seen map[string]bool, open *[]string) bool {
	n := p.all[certs.AgencyCode(uid)]
	var kids []string
	for _, c := range n.children {
		if p.keep(c, seen, open) {
			kids = append(kids, c)
		}
	}
	match := p.query.MatchFolded(n.folded)
	if !match && len(kids) == 0 {
		return false
	}
	if len(kids) > 0 {
		p.children[uid] = kids
		*open = append(*open, uid)
	}
	parent := ""
	if _, ok := p.all[n.a.Parent]; n.a.Parent != "" && ok {
		parent = string(n.a.Parent)
	}
	if parent == "" {
		p.children[""] = append(p.children[""], uid)
	}
	return true
}

// Matches returns the names the tree shows at the top level and below open
// branches, for tests and for the compose screen's summary.
func (p *AgencyPicker) Matches() []string {
	var out []string
	var walk func(uid string)
	walk = func(uid string) {
		for _, c := range p.children[uid] {
			out = append(out, p.all[certs.AgencyCode(c)].a.Name)
			walk(c)
		}
	}
	walk("")
	return out
}

func (p *AgencyPicker) childUIDs(uid string) []string { return p.children[uid] }

func (p *AgencyPicker) isBranch(uid string) bool {
	if uid == "" {
		return true
	}
	return len(p.children[uid]) > 0
}

func (p *AgencyPicker) create(bool) fyne.CanvasObject {
	l := widget.NewLabel("")
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func (p *AgencyPicker) update(uid string, _ bool, o fyne.CanvasObject) {
	if n, ok := p.all[certs.AgencyCode(uid)]; ok {
		o.(*widget.Label).SetText(p.Label(n.a))
	}
}

// Label is what the tree shows of an agency: its name, and for one a
// reorganisation closed, the agency that succeeds it ("Sở X (nay là Sở Y)"),
// and from which day when the directory says ("…, từ ngày 01/07/2025").
func (p *AgencyPicker) Label(a store.Agency) string {
	if a.Active || a.SupersededBy == "" {
		return a.Name
	}
	succ := string(a.SupersededBy)
	if n, ok := p.all[a.SupersededBy]; ok {
		succ = n.a.Name
	}
	if d, err := document.ParseDate(a.ClosedOn); err == nil {
		return p.cat.T(i18n.AgencyNowIsSince, a.Name, succ, formatDate(d))
	}
	return p.cat.T(i18n.AgencyNowIs, a.Name, succ)
}

// Pick selects an agency by code, as a tap on its row does.
func (p *AgencyPicker) Pick(code certs.AgencyCode) {
	p.onSelected(string(code))
}

func (p *AgencyPicker) onSelected(uid string) {
	n, ok := p.all[certs.AgencyCode(uid)]
	p.Tree.UnselectAll()
	if ok && p.OnPick != nil {
		p.OnPick(n.a)
	}
}
