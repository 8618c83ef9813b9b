package server

import (
	"bytes"
	"sync"
)

// bufferPool keeps byte buffers for reuse, those of at most max bytes: a
// rare larger one is left to the collector rather than held.
type bufferPool struct {
	pool sync.Pool
	max  int
}

func (p *bufferPool) get() *bytes.Buffer {
	if b, ok := p.pool.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

func (p *bufferPool) put(b *bytes.Buffer) {
	if b.Cap() <= p.max {
		b.Reset()
		p.pool.Put(b)
	}
}
