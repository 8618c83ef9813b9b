package hubclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lienthong/hub/hubtest"
)

// stallingFile stands for the clerk's attachment file: one read past
// stallAt blocks until release is closed, and reads once the owner has
// closed it are counted.
type stallingFile struct {
	data             []byte
	stallAt          int64
	once             sync.Once
	stalled, release chan struct{}
	closed           atomic.Bool
	readsAfterClose  atomic.Int32
}

func (f *stallingFile) ReadAt(p []byte, off int64) (int, error) {
	if f.closed.Load() {
		f.readsAfterClose.Add(1)
	}
	if off >= f.stallAt {
		f.once.Do(func() {
			close(f.stalled)
			<-f.release
		})
	}
	return bytes.NewReader(f.data).ReadAt(p, off)
}

// TestUploadDoesNotReturnWhileItsBodyIsRead: when an upload is cut off
// (here cancelled) while the transport is reading the attachment, Upload
// returns only once that read is over, and the transport, which may go on
// in its own goroutine, reads nothing more: the clerk closes the file as
// soon as Upload returns (a data race the desktop's crash test found).
func TestUploadDoesNotReturnWhileItsBodyIsRead(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	for _, tcp := range []bool{false, true} {
		name := map[bool]string{false: "QUIC", true: "TCP"}[tcp]
		t.Run(name, func(t *testing.T) {
			c := h.Client(t, "000.00.00.H49", tcp)
			data := make([]byte, 4<<20)
			rand.Read(data)
			sum := sha256.Sum256(data)
			f := &stallingFile{data: data, stallAt: 1 << 20, stalled: make(chan struct{}), release: make(chan struct{})}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				err := c.Upload(ctx, hex.EncodeToString(sum[:]), f, int64(len(data)), 0, nil)
				f.closed.Store(true) // what the clerk does next
				done <- err
			}()
			select {
			case <-f.stalled:
			case err := <-done:
				t.Fatalf("upload ended before reaching 1 MiB: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("upload never reached 1 MiB")
			}
			cancel()
			select {
			case err := <-done:
				t.Fatalf("Upload returned (%v) while the transport was still reading the file", err)
			case <-time.After(200 * time.Millisecond):
			}
			close(f.release)
			if err := <-done; err == nil {
				t.Fatal("a cancelled upload succeeded")
			}
			time.Sleep(100 * time.Millisecond) // room for a transport goroutine to read on
			if n := f.readsAfterClose.Load(); n > 0 {
				t.Fatalf("the file was read %d times after Upload returned", n)
			}
		})
	}
}
