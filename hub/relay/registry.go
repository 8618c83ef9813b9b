package relay

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
)

// DefaultRegistryTTL is how long the hub trusts its copy of the
// directory's certificate registrations before reading them again: a
// registration made or removed on any node takes effect within it.
const DefaultRegistryTTL = 5 * time.Second

// Registry is the directory's registrations of other CAs' certificates
// (store.Agency.Certificates) as certs.Identify consults them on the hub:
// read from the store, kept for a TTL, read again on first use after
// that. A fingerprint registered by two agencies stands for neither (and
// is logged): a certificate names one agency or none.
type Registry struct {
	st interface {
		Agencies(context.Context) ([]store.Agency, error)
	}
	ttl time.Duration
	log *slog.Logger
	now func() time.Time

	mu     sync.Mutex
	regs   certs.Registrations
	loaded time.Time
}

// NewRegistry reads registrations from st's directory, again once ttl
// has passed (zero: DefaultRegistryTTL).
func NewRegistry(st interface {
	Agencies(context.Context) ([]store.Agency, error)
}, ttl time.Duration, log *slog.Logger) *Registry {
	if ttl <= 0 {
		ttl = DefaultRegistryTTL
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{st: st, ttl: ttl, log: log, now: time.Now}
}

// Registered implements certs.Registry. When the store cannot be read,
// the last registrations read stand (and none before the first read):
// never a guess.
func (g *Registry) Registered(fp certs.Fingerprint) (certs.AgencyCode, certs.Registration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.regs == nil || g.now().Sub(g.loaded) >= g.ttl {
		g.reload()
	}
	return g.regs.Registered(fp)
}

func (g *Registry) reload() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	list, err := g.st.Agencies(ctx)
	if err != nil {
		// Tried again after a TTL, not at every lookup: a database that
		// is down must not hold every request for the timeout.
		g.log.Warn("certificate registrations not read; the last ones read stand", "err", err)
		if g.regs == nil {
			g.regs = certs.Registrations{}
		}
		g.loaded = g.now()
		return
	}
	regs := certs.Registrations{}
	for _, a := range list {
		if err := regs.Add(a.Code, a.Certificates...); err != nil {
			g.log.Warn("certificate registered for several agencies: it stands for none", "err", err)
		}
	}
	g.regs, g.loaded = regs, g.now()
}
