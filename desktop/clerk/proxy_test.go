package clerk_test

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/hub/hubtest"
	"lienthong/internal/proxytest"
	"lienthong/shared/document"
)

// TestSyncThroughProxy has two clerks reach the hub only through a real
// tinyproxy that asks for credentials: a document goes out, is received,
// registered, and its statuses come back, every request through the
// proxy (its log shows the CONNECTs to the hub). A clerk with a wrong
// password is told, in Vietnamese, that the proxy refused its
// credentials; one whose proxy refuses the hub's port that the proxy
// refused it.
func TestSyncThroughProxy(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	_, portText, _ := net.SplitHostPort(h.Addr)
	port, _ := strconv.Atoi(portText)
	p := proxytest.Start(t, proxytest.Config{ConnectPorts: []int{port}, User: "vanthu", Password: "mat-khau-1"})
	ctx := ctxT(t)

	gov, qn := newClerk(t, h, vpcp), newClerk(t, h, quangNinh)
	for _, c := range []*clerk.Clerk{gov, qn} {
		if err := c.SetProxy(p.URL("vanthu", "mat-khau-1").String()); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := gov.ProxyShown(), "http://vanthu:xxxxx@"+p.Addr; got != want {
		t.Errorf("proxy shown %q, want %q (the password masked)", got, want)
	}
	mustSync(t, ctx, gov, qn)
	id, err := gov.Issue(ctx, draft(t, "cong-van.pdf", quangNinh))
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, gov, qn)
	rows := inbox(t, qn)
	if len(rows) != 1 || rows[0].ID != id {
		t.Fatalf("received %v, want %s\n%s", rows, id, p.Log())
	}
	if _, err := qn.Register(id, "Văn thư"); err != nil {
		t.Fatal(err)
	}
	mustSync(t, ctx, qn, gov)
	if got := recipientCodes(t, gov, id)[certs.AgencyCode(quangNinh)]; !slices.Equal(got, []document.Status{"01", "03"}) {
		t.Fatalf("the sender sees %v through the proxy, want 01 03", got)
	}
	if n := strings.Count(strings.Join(p.Settled(t), "\n"), h.Addr); n < 2 {
		t.Fatalf("the proxy logged %d CONNECTs to the hub, want one per clerk at least: %q", n, p.Connects())
	}

	wrong := newClerk(t, h, quangNinh)
	if err := wrong.SetProxy(p.URL("vanthu", "sai").String()); err != nil {
		t.Fatal(err)
	}
	_, err = wrong.TestConnection(ctx)
	ue := clerk.Explain(err)
	if ue == nil || ue.Key != i18n.ErrProxyAuth {
		t.Fatalf("hello with a wrong proxy password: %v, explained %+v", err, ue)
	}
	if msg := i18n.New(i18n.Vietnamese).T(ue.Key, ue.Args...); !strings.Contains(msg, p.Addr) || strings.Contains(msg, "sai") {
		t.Errorf("message %q: want the proxy, never the password", msg)
	}

	closed := proxytest.Start(t, proxytest.Config{ConnectPorts: []int{port + 1}})
	if err := wrong.SetProxy(closed.Addr); err != nil {
		t.Fatal(err)
	}
	_, err = wrong.TestConnection(ctx)
	if ue := clerk.Explain(err); ue == nil || ue.Key != i18n.ErrProxyRefused || ue.Args[2] != 403 {
		t.Fatalf("hello through a proxy refusing the port: %v, explained %+v", err, ue)
	}
}

// TestProxySetting keeps "" (the environment's), "none" or a proxy's URL,
// and refuses anything else without echoing a password.
func TestProxySetting(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "",
		" env ":                         "",
		"None":                          clerk.ProxyNone,
		"proxy.gov.vn:3128":             "http://proxy.gov.vn:3128",
		"http://u:p@proxy.gov.vn:8080/": "http://u:p@proxy.gov.vn:8080",
	} {
		if got, err := clerk.ParseProxy(in); err != nil || got != want {
			t.Errorf("ParseProxy(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := clerk.ParseProxy("socks5://u:bimat@proxy:1080")
	if ue := clerk.Explain(err); ue == nil || ue.Key != i18n.ErrProxyURL || strings.Contains(err.Error(), "bimat") {
		t.Errorf("a SOCKS proxy: %v, explained %+v", err, ue)
	}
}
