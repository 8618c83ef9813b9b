package relay

import (
	"context"
	"errors"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
)

type fakeDirectory struct {
	list  []store.Agency
	err   error
	reads int
}

func (f *fakeDirectory) Agencies(context.Context) ([]store.Agency, error) {
	f.reads++
	return f.list, f.err
}

// TestRegistry: registrations are read on first use and again once the
// TTL has passed; a store that cannot be read leaves the last ones
// standing, and none before the first read; a certificate registered by
// two agencies stands for neither.
func TestRegistry(t *testing.T) {
	fp := certs.Fingerprint{1}
	dup := certs.Fingerprint{2}
	dir := &fakeDirectory{list: []store.Agency{
		{Code: "000.00.00.H49", Certificates: []certs.Registration{{SHA256: fp, Role: certs.RoleAgency}, {SHA256: dup, Role: certs.RoleSeal}}},
		{Code: "000.00.00.G22", Certificates: []certs.Registration{{SHA256: dup, Role: certs.RoleSeal}}},
	}}
	now := time.Unix(1_800_000_000, 0)
	g := NewRegistry(dir, time.Minute, nil)
	g.now = func() time.Time { return now }
	if code, _, ok := g.Registered(fp); !ok || code != "000.00.00.H49" || dir.reads != 1 {
		t.Fatalf("Registered = %s, %v after %d reads", code, ok, dir.reads)
	}
	if code, _, ok := g.Registered(dup); ok {
		t.Errorf("a certificate registered by two agencies stands for %s", code)
	}
	now = now.Add(59 * time.Second)
	g.Registered(fp)
	if dir.reads != 1 {
		t.Errorf("read again within the TTL: %d reads", dir.reads)
	}
	// Removed in the store, and the store unreadable: the last read stands.
	dir.list, dir.err = nil, errors.New("database down")
	now = now.Add(2 * time.Second)
	if _, _, ok := g.Registered(fp); !ok || dir.reads != 2 {
		t.Errorf("with the store unreadable: ok=%v after %d reads", ok, dir.reads)
	}
	// Readable again: the removal counts once the TTL has passed (a
	// store that is down is not asked at every lookup).
	dir.err = nil
	if _, _, ok := g.Registered(fp); !ok || dir.reads != 2 {
		t.Errorf("right after the failure: ok=%v after %d reads", ok, dir.reads)
	}
	now = now.Add(time.Minute)
	if _, _, ok := g.Registered(fp); ok || dir.reads != 3 {
		t.Errorf("a removed registration still counts (%d reads)", dir.reads)
	}
	// Never read: nothing stands.
	g2 := NewRegistry(&fakeDirectory{err: errors.New("down")}, 0, nil)
	if _, _, ok := g2.Registered(fp); ok {
		t.Error("a registry never read names an agency")
	}
}
