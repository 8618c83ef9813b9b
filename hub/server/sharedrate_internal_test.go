package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// fakeBuckets answers Take with ok (then all the tokens asked for) or
// err, counting the calls.
type fakeBuckets struct {
	ok    bool
	err   error
	calls int
	asked int // the tokens the last call asked for
}

func (f *fakeBuckets) Take(_ context.Context, _ string, _ time.Duration, _, n int) (int, error) {
	f.calls++
	f.asked = n
	if !f.ok {
		return 0, f.err
	}
	return n, f.err
}

// stuckBuckets answer when the call's context ends, as a database that
// does not answer.
type stuckBuckets struct{}

func (stuckBuckets) Take(ctx context.Context, _ string, _ time.Duration, _, _ int) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

func TestSharedRate(t *testing.T) {
	const agency = "000.00.00.H49"
	now := time.Unix(1_800_000_000, 0)
	var logs bytes.Buffer
	newRate := func(b Buckets) RateLimiter {
		logs.Reset()
		return SharedRate(b, SharedRateOptions{Pause: time.Second, Now: func() time.Time { return now },
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	}
	ctx := context.Background()

	t.Run("the shared bucket decides", func(t *testing.T) {
		b := &fakeBuckets{ok: false}
		if newRate(b).Allow(ctx, agency, 100, 10) || b.calls != 1 {
			t.Fatalf("allowed when the shared bucket is empty (%d calls)", b.calls)
		}
		b.ok = true
		if !newRate(b).Allow(ctx, agency, 100, 10) {
			t.Fatal("refused with a token in the shared bucket")
		}
	})
	t.Run("this node's bucket refuses first", func(t *testing.T) {
		b := &fakeBuckets{ok: true}
		r := newRate(b)
		for range 3 {
			r.Allow(ctx, agency, 0.001, 3)
		}
		if r.Allow(ctx, agency, 0.001, 3) {
			t.Fatal("a node allowed an agency more than its whole burst")
		}
		if b.calls != 3 {
			t.Fatalf("the store was asked %d times, want 3: a refusal on this node needs no call", b.calls)
		}
	})
	t.Run("a failing store falls back to this node's bucket", func(t *testing.T) {
		b := &fakeBuckets{err: errors.New("connection refused")}
		r := newRate(b)
		for i := range 5 {
			if !r.Allow(ctx, agency, 0.001, 5) {
				t.Fatalf("request %d refused while the store fails", i+1)
			}
		}
		if r.Allow(ctx, agency, 0.001, 5) {
			t.Fatal("this node's bucket did not limit while the store fails")
		}
		if b.calls != 1 {
			t.Fatalf("the failing store was asked %d times within the pause, want 1", b.calls)
		}
		if n := strings.Count(logs.String(), "shared rate limits unavailable"); n != 1 {
			t.Fatalf("the failure was logged %d times, want once:\n%s", n, &logs)
		}
		now = now.Add(time.Second)
		r.Allow(ctx, "000.00.00.H41", 0.001, 5)
		if b.calls != 2 || strings.Count(logs.String(), "shared rate limits unavailable") != 2 {
			t.Fatalf("after the pause the store was asked %d times in all, want 2, and its failure logged again:\n%s", b.calls, &logs)
		}
		now = now.Add(time.Second)
		b.err, b.ok = nil, false
		if r.Allow(ctx, "000.00.00.H41", 0.001, 5) || b.calls != 3 {
			t.Fatalf("the store was not asked again after the pause (%d calls)", b.calls)
		}
		if n := strings.Count(logs.String(), "shared rate limits available again"); n != 1 {
			t.Fatalf("the recovery was logged %d times, want once:\n%s", n, &logs)
		}
		r.Allow(ctx, "000.00.00.H41", 0.001, 5)
		if n := strings.Count(logs.String(), "shared rate limits available again"); n != 1 {
			t.Fatalf("the recovery was logged %d times, want once:\n%s", n, &logs)
		}
	})
	t.Run("a node spends the tokens it took at once", func(t *testing.T) {
		b := &fakeBuckets{ok: true}
		r := newRate(b)
		// 5 tokens a second, burst 80: a node takes 10 at once (an
		// eighth of the burst), valid for the 2 s they took to come.
		for i := range 10 {
			if !r.Allow(ctx, agency, 5, 80) {
				t.Fatalf("request %d refused", i+1)
			}
		}
		if b.calls != 1 || b.asked != 10 {
			t.Fatalf("%d calls for 10 requests, the first asking %d tokens; want 1 call asking 10", b.calls, b.asked)
		}
		r.Allow(ctx, agency, 5, 80)
		if b.calls != 2 {
			t.Fatalf("the 11th request made %d calls in all, want 2", b.calls)
		}
		// The 9 tokens left of the second take expire after 2 s.
		now = now.Add(1999 * time.Millisecond)
		if !r.Allow(ctx, agency, 5, 80) || b.calls != 2 {
			t.Fatalf("a lease was not spent before it expired (%d calls)", b.calls)
		}
		now = now.Add(time.Millisecond)
		b.ok = false
		if r.Allow(ctx, agency, 5, 80) || b.calls != 3 {
			t.Fatalf("an expired lease was spent (%d calls)", b.calls)
		}
		// A small burst is never leased: the bucket is exact.
		b.ok = true
		r.Allow(ctx, "000.00.00.H41", 10, 4)
		if b.asked != 1 {
			t.Fatalf("asked %d tokens of a bucket of 4", b.asked)
		}
	})
	t.Run("a store that does not answer falls back after the timeout", func(t *testing.T) {
		r := SharedRate(stuckBuckets{}, SharedRateOptions{Timeout: time.Millisecond})
		if !r.Allow(ctx, agency, 100, 10) {
			t.Fatal("refused while the store does not answer")
		}
	})
}
