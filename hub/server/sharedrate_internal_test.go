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

// fakeBuckets answers Take with ok or err, counting the calls.
type fakeBuckets struct {
	ok    bool
	err   error
	calls int
}

func (f *fakeBuckets) Take(context.Context, string, time.Duration, int) (bool, error) {
	f.calls++
	return f.ok, f.err
}

// stuckBuckets answer when the call's context ends, as a database that
// does not answer.
type stuckBuckets struct{}

func (stuckBuckets) Take(ctx context.Context, _ string, _ time.Duration, _ int) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
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
		b.err, b.ok = nil, false
		if r.Allow(ctx, "000.00.00.H41", 0.001, 5) || b.calls != 2 {
			t.Fatalf("the store was not asked again after the pause (%d calls)", b.calls)
		}
		if !strings.Contains(logs.String(), "shared rate limits available again") {
			t.Fatalf("the recovery was not logged:\n%s", &logs)
		}
	})
	t.Run("a store that does not answer falls back after the timeout", func(t *testing.T) {
		r := SharedRate(stuckBuckets{}, SharedRateOptions{Timeout: time.Millisecond})
		if !r.Allow(ctx, agency, 100, 10) {
			t.Fatal("refused while the store does not answer")
		}
	})
}
