package hubclient

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// blockingReaderAt blocks its first read until release is closed.
type blockingReaderAt struct {
	data             []byte
	entered, release chan struct{}
	reads            int
}

func (b *blockingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	b.reads++
	if b.reads == 1 {
		close(b.entered)
		<-b.release
	}
	return bytes.NewReader(b.data).ReadAt(p, off)
}

func TestLentReaderAtEndWaitsForTheReadInProgress(t *testing.T) {
	b := &blockingReaderAt{data: []byte("công văn"), entered: make(chan struct{}), release: make(chan struct{})}
	lent := &lentReaderAt{ra: b}
	read := make(chan error, 1)
	go func() {
		_, err := lent.ReadAt(make([]byte, 4), 0)
		read <- err
	}()
	<-b.entered
	ended := make(chan struct{})
	go func() {
		lent.end()
		close(ended)
	}()
	select {
	case <-ended:
		t.Fatal("end returned while a read was in progress")
	case <-time.After(50 * time.Millisecond):
	}
	close(b.release)
	<-ended
	if err := <-read; err != nil {
		t.Fatalf("the read in progress failed: %v", err)
	}
	if _, err := lent.ReadAt(make([]byte, 4), 0); !errors.Is(err, errRequestOver) {
		t.Fatalf("a read after end: %v, want errRequestOver", err)
	}
	if b.reads != 1 {
		t.Fatalf("the caller's reader was read %d times, want once", b.reads)
	}
}
