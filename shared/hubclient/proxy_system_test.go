package hubclient

import (
	"errors"
	"net/url"
	"testing"
)

// TestWinINetSettings reads Windows' proxy settings as the registry keeps
// them, for hub nodes given as their https URLs.
func TestWinINetSettings(t *testing.T) {
	const node = "https://hub.lienthong.gov.vn:4433"
	tests := []struct {
		name string
		s    WinINetSettings
		node string
		want string // the proxy, "" for none
	}{
		{"disabled", WinINetSettings{Server: "proxy:3128"}, node, ""},
		{"none named", WinINetSettings{Enable: true}, node, ""},
		{"one for all", WinINetSettings{Enable: true, Server: "proxy.so.gov.vn:3128"}, node, "http://proxy.so.gov.vn:3128"},
		{"with scheme", WinINetSettings{Enable: true, Server: "http://10.1.2.3:8080"}, node, "http://10.1.2.3:8080"},
		{"no port", WinINetSettings{Enable: true, Server: "proxy"}, node, "http://proxy:80"},
		{"by protocol", WinINetSettings{Enable: true, Server: "http=web:80;https=secure:8443;ftp=ftp:21"}, node, "http://secure:8443"},
		{"by protocol, spaces and case", WinINetSettings{Enable: true, Server: " http=web:80 ; HTTPS = secure:8443 "}, node, "http://secure:8443"},
		{"no https in the list", WinINetSettings{Enable: true, Server: "http=web:80;socks=s:1080"}, node, ""},
		{"bypassed by name", WinINetSettings{Enable: true, Server: "p:3128", Override: "*.example.com;HUB.lienthong.gov.vn"}, node, ""},
		{"bypassed by wildcard", WinINetSettings{Enable: true, Server: "p:3128", Override: "*.gov.vn"}, node, ""},
		{"wildcard on an address", WinINetSettings{Enable: true, Server: "p:3128", Override: "10.*"}, "https://10.0.0.7:4433", ""},
		{"not bypassed", WinINetSettings{Enable: true, Server: "p:3128", Override: "*.example.com;10.*;<local>"}, node, "http://p:3128"},
		{"local: a name without a dot", WinINetSettings{Enable: true, Server: "p:3128", Override: "<local>"}, "https://hub:4433", ""},
		{"local is not an address", WinINetSettings{Enable: true, Server: "p:3128", Override: "<local>"}, "https://[fd00::1]:4433", "http://p:3128"},
		{"loopback direct", WinINetSettings{Enable: true, Server: "p:3128"}, "https://127.0.0.1:4433", ""},
		{"localhost direct", WinINetSettings{Enable: true, Server: "p:3128"}, "https://localhost:4433", ""},
		{"loopback through the proxy", WinINetSettings{Enable: true, Server: "p:3128", Override: "<-loopback>"}, "https://127.0.0.1:4433", "http://p:3128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.s.ProxyFunc()
			var got *url.URL
			if f != nil {
				var err error
				if got, err = f(mustURL(t, tt.node)); err != nil {
					t.Fatal(err)
				}
			}
			if (got == nil && tt.want != "") || (got != nil && got.String() != tt.want) {
				t.Errorf("proxy for %s = %v, want %q", tt.node, got, tt.want)
			}
		})
	}

	f := WinINetSettings{Enable: true, Server: "socks5://p:1080"}.ProxyFunc()
	var pe *ProxyURLError
	if _, err := f(mustURL(t, node)); !errors.As(err, &pe) {
		t.Errorf("a socks proxy: %v, want a *ProxyURLError", err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
