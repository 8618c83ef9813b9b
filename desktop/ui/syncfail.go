package ui

import (
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
)

// outboxLister lists what waits for the hub; *clerk.Clerk is one.
type outboxLister interface {
	Outbox() ([]store.OutboxItem, error)
}

// syncFailures follows the SyncFailed events for the status bar: each
// item the hub refused (it stays in the outbox and is retried) is shown
// until it goes through, when it leaves the outbox; a failure about no
// outbox item until a document arrives. (An incoming document this clerk
// cannot take is no failure: it is set aside, see RefusedList.) It
// is used by the event pump's goroutine only, so it reads the outbox off
// Fyne's goroutine.
type syncFailures struct {
	cat    *i18n.Catalog
	outbox outboxLister
	failed map[string]syncFailure // by document id
	order  []string               // ids, the latest failure last
}

type syncFailure struct {
	msg      string
	inOutbox bool
}

func newSyncFailures(cat *i18n.Catalog, outbox outboxLister) *syncFailures {
	return &syncFailures{cat: cat, outbox: outbox, failed: map[string]syncFailure{}}
}

// apply takes an event and reports whether the status bar's text changed.
// failed is the clerk's message for a SyncFailed event's error.
func (f *syncFailures) apply(ev clerk.Event, failed func(error) string) bool {
	switch e := ev.(type) {
	case clerk.SyncFailed:
		f.remove(e.ID)
		queued, _ := f.queued()
		f.failed[e.ID] = syncFailure{msg: failed(e.Err), inOutbox: queued[e.ID]}
		f.order = append(f.order, e.ID)
		return true
	case clerk.OutboxChanged:
		queued, ok := f.queued()
		if !ok {
			return false
		}
		return f.drop(func(id string, s syncFailure) bool { return s.inOutbox && !queued[id] })
	case clerk.DocumentArrived:
		return f.drop(func(_ string, s syncFailure) bool { return !s.inOutbox })
	}
	return false
}

// queued returns the documents with an item in the outbox; false when
// the outbox cannot be read (nothing is then taken as gone through).
func (f *syncFailures) queued() (map[string]bool, bool) {
	items, err := f.outbox.Outbox()
	if err != nil {
		return nil, false
	}
	ids := make(map[string]bool, len(items))
	for _, it := range items {
		ids[it.Doc] = true
	}
	return ids, true
}

func (f *syncFailures) drop(gone func(string, syncFailure) bool) bool {
	changed := false
	for id, s := range f.failed {
		if gone(id, s) {
			f.remove(id)
			changed = true
		}
	}
	return changed
}

func (f *syncFailures) remove(id string) {
	if _, ok := f.failed[id]; !ok {
		return
	}
	delete(f.failed, id)
	for i, o := range f.order {
		if o == id {
			f.order = append(f.order[:i:i], f.order[i+1:]...)
			break
		}
	}
}

// text is the status bar's line: the latest failure, with the number of
// failing items when there are several; "" when nothing fails.
func (f *syncFailures) text() string {
	switch n := len(f.order); n {
	case 0:
		return ""
	case 1:
		return f.cat.T(i18n.SyncFailedStatus, f.failed[f.order[0]].msg)
	default:
		return f.cat.T(i18n.SyncFailedMore, n, f.failed[f.order[n-1]].msg)
	}
}
