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
	// MaxInFlight bounds the agency's requests handled at once, long
	// polls included: one more is answered rate_limited (429) before its
	// body is read.
	MaxInFlight int
}

// Default limits: generous for a clerk's work and a sync engine's bursts,
// tight enough that one runaway client cannot starve the others. A clerk
// keeps two long polls open and sends a few uploads at once; a hub serves
// a few thousand agencies' long polls.
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

// limiter keeps one token bucket per agency, and counts the requests in
// flight per agency and in total.
type limiter struct {
	base      Limits
	overrides map[certs.AgencyCode]Limits
	maxTotal  int

	mu       sync.Mutex
	buckets  map[certs.AgencyCode]*rate.Limiter
	inFlight map[certs.AgencyCode]int
	total    int
}

func newLimiter(base Limits, overrides map[certs.AgencyCode]Limits, maxTotal int) *limiter {
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
	return &limiter{base: base, overrides: overrides, maxTotal: maxTotal,
		buckets: map[certs.AgencyCode]*rate.Limiter{}, inFlight: map[certs.AgencyCode]int{}}
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
