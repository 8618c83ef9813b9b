package clerk

import (
	"fmt"
	"net/url"
	"strings"

	"lienthong/shared/hubclient"
)

// SettingProxy is the HTTP proxy through which the clerk reaches the hub
// (ParseProxy): "" for the environment's (HTTPS_PROXY, NO_PROXY; without
// HTTPS_PROXY, the system's settings on Windows: hubclient.SystemProxy),
// "none" for none, or the proxy's URL, whose password the encrypted store
// keeps.
const SettingProxy = "proxy"

// ProxyNone is the proxy setting that reaches the hub directly, whatever
// the environment says.
const ProxyNone = "none"

// ParseProxy checks a proxy setting as a clerk types it and returns it as
// it is kept: "" (or "env") for the environment's proxy, "none", or an
// HTTP proxy's URL, "http://[user:password@]host:port" or "host:port". A
// bad URL is a *hubclient.ProxyURLError, which never holds the password.
func ParseProxy(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "env":
		return "", nil
	case ProxyNone:
		return ProxyNone, nil
	}
	u, err := hubclient.ParseProxy(s)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// proxyFunc is the hub client's choice of proxy for a kept setting.
func proxyFunc(setting string) (hubclient.ProxyFunc, error) {
	switch setting {
	case "":
		return hubclient.ProxyFromEnvironment(), nil
	case ProxyNone:
		return hubclient.NoProxy, nil
	}
	u, err := hubclient.ParseProxy(setting)
	if err != nil {
		return nil, err
	}
	return hubclient.FixedProxy(u), nil
}

// Proxy returns the proxy setting as kept (see SettingProxy).
func (c *Clerk) Proxy() string {
	p, _ := c.st.Setting(SettingProxy)
	return p
}

// ProxyShown returns the proxy setting to show: its password, if any,
// masked.
func (c *Clerk) ProxyShown() string {
	p := c.Proxy()
	if u, err := hubclient.ParseProxy(p); err == nil && p != "" && p != ProxyNone {
		return u.Redacted()
	}
	return p
}

// SetProxy changes the proxy setting (ParseProxy); the next request
// connects through it.
func (c *Clerk) SetProxy(s string) error {
	p, err := ParseProxy(s)
	if err != nil {
		return fmt.Errorf("set proxy: %w", err)
	}
	if err := c.st.SetSetting(SettingProxy, p); err != nil {
		return fmt.Errorf("set proxy: %w", err)
	}
	c.resetClient()
	return nil
}

// Route is how the clerk reaches one hub node: directly, or through a
// proxy (its URL, the password masked).
type Route struct {
	Node  string `json:"node"`            // host:port
	Proxy string `json:"proxy,omitempty"` // "" direct
}

// Routes returns how the clerk reaches each hub node now, with the proxy
// setting as kept: for the environment's, the proxy the environment or,
// without HTTPS_PROXY, the system's settings (Windows) give each node.
func (c *Clerk) Routes() ([]Route, error) {
	addrs, err := hubclient.ParseAddrs(c.HubAddress())
	if err != nil {
		return nil, fmt.Errorf("routes: %w", err)
	}
	proxy, err := proxyFunc(c.Proxy())
	if err != nil {
		return nil, fmt.Errorf("routes: %w", err)
	}
	routes := make([]Route, len(addrs))
	for i, a := range addrs {
		routes[i].Node = a
		u, err := proxy(&url.URL{Scheme: "https", Host: a})
		if err != nil {
			return nil, fmt.Errorf("routes: %s: %w", a, err)
		}
		if u != nil {
			routes[i].Proxy = u.Redacted()
		}
	}
	return routes, nil
}
