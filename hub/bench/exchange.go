package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// tracker records when each document started and when it was delivered.
type tracker struct {
	mu          sync.Mutex
	start       map[string]time.Time
	first       time.Time
	lastAccept  time.Time
	lastDeliver time.Time
	latencies   []time.Duration
	acceptLat   []time.Duration
	accepted    int
	acceptedB   int64
	failed      int
	delivered   int
	bytes       int64
	firstErr    error
	sendersDone bool
	allDone     chan struct{}
}

func (t *tracker) begin(id string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.start[id] = at
	if t.first.IsZero() || at.Before(t.first) {
		t.first = at
	}
}

func (t *tracker) accept(id string, size int64, err error) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.failed++
		if t.firstErr == nil {
			t.firstErr = err
		}
		return
	}
	t.accepted++
	t.acceptedB += size
	t.lastAccept = now
	t.acceptLat = append(t.acceptLat, now.Sub(t.start[id]))
}

func (t *tracker) deliver(id string, size int64) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	start, ok := t.start[id]
	if !ok {
		return // not this run's
	}
	delete(t.start, id)
	t.delivered++
	t.bytes += size
	t.lastDeliver = now
	t.latencies = append(t.latencies, now.Sub(start))
	t.checkDone()
}

func (t *tracker) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.firstErr == nil {
		t.firstErr = err
	}
}

func (t *tracker) sendersFinished() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sendersDone = true
	t.checkDone()
}

func (t *tracker) checkDone() {
	if t.sendersDone && t.delivered >= t.accepted {
		select {
		case <-t.allDone:
		default:
			close(t.allDone)
		}
	}
}

// Warmup is what a run's warm-up (Options.Warmup) measured: its
// documents are sent as the measured ones are, before them, and counted
// in no other figure.
type Warmup struct {
	Docs, Failed int
	// Latency from the start of sending to the recipient's
	// acknowledgement (zero with AcceptOnly), and to Submit answered.
	P50, P99, Max time.Duration
	AcceptP99     time.Duration
}

// warmUp sends docs, the run's warm-up, as exchange does; nil when there
// are none.
func warmUp(ctx context.Context, e *env, docs []*doc, opts Options) (*Warmup, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	r, err := exchange(ctx, e, docs, opts)
	if err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	return &Warmup{Docs: len(docs), Failed: r.Failed, P50: r.P50, P99: r.P99, Max: r.Max, AcceptP99: r.AcceptP99}, nil
}

// exchange sends docs and receives them at the same time, and measures.
func exchange(ctx context.Context, e *env, docs []*doc, opts Options) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	tr := &tracker{start: map[string]time.Time{}, allDone: make(chan struct{})}
	hub0, err := e.hubCPU()
	if err != nil {
		return nil, err
	}
	db0, err := e.db.cpu()
	if err != nil {
		return nil, err
	}
	cpu0 := processCPU()

	recvCtx, stopReceivers := context.WithCancel(ctx)
	var receivers sync.WaitGroup
	for _, a := range e.agencies {
		if opts.AcceptOnly {
			break
		}
		receivers.Add(1)
		go func() {
			defer receivers.Done()
			receive(recvCtx, e, a, tr)
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the long polls reach the hub

	type job struct {
		d  *doc
		at time.Time
	}
	jobs := make(chan job)
	go func() {
		defer close(jobs)
		// With a rate, document i is due at begin + i/rate, and its
		// latency counts from then even if every sender was busy: a
		// backlog shows in the figures instead of slowing the schedule.
		begin := time.Now()
		for i, d := range docs {
			at := time.Now()
			if opts.Rate > 0 {
				at = begin.Add(time.Duration(float64(i) / opts.Rate * float64(time.Second)))
				if wait := time.Until(at); wait > 0 {
					select {
					case <-time.After(wait):
					case <-ctx.Done():
						return
					}
				}
			}
			select {
			case jobs <- job{d, at}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var senders sync.WaitGroup
	for range opts.Concurrency {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for j := range jobs {
				start := j.at
				if opts.Rate == 0 {
					start = time.Now()
				}
				tr.begin(j.d.id, start)
				err := e.agencies[j.d.from].send(ctx, j.d, opts.Upload)
				tr.accept(j.d.id, int64(len(j.d.pdf)), err)
			}
		}()
	}
	senders.Wait()
	tr.sendersFinished()
	if !opts.AcceptOnly {
		select {
		case <-tr.allDone:
		case <-ctx.Done():
		}
	}
	cpu := processCPU() - cpu0
	hub1, err := e.hubCPU()
	db1, dbErr := e.db.cpu()
	stopReceivers()
	receivers.Wait()

	if err = errors.Join(err, dbErr); err != nil {
		return nil, err
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.delivered < tr.accepted && !opts.AcceptOnly {
		return nil, fmt.Errorf("bench: %d of %d accepted documents delivered before the time limit (first error: %v)", tr.delivered, tr.accepted, tr.firstErr)
	}
	res := &Result{
		Options: opts, Accepted: tr.accepted, Delivered: tr.delivered, Failed: tr.failed, Bytes: tr.bytes, AcceptedBytes: tr.acceptedB,
		Elapsed: tr.lastDeliver.Sub(tr.first), AcceptElapsed: tr.lastAccept.Sub(tr.first), FirstError: tr.firstErr,
	}
	if res.Elapsed > 0 {
		res.DocsPerSec = float64(res.Delivered) / res.Elapsed.Seconds()
		res.MBPerSec = float64(res.Bytes) / 1e6 / res.Elapsed.Seconds()
	}
	if res.AcceptElapsed > 0 {
		res.AcceptedPerSec = float64(res.Accepted) / res.AcceptElapsed.Seconds()
	}
	moved := res.Bytes
	if opts.AcceptOnly {
		moved = res.AcceptedBytes
	}
	res.Local = cpuUse(cpu, moved, res.Accepted)
	if len(e.nodes) > 0 {
		res.Hub = cpuUse(hub1-hub0, moved, res.Accepted)
	}
	if e.db != nil && len(e.db.pids) > 0 {
		res.DB = cpuUse(db1-db0, moved, res.Accepted)
	}
	res.P50, res.P99, res.Max = percentiles(tr.latencies)
	res.AcceptP50, res.AcceptP99, _ = percentiles(tr.acceptLat)
	return res, nil
}

// receiveParallel is how many documents of an inbox page an agency
// fetches at once.
const receiveParallel = 4

// receive is one agency's receiving loop: long-poll the inbox, verify the
// packet, download each attachment the item does not carry, check each,
// acknowledge.
func receive(ctx context.Context, e *env, a *agency, tr *tracker) {
	var after uint64
	for ctx.Err() == nil {
		in, err := a.client.Inbox(ctx, after, 5*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				tr.fail(fmt.Errorf("inbox of %s: %w", a.code, err))
				time.Sleep(50 * time.Millisecond)
			}
			continue
		}
		// A page is fetched a few documents at a time, as a sync engine
		// with parallel downloads would.
		var wg sync.WaitGroup
		sem := make(chan struct{}, receiveParallel)
		for _, item := range in.Items {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				size, err := fetch(ctx, e, a, item)
				if err != nil {
					if ctx.Err() == nil {
						tr.fail(err)
					}
					return
				}
				tr.deliver(item.MessageID, size)
			}()
		}
		wg.Wait()
		after = in.Next
	}
}

func fetch(ctx context.Context, e *env, a *agency, item wire.InboxItem) (int64, error) {
	d, _, err := envelope.OpenDocument(item.Packet, e.verifier, 0)
	if err != nil {
		return 0, fmt.Errorf("packet %s: %w", item.MessageID, err)
	}
	var size int64
	for _, att := range d.Attachments {
		h := sha256.New()
		var n int64
		if b, ok := item.Inlined(att.SHA256); ok {
			h.Write(b)
			n = int64(len(b))
		} else if n, err = a.client.Download(ctx, item.MessageID, att.SHA256, 0, h); err != nil {
			return 0, fmt.Errorf("download %s: %w", item.MessageID, err)
		}
		if hex.EncodeToString(h.Sum(nil)) != att.SHA256 || n != att.Size {
			return 0, fmt.Errorf("download %s: the attachment does not match its digest", item.MessageID)
		}
		size += n
	}
	if _, err := a.client.Ack(ctx, item.MessageID); err != nil {
		return 0, fmt.Errorf("ack %s: %w", item.MessageID, err)
	}
	return size, nil
}

func percentiles(d []time.Duration) (p50, p99, maximum time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.5) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return at(0.50), at(0.99), s[len(s)-1]
}

// hubCPU is the CPU time the hub's processes have used so far, summed;
// 0 when the hub is not processes this run started.
func (e *env) hubCPU() (time.Duration, error) {
	var sum time.Duration
	for _, p := range e.nodes {
		cpu, err := p.cpu()
		if err != nil {
			return 0, fmt.Errorf("the hub process's CPU time: %w", err)
		}
		sum += cpu
	}
	return sum, nil
}
