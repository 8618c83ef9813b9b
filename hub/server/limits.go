package server

import (
	"context"
	"sync"

	"golang.org/x/time/rate"

	"lienthong/certs"
)

// Limits bound what one agency may do; a zero field takes the default.
type Limits struct {
	// RequestsPerSecond and Burst size each agency's token bucket: a
	// request beyond them is answered rate_limited (429).
	RequestsPerSecond float64
	Burst             int
	// MaxAttachment bounds one attachment of this agency, in bytes.
	MaxAttachment int64
	// MaxInFlight bounds the agency's requests handled at once, long
	// polls included: one more is answered rate_limited (429) before its
	// body is read.
	MaxInFlight int
}

// Default limits: generous for a clerk's work and a sync engine's bursts,
// tight enough that one runaway client cannot starve the others. A clerk
// keeps one long poll open (two against an older hub) and sends a few
// uploads at once; a hub serves a few thousand agencies' long polls.
const (
	DefaultRequestsPerSecond = 50
	DefaultBurst             = 200
	DefaultMaxInFlight       = 32
	DefaultMaxTotalInFlight  = 8192
	// DefaultMaxBodyMemory holds 128 packets of the largest size at once,
	// tens of thousands of ordinary ones.
	DefaultMaxBodyMemory = 256 << 20
)

// Which cap a request found full.
const (
	fullNone = iota
	fullAgency
	fullHub
)

// limiter holds the limits in force per agency, asks its RateLimiter
// about each request's rate, and counts the requests in flight per agency
// and in total. The counts in flight are always this node's own: they
// protect this process's memory and connections, which another hub node
// does not share.
type limiter struct {
	base      Limits
	overrides map[certs.AgencyCode]Limits
	maxTotal  int
	rate      RateLimiter

	mu       sync.Mutex
	inFlight map[certs.AgencyCode]int
	total    int
}

func newLimiter(base Limits, overrides map[certs.AgencyCode]Limits, maxTotal int, rl RateLimiter) *limiter {
	if base.RequestsPerSecond <= 0 {
		base.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if base.Burst <= 0 {
		base.Burst = DefaultBurst
	}
	if base.MaxInFlight <= 0 {
		base.MaxInFlight = DefaultMaxInFlight
	}
	if maxTotal <= 0 {
		maxTotal = DefaultMaxTotalInFlight
	}
	if rl == nil {
		rl = LocalRate()
	}
	return &limiter{base: base, overrides: overrides, maxTotal: maxTotal, rate: rl, inFlight: map[certs.AgencyCode]int{}}
}

// of returns the limits in force for an agency.
func (l *limiter) of(a certs.AgencyCode) Limits {
	lim := l.base
	if o, ok := l.overrides[a]; ok {
		if o.RequestsPerSecond > 0 {
			lim.RequestsPerSecond = o.RequestsPerSecond
		}
		if o.Burst > 0 {
			lim.Burst = o.Burst
		}
		if o.MaxAttachment > 0 {
			lim.MaxAttachment = o.MaxAttachment
		}
		if o.MaxInFlight > 0 {
			lim.MaxInFlight = o.MaxInFlight
		}
	}
	return lim
}

// allow takes a token from the agency's bucket.
func (l *limiter) allow(ctx context.Context, a certs.AgencyCode) bool {
	lim := l.of(a)
	return l.rate.Allow(ctx, a, lim.RequestsPerSecond, lim.Burst)
}

// RateLimiter decides whether an agency may make one more request now,
// from a token bucket of perSecond tokens a second holding at most burst.
// LocalRate keeps the buckets in this process; SharedRate keeps them in a
// store every hub node shares. Allow must be safe for concurrent use and
// quick: every request waits for it.
type RateLimiter interface {
	Allow(ctx context.Context, agency certs.AgencyCode, perSecond float64, burst int) bool
}

// LocalRate returns a RateLimiter keeping each agency's bucket in this
// process: with several hub nodes, an agency spreading its requests over
// N of them gets up to N times its rate. It is the default, and right for
// a hub of one process.
func LocalRate() RateLimiter {
	return &localRate{buckets: map[certs.AgencyCode]*rate.Limiter{}}
}

type localRate struct {
	mu      sync.Mutex
	buckets map[certs.AgencyCode]*rate.Limiter
}

func (l *localRate) Allow(_ context.Context, a certs.AgencyCode, perSecond float64, burst int) bool {
	l.mu.Lock()
	b, ok := l.buckets[a]
	if !ok {
		b = rate.NewLimiter(rate.Limit(perSecond), burst)
		l.buckets[a] = b
	}
	l.mu.Unlock()
	return b.Allow()
}

// enter counts a request of agency a in flight, unless a cap is reached
// (then full says which, and release is nil). release, called once the
// request is done, counts it out.
func (l *limiter) enter(a certs.AgencyCode) (release func(), full int) {
	max := l.of(a).MaxInFlight
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.inFlight[a] >= max:
		return nil, fullAgency
	case l.total >= l.maxTotal:
		return nil, fullHub
	}
	l.inFlight[a]++
	l.total++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.total--
			if l.inFlight[a]--; l.inFlight[a] == 0 {
				delete(l.inFlight, a)
			}
		})
	}, fullNone
}

// budget is a number of bytes that requests take and give back.
type budget struct {
	mu   sync.Mutex
	left int64
}

// take takes n bytes if there are that many left.
func (b *budget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.left {
		return false
	}
	b.left -= n
	return true
}

// give gives n bytes back.
func (b *budget) give(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.left += n
	b.mu.Unlock()
}
