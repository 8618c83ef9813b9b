package blobs

import (
	"bytes"
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
)

// TestPresentAnsweredAfterTheFolderSync is finding 11 of issue 14: a
// writer that finds its blob already linked by a concurrent writer (a Put,
// or a chunked upload's Commit) answers only once that name is durable,
// that is after an fsync of objects/ that began after the link. The first
// writer's folder sync is held back; the second must not answer before it
// ends.
func TestPresentAnsweredAfterTheFolderSync(t *testing.T) {
	for _, second := range []string{"Put", "Commit"} {
		t.Run(second, func(t *testing.T) {
			d := open(t, t.TempDir())
			data := random(20_000)
			sum := digest(data)
			var (
				mu     sync.Mutex
				calls  int
				events []string
			)
			note := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
			entered, release := make(chan struct{}), make(chan struct{})
			fsync := d.objectsSync.fsync
			d.objectsSync.fsync = func() error {
				mu.Lock()
				calls++
				first := calls == 1
				mu.Unlock()
				if first {
					close(entered)
					<-release
					err := fsync()
					note("first writer's folder sync done")
					return err
				}
				return fsync()
			}
			firstDone := make(chan error, 1)
			go func() {
				_, err := d.Put(context.Background(), sum, bytes.NewReader(data))
				firstDone <- err
			}()
			<-entered // the first writer linked the blob and waits for its folder sync
			secondDone := make(chan error, 1)
			go func() {
				var err error
				switch second {
				case "Put":
					_, err = d.Put(context.Background(), sum, bytes.NewReader(data))
				case "Commit":
					up, berr := d.Begin(certs.AgencyCode("000.00.00.H41"), sum, int64(len(data)))
					if err = berr; err == nil {
						if _, err = d.Append(up, 0, bytes.NewReader(data)); err == nil {
							_, err = d.Commit(up)
						}
					}
				}
				note("second writer answered")
				secondDone <- err
			}()
			// Give a wrong implementation time to answer early; a right one
			// waits whatever this wait is.
			var secondErr error
			answered := false
			select {
			case secondErr = <-secondDone:
				answered = true
			case <-time.After(200 * time.Millisecond):
			}
			close(release)
			if err := <-firstDone; err != nil {
				t.Fatal(err)
			}
			if !answered {
				secondErr = <-secondDone
			}
			if secondErr != nil {
				t.Fatal(secondErr)
			}
			want := []string{"first writer's folder sync done", "second writer answered"}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(events, want) {
				t.Fatalf("events %q, want %q: the blob was answered present before its name was durable", events, want)
			}
		})
	}
}
