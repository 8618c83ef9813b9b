package relay

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openBytes(b []byte) func() (io.ReaderAt, io.Closer, error) {
	return func() (io.ReaderAt, io.Closer, error) { return bytes.NewReader(b), io.NopCloser(nil), nil }
}

// TestCheckerBoundsConcurrency: no more checks run at once than allowed,
// and a submission whose request ends while it waits gives up its turn.
func TestCheckerBoundsConcurrency(t *testing.T) {
	var running, most atomic.Int32
	release := make(chan struct{})
	c := newChecker(func(ctx context.Context, r io.ReaderAt, size int64) ([]byte, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		return []byte("{}"), nil
	}, 2, 0, nil)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.run(context.Background(), fmt.Sprint(i), 1, openBytes(nil)); err != nil {
				t.Error(err)
			}
		}()
	}
	for running.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	waited := make(chan error)
	go func() {
		_, err := c.run(ctx, "late", 1, openBytes(nil))
		waited <- err
	}()
	cancel()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Errorf("a waiting check whose request ended: %v", err)
	}
	close(release)
	wg.Wait()
	if m := most.Load(); m != 2 {
		t.Errorf("at most %d checks ran at once, want 2", m)
	}
}

// TestCheckerRemembers: an outcome (a report or a refusal) is remembered
// per SHA-256 and CRL set; a failure of the hub's own is not; the oldest
// outcome goes when the cache is full.
func TestCheckerRemembers(t *testing.T) {
	calls := map[string]int{}
	outcome := map[string]error{"bomb": fmt.Errorf("%w: too many", ErrPDFTooComplex), "png": ErrNotPDF, "io": errors.New("disk")}
	var crls []*x509.RevocationList
	c := newChecker(func(ctx context.Context, r io.ReaderAt, size int64) ([]byte, error) {
		b := make([]byte, size)
		r.ReadAt(b, 0)
		calls[string(b)]++
		if err := outcome[string(b)]; err != nil {
			return nil, err
		}
		return []byte(`{"ok":true}`), nil
	}, 1, 3, func() []*x509.RevocationList { return crls })
	run := func(name string) error {
		_, err := c.run(context.Background(), name, int64(len(name)), openBytes([]byte(name)))
		return err
	}
	for range 2 {
		if err := run("good"); err != nil {
			t.Fatal(err)
		}
		if err := run("bomb"); !errors.Is(err, ErrPDFTooComplex) {
			t.Fatalf("bomb: %v", err)
		}
		if err := run("png"); !errors.Is(err, ErrNotPDF) {
			t.Fatalf("png: %v", err)
		}
		run("io")
	}
	want := map[string]int{"good": 1, "bomb": 1, "png": 1, "io": 2}
	for k, n := range want {
		if calls[k] != n {
			t.Errorf("%s checked %d times, want %d", k, calls[k], n)
		}
	}
	// New CRLs: the reports may say otherwise now.
	crls = []*x509.RevocationList{{Number: big.NewInt(2), ThisUpdate: time.Now()}}
	run("good")
	if calls["good"] != 2 {
		t.Errorf("after new CRLs, good checked %d times, want 2", calls["good"])
	}
	// The cache holds 3: good, png, bomb (old CRLs) were pushed out by now.
	run("a")
	run("b")
	run("c")
	if c.order.Len() != 3 || len(c.byKey) != 3 {
		t.Errorf("cache holds %d/%d outcomes, want 3", c.order.Len(), len(c.byKey))
	}
}
