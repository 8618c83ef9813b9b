package boltstore

import (
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// committer is a group commit without a timer: a writer that finds no
// commit running starts one at once; writers that arrive while a commit
// runs queue up and go together in the next transaction. A lone writer so
// waits for one fsync only, and under load a batch holds everything that
// arrived during the previous commit, growing with the backlog, where
// bbolt's DB.Batch holds only what arrived within a fixed delay.
//
// It keeps DB.Batch's contract: the functions of one batch share a write
// transaction; one that fails (or panics) is taken out, the others are run
// again without it, and it is then run alone, so that a function's error
// never reaches another caller. Functions may therefore run more than once.
type committer struct {
	db       *bolt.DB
	maxBatch int

	mu      sync.Mutex
	queue   []commitCall
	running bool
}

type commitCall struct {
	fn  func(*bolt.Tx) error
	err chan error
}

// errRunAlone tells a caller to run its function in its own transaction.
var errRunAlone = errors.New("run alone")

func (c *committer) update(fn func(*bolt.Tx) error) error {
	call := commitCall{fn: fn, err: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, call)
	if !c.running {
		c.running = true
		go c.loop()
	}
	c.mu.Unlock()
	err := <-call.err
	if err == errRunAlone {
		err = c.db.Update(func(tx *bolt.Tx) error { return safeCall(fn, tx) })
	}
	return err
}

// loop commits batches until the queue is empty.
func (c *committer) loop() {
	for {
		c.mu.Lock()
		n := min(len(c.queue), c.maxBatch)
		if n == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		calls := c.queue[:n:n]
		c.queue = c.queue[n:]
		if len(c.queue) == 0 {
			c.queue = nil
		}
		c.mu.Unlock()
		c.commit(calls)
	}
}

func (c *committer) commit(calls []commitCall) {
	for len(calls) > 0 {
		failed := -1
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, call := range calls {
				if err := safeCall(call.fn, tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			calls[failed].err <- errRunAlone
			calls = append(calls[:failed:failed], calls[failed+1:]...)
			continue
		}
		for _, call := range calls {
			call.err <- err
		}
		return
	}
}

func safeCall(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in transaction: %v", p)
		}
	}()
	return fn(tx)
}
