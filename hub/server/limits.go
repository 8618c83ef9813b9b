package server

import (
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
}

// Default limits: generous for a clerk's work and a sync engine's bursts,
// tight enough that one runaway client cannot starve the others.
const (
	DefaultRequestsPerSecond = 50
	DefaultBurst             = 200
)

// limiter keeps one token bucket per agency.
type limiter struct {
	base      Limits
	overrides map[certs.AgencyCode]Limits

	mu      sync.Mutex
	buckets map[certs.AgencyCode]*rate.Limiter
}

func newLimiter(base Limits, overrides map[certs.AgencyCode]Limits) *limiter {
	if base.RequestsPerSecond <= 0 {
		base.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if base.Burst <= 0 {
		base.Burst = DefaultBurst
	}
	return &limiter{base: base, overrides: overrides, buckets: map[certs.AgencyCode]*rate.Limiter{}}
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
	}
	return lim
}

// allow takes a token from the agency's bucket.
func (l *limiter) allow(a certs.AgencyCode) bool {
	l.mu.Lock()
	b, ok := l.buckets[a]
	if !ok {
		lim := l.of(a)
		b = rate.NewLimiter(rate.Limit(lim.RequestsPerSecond), lim.Burst)
		l.buckets[a] = b
	}
	l.mu.Unlock()
	return b.Allow()
}
