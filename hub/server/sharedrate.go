package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"lienthong/certs"
)

// Buckets are token buckets kept where every hub node sees them
// (pgstore.Buckets): Take takes up to n tokens (at least one) from the
// bucket named key, which gains one every interval and holds at most
// burst, and returns how many it took, 0 when the bucket is empty.
type Buckets interface {
	Take(ctx context.Context, key string, interval time.Duration, burst, n int) (int, error)
}

// Defaults of SharedRateOptions.
const (
	DefaultSharedRateTimeout = 200 * time.Millisecond
	DefaultSharedRatePause   = time.Second
	DefaultSharedRateLease   = 16
)

// SharedRateOptions tune SharedRate; zero fields take the defaults.
type SharedRateOptions struct {
	// Timeout bounds one call to the shared buckets; Pause is how long the
	// limiter then counts on this node's buckets alone before it asks the
	// shared ones again.
	Timeout, Pause time.Duration
	// Lease bounds the tokens a node takes from a shared bucket at once
	// and spends on its own; it takes at most an eighth of the burst.
	Lease  int
	Logger *slog.Logger
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
// store. Then it takes one from the shared bucket; to spare most requests
// that call, a node takes several tokens at once (up to Lease, and an
// eighth of the burst) and spends them on its own requests of the next
// moments (for as long as the tokens took to come, and at least a
// second; those left then are dropped). Every token comes from the
// shared bucket, so the nodes together never allow an agency more than
// its rate; they may exceed its burst by the few tokens each holds, and
// an agency may find its tokens on one node while another holds a few.
//
// When the shared buckets fail or take longer than Timeout (the database
// is down, failing over or overloaded), the local bucket's answer stands:
// the hub keeps serving, each node limiting on its own (an agency may
// then get its rate on each node), and after Pause the shared buckets are
// asked again. The failure is logged once per Pause at most, and the
// recovery once. A limit that fails open is the right
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
	if opts.Lease <= 0 {
		opts.Lease = DefaultSharedRateLease
	}
	return &sharedRate{shared: b, local: LocalRate(), opts: opts, leases: map[certs.AgencyCode]*lease{}}
}

type sharedRate struct {
	shared Buckets
	local  RateLimiter
	opts   SharedRateOptions
	// until is when the shared buckets are asked again after a failure,
	// in Unix nanoseconds; 0 when they are in use. failing is set from a
	// failure to the next success.
	until   atomic.Int64
	failing atomic.Bool

	mu     sync.Mutex
	leases map[certs.AgencyCode]*lease
}

// leaseTime is the least time a node may spend the tokens it took: it
// bounds how much the nodes together may exceed an agency's burst (by
// the tokens they hold), never its rate.
const leaseTime = time.Second

// lease is tokens taken from a shared bucket, spendable until expires.
type lease struct {
	tokens  int
	expires time.Time
}

func (s *sharedRate) Allow(ctx context.Context, a certs.AgencyCode, perSecond float64, burst int) bool {
	if !s.local.Allow(ctx, a, perSecond, burst) {
		return false
	}
	now := s.opts.Now()
	if s.spend(a, now) {
		return true
	}
	if until := s.until.Load(); until != 0 {
		if now.UnixNano() < until {
			return true
		}
		s.until.CompareAndSwap(until, 0)
	}
	interval := time.Duration(float64(time.Second) / perSecond)
	cctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	took, err := s.shared.Take(cctx, string(a), interval, burst, min(s.opts.Lease, max(1, burst/8)))
	cancel()
	if err == nil {
		if s.failing.Load() && s.failing.Swap(false) {
			s.opts.Logger.Info("shared rate limits available again")
		}
		if took > 1 {
			s.keep(a, took-1, now, now.Add(max(time.Duration(took)*interval, leaseTime)))
		}
		return took > 0
	}
	if ctx.Err() != nil {
		return true // the request is gone; its answer does not matter
	}
	// The first failure of a pause logs; the others find until set.
	s.failing.Store(true)
	if s.until.Swap(now.Add(s.opts.Pause).UnixNano()) == 0 {
		s.opts.Logger.Warn("shared rate limits unavailable; limiting on this node alone", "err", err, "retry", s.opts.Pause.String())
	}
	return true
}

// spend spends a token of the agency's lease, if it holds one still valid.
func (s *sharedRate) spend(a certs.AgencyCode, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leases[a]
	if !ok || l.tokens == 0 || !now.Before(l.expires) {
		return false
	}
	l.tokens--
	return true
}

// keep adds tokens to the agency's lease, valid until expires.
func (s *sharedRate) keep(a certs.AgencyCode, tokens int, now, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leases[a]
	if !ok {
		l = &lease{}
		s.leases[a] = l
	}
	if !now.Before(l.expires) {
		l.tokens = 0
	}
	l.tokens += tokens
	if expires.After(l.expires) {
		l.expires = expires
	}
}
