package clerk_test

import (
	"crypto/x509"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
	"lienthong/hub/hubtest/apicheck"
	"lienthong/shared/wire"
)

// pollProxy stands between clerks and a hub as the hub (apicheck's proxy,
// which passes each request on as the agency that made it). It counts the
// long polls (requests with a wait) by path, and with old set it answers
// GET /v1/updates not_found, as a hub that predates it does.
type pollProxy struct {
	old   bool
	mu    sync.Mutex
	polls map[string]int
}

func (p *pollProxy) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.polls[path]
}

func (p *pollProxy) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wait := r.URL.Query().Get("wait"); wait != "" && wait != "0" {
			p.mu.Lock()
			p.polls[r.URL.Path]++
			p.mu.Unlock()
		}
		if p.old && r.URL.Path == wire.PathUpdates {
			w.Header().Set("Content-Type", wire.ContentJSON)
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"code":"not_found","message":"no such route"}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func startPollProxy(t *testing.T, h *hubtest.Hub, old bool) (*pollProxy, string) {
	t.Helper()
	p := &pollProxy{old: old, polls: map[string]int{}}
	roots := x509.NewCertPool()
	roots.AddCert(h.PKI.Root.Cert)
	var agencies []*certs.KeyPair
	for _, a := range h.Agencies {
		agencies = append(agencies, a.Key)
	}
	return p, apicheck.WrappedProxy(t, h.Addr, "localhost", h.Identity, roots, agencies, p.wrap)
}

// TestRunWaitsOnOnePoll: Run holds one long poll, GET /v1/updates, for
// documents and statuses alike, and both arrive by it promptly: its wait
// (30 s) is longer than the test waits for either. Against a hub without
// that call, Run polls the inbox and the statuses apart, as before.
func TestRunWaitsOnOnePoll(t *testing.T) {
	for _, tt := range []struct {
		name string
		old  bool
	}{{"hub with updates", false}, {"hub without updates", true}} {
		t.Run(tt.name, func(t *testing.T) {
			h := hubtest.Start(t, hubtest.Options{})
			ctx := ctxT(t)
			p, addr := startPollProxy(t, h, tt.old)
			open := func(code string) *clerk.Clerk {
				home := filepath.Join(t.TempDir(), "clerk-"+code)
				p12, err := certs.EncodePKCS12(h.Agencies[code].Key, "p12-pass")
				if err != nil {
					t.Fatal(err)
				}
				err = clerk.Init(clerk.InitOptions{Home: home, Passphrase: passphrase, P12: p12, P12Passphrase: "p12-pass",
					HubAddr: addr, ServerName: "localhost", RootsPEM: h.PKI.RootPEM()})
				if err != nil {
					t.Fatal(err)
				}
				c, err := clerk.Open(home, passphrase, clerk.Options{Logger: testLogger(t), PollWait: 30 * time.Second,
					MaxBackoff: 500 * time.Millisecond, DisableQUIC: true})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				return c
			}
			qn, na := open(quangNinh), open(ngheAn)
			qnEvents, naEvents := runBoth(t, ctx, qn, na)
			issueAndReceive(t, ctx, qn, na, ngheAn, qnEvents, naEvents)

			updates, inbox, statuses := p.count(wire.PathUpdates), p.count(wire.PathInbox), p.count(wire.PathStatuses)
			t.Logf("long polls: updates %d, inbox %d, statuses %d", updates, inbox, statuses)
			if !tt.old && (updates < 2 || inbox+statuses != 0) {
				t.Fatalf("long polls: updates %d, inbox %d, statuses %d; want updates only", updates, inbox, statuses)
			}
			if tt.old && (updates != 2 || inbox < 2 || statuses < 2) {
				t.Fatalf("long polls: updates %d, inbox %d, statuses %d; want one updates per clerk, then the two apart", updates, inbox, statuses)
			}
		})
	}
}
