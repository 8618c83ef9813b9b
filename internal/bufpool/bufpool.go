// Package bufpool keeps byte buffers for reuse.
package bufpool

import (
	"bytes"
	"sync"
)

// Pool keeps buffers of at most Max bytes: a rare larger one is left to
// the collector rather than held. The zero Pool keeps none.
type Pool struct {
	pool sync.Pool
	Max  int
}

// Get returns an empty buffer.
func (p *Pool) Get() *bytes.Buffer {
	if b, ok := p.pool.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

// Put gives b back; its bytes must not be used after.
func (p *Pool) Put(b *bytes.Buffer) {
	if b.Cap() <= p.Max {
		b.Reset()
		p.pool.Put(b)
	}
}
