package blobs

import "sync"

// dirSync makes the entries of one directory durable for many callers
// with few fsyncs, as a group commit does for a database: a caller needs
// an fsync of the directory that starts after its own rename or create,
// so callers that arrive while one runs wait and share the next. Under
// load the attachments renamed into objects/ meanwhile all become durable
// with one fsync instead of one each.
type dirSync struct {
	fsync func() error // syncDir of the directory

	mu      sync.Mutex
	cond    sync.Cond
	running bool
	started uint64 // fsyncs started
	done    uint64 // the last fsync that finished
	failed  uint64 // the last fsync that failed, with err
	err     error
}

func newDirSync(path string) *dirSync {
	s := &dirSync{fsync: func() error { return syncDir(path) }}
	s.cond.L = &s.mu
	return s
}

// sync returns once an fsync of the directory that started after the call
// has finished, with its error.
func (s *dirSync) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := s.started + 1
	for s.done < want {
		if s.running {
			s.cond.Wait()
			continue
		}
		s.running = true
		s.started++
		gen := s.started
		s.mu.Unlock()
		err := s.fsync()
		s.mu.Lock()
		s.running = false
		s.done = gen
		if err != nil {
			s.failed, s.err = gen, err
		}
		s.cond.Broadcast()
	}
	if s.failed >= want {
		return s.err
	}
	return nil
}
