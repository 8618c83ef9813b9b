package hubclient

import (
	"errors"
	"io"
	"sync"
)

// errRequestOver is what a transport reads from a body lent for a request
// that has returned.
var errRequestOver = errors.New("the request is over: its body may no longer be read")

// lentReaderAt lends a caller's io.ReaderAt to one request's body. A
// transport may go on reading a request's body in its own goroutine after
// RoundTrip returns (net/http's RoundTripper contract allows it; quic-go's
// http3 does when the connection breaks half-way), while the caller of
// Upload may close its file the moment Upload returns. end waits for a read
// in progress and makes every later one fail without touching the
// caller's reader.
type lentReaderAt struct {
	mu    sync.Mutex
	ra    io.ReaderAt
	ended bool
}

func (l *lentReaderAt) ReadAt(p []byte, off int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return 0, errRequestOver
	}
	return l.ra.ReadAt(p, off)
}

// end takes the reader back.
func (l *lentReaderAt) end() {
	l.mu.Lock()
	l.ended = true
	l.mu.Unlock()
}
