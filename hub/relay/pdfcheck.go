package relay

import (
	"container/list"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// checker bounds the attachment checks: at most a fixed number run at
// once (each may use up to its document's budget of memory, see package
// pades), a submission waits for a turn only as long as its request
// lives, and each outcome is remembered per SHA-256 (and trust state), so
// the same blob submitted again, by anyone, is not parsed again.
type checker struct {
	check CheckAttachment
	turns chan struct{}
	trust func() []*x509.RevocationList // the outcome depends on the CRLs in force

	mu    sync.Mutex
	max   int
	order *list.List // of *checkOutcome, most recent first
	byKey map[checkKey]*list.Element
}

type checkKey struct {
	digest string
	crls   [32]byte
}

type checkOutcome struct {
	key    checkKey
	report []byte
	err    error // a refusal: wraps ErrNotPDF or ErrPDFTooComplex
}

// Default bounds of the attachment checks.
const (
	defaultCheckCache = 1024 // outcomes remembered (a report is a few KB)
)

func newChecker(check CheckAttachment, concurrency, cacheSize int, crls func() []*x509.RevocationList) *checker {
	if concurrency <= 0 {
		concurrency = runtime.NumCPU() // not GOMAXPROCS, which SpareProcs raises
	}
	if cacheSize <= 0 {
		cacheSize = defaultCheckCache
	}
	return &checker{check: check, turns: make(chan struct{}, concurrency), trust: crls,
		max: cacheSize, order: list.New(), byKey: map[checkKey]*list.Element{}}
}

// crlKey identifies the CRLs in force: a report says whether each signer
// was revoked, so a new list makes the remembered reports stale.
func crlKey(crls []*x509.RevocationList) [32]byte {
	h := sha256.New()
	for _, c := range crls {
		fmt.Fprintf(h, "%x|%d|%s|", c.RawIssuer, c.ThisUpdate.Unix(), c.Number)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// run checks the blob digest of size bytes, opened by open, or answers
// the outcome remembered for it.
func (c *checker) run(ctx context.Context, digest string, size int64, open func() (io.ReaderAt, io.Closer, error)) ([]byte, error) {
	var key checkKey
	key.digest = digest
	if c.trust != nil {
		key.crls = crlKey(c.trust())
	}
	if o, ok := c.remembered(key); ok {
		return o.report, o.err
	}
	select {
	case c.turns <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a PDF check: %w", ctx.Err())
	}
	defer func() { <-c.turns }()
	if o, ok := c.remembered(key); ok { // checked while this one waited
		return o.report, o.err
	}
	r, closer, err := open()
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	report, err := c.check(ctx, r, size)
	if err == nil || errors.Is(err, ErrNotPDF) || errors.Is(err, ErrPDFTooComplex) {
		c.remember(&checkOutcome{key: key, report: report, err: err})
	}
	return report, err
}

func (c *checker) remembered(key checkKey) (*checkOutcome, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*checkOutcome), true
}

func (c *checker) remember(o *checkOutcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[o.key]; ok {
		e.Value = o
		c.order.MoveToFront(e)
		return
	}
	c.byKey[o.key] = c.order.PushFront(o)
	for c.order.Len() > c.max {
		last := c.order.Back()
		delete(c.byKey, last.Value.(*checkOutcome).key)
		c.order.Remove(last)
	}
}
