// Package wakeup wakes the long polls waiting for an agency: the relay's
// (package relay), and a long-poll front's (package front), which learns
// the relay's wake-ups through Watch.
package wakeup

import (
	"sync"

	"lienthong/certs"
)

// Set is the agencies long polls wait for. The zero Set is not ready: use
// New.
type Set struct {
	mu       sync.Mutex
	waiting  map[certs.AgencyCode]chan struct{}
	watchers map[*watcher]struct{}
}

type watcher struct{ wake func([]certs.AgencyCode) }

// New returns an empty Set.
func New() *Set {
	return &Set{waiting: map[certs.AgencyCode]chan struct{}{}, watchers: map[*watcher]struct{}{}}
}

// Wait returns a channel closed at the agency's next Notify or NotifyAll.
// Take it before looking at the store, so that nothing stored in between
// is missed.
func (s *Set) Wait(a certs.AgencyCode) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.waiting[a]
	if !ok {
		ch = make(chan struct{})
		s.waiting[a] = ch
	}
	return ch
}

// Notify wakes the polls waiting for these agencies, and tells the
// watchers.
func (s *Set) Notify(agencies ...certs.AgencyCode) {
	if len(agencies) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range agencies {
		if ch, ok := s.waiting[a]; ok {
			close(ch)
			delete(s.waiting, a)
		}
	}
	for w := range s.watchers {
		w.wake(agencies)
	}
}

// NotifyAll wakes every poll waiting now, and tells the watchers (with
// nil).
func (s *Set) NotifyAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for a, ch := range s.waiting {
		close(ch)
		delete(s.waiting, a)
	}
	for w := range s.watchers {
		w.wake(nil)
	}
}

// Watch calls wake with the agencies of every Notify from now on, and nil
// for every NotifyAll, until stop is called. wake runs under the Set's
// lock: it must not block nor call back into the Set, and it must copy
// the agencies to keep them.
func (s *Set) Watch(wake func(agencies []certs.AgencyCode)) (stop func()) {
	w := &watcher{wake}
	s.mu.Lock()
	s.watchers[w] = struct{}{}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.watchers, w)
		s.mu.Unlock()
	}
}
