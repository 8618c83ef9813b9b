package server

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"lienthong/certs"
)

// Buckets are token buckets kept where every hub node sees them
// (pgstore.Buckets): Take takes a token from the bucket named key, which
// gains one every interval and holds at most burst, and reports whether
// there was one.
type Buckets interface {
	Take(ctx context.Context, key string, interval time.Duration, burst int) (bool, error)
}

// Defaults of SharedRateOptions.
const (
	DefaultSharedRateTimeout = 200 * time.Millisecond
	DefaultSharedRatePause   = time.Second
)

// SharedRateOptions tune SharedRate; zero fields take the defaults.
type SharedRateOptions struct {
	// Timeout bounds one call to the shared buckets; Pause is how long the
	// limiter then counts on this node's buckets alone before it asks the
	// shared ones again.
	Timeout, Pause time.Duration
	Logger         *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// SharedRate returns a RateLimiter whose buckets b are shared by every hub
// node, so that an agency spreading its requests over several nodes gets
// its rate once, not once per node.
//
// A request first takes a token from this node's own bucket of the same
// rate (LocalRate): a node alone cannot allow an agency more than its
// whole rate, so a flood on one node is refused without a call to the
// store. Then it takes one from the shared bucket. When the shared buckets
// fail or take longer than Timeout (the database is down, failing over or
// overloaded), the local bucket's answer stands: the hub keeps serving,
// each node limiting on its own (an agency may then get its rate on each
// node), and after Pause the shared buckets are asked again. The failure
// is logged once per Pause at most. A limit that fails open is the right
// trade here: the rate protects the hub's capacity, it is not a security
// decision, and a hub node must never stop serving because its limiter's
// store failed.
func SharedRate(b Buckets, opts SharedRateOptions) RateLimiter {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultSharedRateTimeout
	}
	if opts.Pause <= 0 {
		opts.Pause = DefaultSharedRatePause
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &sharedRate{shared: b, local: LocalRate(), opts: opts}
}

type sharedRate struct {
	shared Buckets
	local  RateLimiter
	opts   SharedRateOptions
	// until is when the shared buckets are asked again after a failure,
	// in Unix nanoseconds; 0 when they are in use.
	until atomic.Int64
}

func (s *sharedRate) Allow(ctx context.Context, a certs.AgencyCode, perSecond float64, burst int) bool {
	if !s.local.Allow(ctx, a, perSecond, burst) {
		return false
	}
	now := s.opts.Now()
	if until := s.until.Load(); until != 0 {
		if now.UnixNano() < until {
			return true
		}
		if s.until.CompareAndSwap(until, 0) {
			s.opts.Logger.Info("shared rate limits available again")
		}
	}
	interval := time.Duration(float64(time.Second) / perSecond)
	cctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	ok, err := s.shared.Take(cctx, string(a), interval, burst)
	cancel()
	if err == nil {
		return ok
	}
	if ctx.Err() != nil {
		return true // the request is gone; its answer does not matter
	}
	// The first failure of a run logs; the others find until set.
	if s.until.Swap(now.Add(s.opts.Pause).UnixNano()) == 0 {
		s.opts.Logger.Warn("shared rate limits unavailable; limiting on this node alone", "err", err, "retry", s.opts.Pause.String())
	}
	return true
}
