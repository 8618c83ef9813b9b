package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
	"lienthong/shared/document"
)

// BoxTab is the Văn bản đến or Văn bản đi tab: search, filters and the
// list on the left, the selected document on the right.
type BoxTab struct {
	app    *App
	box    store.Box
	List   *DocList
	Filter *widget.Select
	View   *DocView
	// Refused lists, under Văn bản đến, the documents this clerk could
	// not take and refused; nil for Văn bản đi.
	Refused *RefusedList
	root    fyne.CanvasObject

	filters map[string]store.Filter
}

// NewBoxTab builds the tab of a box.
func NewBoxTab(a *App, box store.Box) *BoxTab {
	c := a.cat
	t := &BoxTab{app: a, box: box, filters: map[string]store.Filter{}}
	t.List = NewDocList(c, a.clerk, box)
	t.List.OnError = func(err error) { a.showError("list", err) }
	t.List.Dispatch = a.do
	t.List.OnOpen = t.onOpen
	t.View = NewDocView(a)
	opts := []string{c.T(i18n.FilterAll), c.T(i18n.FilterUnread), c.T(i18n.FilterOverdue), c.T(i18n.FilterDueSoon)}
	t.filters[opts[1]] = store.Filter{Unread: true}
	t.filters[opts[2]] = store.Filter{Overdue: true}
	t.filters[opts[3]] = store.Filter{DueSoon: true}
	for _, s := range document.Statuses() {
		o := c.T(i18n.FilterStatus, statusName(c, s))
		opts = append(opts, o)
		t.filters[o] = store.Filter{Statuses: []document.Status{s}}
	}
	t.Filter = widget.NewSelect(opts, t.onFilter)
	t.Filter.PlaceHolder = c.T(i18n.SelectPrompt)
	t.Filter.SetSelectedIndex(0)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(t.Filter, t.List.Count), t.List.Search)
	split := container.NewHSplit(t.List.Table, t.View.Object())
	split.Offset = 0.72
	var bottom fyne.CanvasObject
	if box == store.Incoming {
		t.Refused = NewRefusedList(c, a.clerk)
		t.Refused.OnError = func(err error) { a.showError("list", err) }
		t.Refused.Reload()
		bottom = t.Refused.Object()
	}
	t.root = container.NewBorder(top, bottom, nil, nil, split)
	t.List.Reload()
	return t
}

// Object returns the tab's content.
func (t *BoxTab) Object() fyne.CanvasObject { return t.root }

func (t *BoxTab) onFilter(choice string) {
	if t.List == nil {
		return
	}
	t.List.SetFilter(t.filters[choice])
}

func (t *BoxTab) onOpen(s store.Summary) {
	t.View.Show(s.ID) // which marks it read and reloads the lists
}

// Table returns the list's table, for selecting rows.
func (t *BoxTab) Table() interface{ Select(widget.TableCellID) } { return t.List.Table }
