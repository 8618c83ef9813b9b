package nodestest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/shared/document"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// lossyProxy stands in front of node n for one agency: it presents the
// hub's certificate, forwards each request to n as that agency, and
// relays the answer, but for the first submission it loses the answer
// after node n committed it (the connection drops), and, once n is gone,
// it answers 502 as a load balancer would.
type lossyProxy struct {
	addr string

	mu      sync.Mutex
	lost    *wire.Submitted // the answer it lost
	gateway int             // 502 answers
}

func startLossyProxy(t *testing.T, n *hubtest.Hub, code string) *lossyProxy {
	t.Helper()
	p := &lossyProxy{}
	upTLS := certs.ClientTLS(n.Agencies[code].Key, n.Verifier(), "localhost")
	upTLS.NextProtos = []string{"h2"}
	up := &http.Transport{TLSClientConfig: upTLS, ForceAttemptHTTP2: true}
	t.Cleanup(up.CloseIdleConnections)
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, "https://"+n.Addr+r.URL.RequestURI(), r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req.ContentLength = r.ContentLength
		for _, h := range []string{"Content-Type", "Range"} {
			if v := r.Header.Get(h); v != "" {
				req.Header.Set(h, v)
			}
		}
		resp, err := up.RoundTrip(req)
		if err != nil {
			p.mu.Lock()
			p.gateway++
			p.mu.Unlock()
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if r.Method == http.MethodPost && r.URL.Path == wire.PathMessages && resp.StatusCode == http.StatusOK {
			p.mu.Lock()
			first := p.lost == nil
			if first {
				p.lost = new(wire.Submitted)
				if err := json.Unmarshal(body, p.lost); err != nil {
					t.Errorf("node's answer to a submission: %v", err)
				}
			}
			p.mu.Unlock()
			if first {
				panic(http.ErrAbortHandler) // committed on the node, answer lost
			}
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}))
	s.EnableHTTP2 = true
	s.TLS = certs.ServerTLS(n.Identity, n.Verifier())
	s.TLS.NextProtos = []string{"h2"}
	s.StartTLS()
	t.Cleanup(s.Close)
	p.addr = s.Listener.Addr().String()
	return p
}

// lostAnswer is the answer the proxy lost, nil before it lost one.
func (p *lossyProxy) lostAnswer() *wire.Submitted {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lost
}

// nodesClerk opens a clerk of agency code whose hub address is addrs.
func nodesClerk(t *testing.T, n *hubtest.Hub, code, addrs string, tcp bool) *clerk.Clerk {
	t.Helper()
	p12, err := certs.EncodePKCS12(n.Agencies[code].Key, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), code)
	pass := []byte("mật khẩu kho thử")
	if err := clerk.Init(clerk.InitOptions{Home: home, Passphrase: pass, P12: p12, P12Passphrase: "p12-pass",
		HubAddr: addrs, ServerName: "localhost", RootsPEM: n.PKI.RootPEM()}); err != nil {
		t.Fatal(err)
	}
	c, err := clerk.Open(home, pass, clerk.Options{PollWait: 5 * time.Second, MaxBackoff: time.Second, DisableQUIC: tcp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// issue has clerk c issue a công văn to agency to.
func issue(t *testing.T, ctx context.Context, c *clerk.Clerk, to string, name string) string {
	t.Helper()
	pdf, err := filepath.Abs("../server/testdata/cong-van.pdf")
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Issue(ctx, &clerk.Draft{
		Metadata: document.Metadata{
			CodeNotation: "UBND-VP", Type: document.TypeCongVan,
			Promulgation: document.Promulgation{Place: "Hạ Long"},
			Subject:      "Về việc vận hành Trục liên thông trên nhiều máy chủ",
			Signer:       document.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
			To:           []document.Recipient{{Code: certs.AgencyCode(to), Name: name}},
		},
		Files: []string{pdf},
		Stamp: clerk.Stamp{Kind: clerk.StampText},
	})
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	return id
}

// TestClerkFailOver: the sender's clerk reaches node 1 through a proxy
// that loses node 1's answer to the first submission, and later answers
// 502 when node 1 is gone; the recipient's clerk runs its sync loop
// against both nodes while node 1 stops. The outbox resends the lost
// submission to node 2, which answers it as the repeat it is; every
// document is accepted once and delivered once, and the recipient's long
// polls carry on on node 2.
func TestClerkFailOver(t *testing.T) {
	n1, n2 := twoNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	proxy := startLossyProxy(t, n1, quangNinh)
	sender := nodesClerk(t, n1, quangNinh, proxy.addr+","+n2.Addr, true)
	recipient := nodesClerk(t, n1, ngheAn, n1.Addr+","+n2.Addr, false)
	for _, c := range []*clerk.Clerk{sender, recipient} {
		if err := c.Sync(ctx); err != nil {
			t.Fatalf("first sync: %v", err)
		}
	}
	running, stopRun := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); recipient.Run(running) }()
	defer func() { stopRun(); <-ran }()

	// The first document: node 1 accepts it, its answer is lost, node 2
	// answers the resent submission.
	name := n1.Agencies[ngheAn].Name
	ids := []string{issue(t, ctx, sender, ngheAn, name)}
	if err := sender.Sync(ctx); err != nil {
		t.Fatalf("sync after a lost answer: %v", err)
	}
	lost := proxy.lostAnswer()
	if lost == nil {
		t.Fatal("the proxy lost no answer")
	}
	if n := sender.OutboxLen(); n != 0 {
		t.Fatalf("%d items left in the outbox", n)
	}
	if got := counter(t, n2, "lienthong_hub_documents_accepted_total"); got != 0 {
		t.Fatalf("node 2 accepted the resent submission anew (%v)", got)
	}
	receipts, err := sender.Store().Receipts(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	var acceptedReceipts [][]byte // the recipient may have acknowledged it already: a delivered receipt is no matter here
	for _, raw := range receipts {
		r, _, err := receipt.Verify(raw, n2.Verifier(), certs.DefaultReceiptSigner)
		if err != nil {
			t.Fatal(err)
		}
		if r.Event == receipt.EventAccepted {
			acceptedReceipts = append(acceptedReceipts, raw)
		}
	}
	if len(acceptedReceipts) != 1 || !bytes.Equal(acceptedReceipts[0], lost.Receipt) {
		t.Fatalf("the sender keeps %d accepted receipts; want one, the one node 1 signed and the proxy lost", len(acceptedReceipts))
	}

	// Node 1 stops while the recipient long-polls it.
	waitPolling(t, n1)
	ids = append(ids, issue(t, ctx, sender, ngheAn, name))
	if err := sender.Sync(ctx); err != nil {
		t.Fatalf("sync before the stop: %v", err)
	}
	n1.Stop()
	// The sender went on with node 2, which answered last; a new client
	// (the same addresses set again) tries the proxy first, and the
	// proxy answers 502 now.
	if err := sender.SetHubAddress(proxy.addr + "," + n2.Addr); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		ids = append(ids, issue(t, ctx, sender, ngheAn, name))
		if err := sender.Sync(ctx); err != nil {
			t.Fatalf("sync with node 1 gone: %v", err)
		}
	}
	p502 := func() int { proxy.mu.Lock(); defer proxy.mu.Unlock(); return proxy.gateway }
	if p502() == 0 {
		t.Fatal("the proxy answered no 502: the sender did not try it after node 1 stopped")
	}
	waitPolling(t, n2)

	// Every document arrives once.
	for {
		rows, _, err := recipient.List(store.Query{Box: store.Incoming, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) >= len(ids) {
			got := map[string]int{}
			for _, r := range rows {
				got[r.ID]++
			}
			for _, id := range ids {
				if got[id] != 1 {
					t.Errorf("document %s received %d times", id, got[id])
				}
			}
			if len(rows) != len(ids) {
				t.Errorf("%d documents received, %d sent", len(rows), len(ids))
			}
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the recipient has %d documents of %d", len(rows), len(ids))
		case <-time.After(50 * time.Millisecond):
		}
	}
	accepted := counter(t, n1, "lienthong_hub_documents_accepted_total") + counter(t, n2, "lienthong_hub_documents_accepted_total")
	if accepted != float64(len(ids)) {
		t.Errorf("the nodes accepted %v documents, want %d", accepted, len(ids))
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		delivered := counter(t, n1, "lienthong_hub_deliveries_acked_total") + counter(t, n2, "lienthong_hub_deliveries_acked_total")
		if delivered == float64(len(ids)) {
			break
		}
		if delivered > float64(len(ids)) || time.Now().After(deadline) {
			t.Fatalf("the nodes recorded %v deliveries, want %d", delivered, len(ids))
		}
	}
}
