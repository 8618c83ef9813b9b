package hubclient

import (
	"net"
	"net/url"
	"regexp"
	"strings"
)

// WinINetSettings are the proxy settings of a Windows user, the values
// Windows' "Proxy settings" page (and Internet Options before it) keeps
// under HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings,
// read by SystemProxy on Windows.
type WinINetSettings struct {
	// Enable is ProxyEnable: whether the manual proxy is used at all.
	Enable bool
	// Server is ProxyServer: "host:port" for every protocol, or a list
	// by protocol, "http=host:port;https=host:port;...", in which a
	// protocol not named goes direct.
	Server string
	// Override is ProxyOverride: the hosts reached directly, separated by
	// ";", with "*" as a wildcard; "<local>" for every host name without a
	// dot. Loopback addresses are reached directly unless it holds
	// "<-loopback>", as Windows does.
	Override string
}

// ProxyFunc returns the proxy these settings give a hub node (an https
// URL): nil when they name none for https. A proxy address that is not
// one is an error of each call, a *ProxyURLError.
func (s WinINetSettings) ProxyFunc() ProxyFunc {
	if !s.Enable {
		return nil
	}
	server := winINetServer(s.Server)
	if server == "" {
		return nil
	}
	proxy, err := ParseProxy(server)
	bypass, loopback := winINetBypass(s.Override)
	return func(node *url.URL) (*url.URL, error) {
		host := node.Hostname()
		if isLoopback(host) && !loopback {
			return nil, nil
		}
		for _, b := range bypass {
			if b(host) {
				return nil, nil
			}
		}
		if err != nil {
			return nil, err
		}
		return proxy, nil
	}
}

// winINetServer picks the proxy for https from a ProxyServer value: the
// "https=" entry of a list by protocol, else an entry without a protocol.
func winINetServer(v string) string {
	var any string
	for _, e := range strings.Split(v, ";") {
		e = strings.TrimSpace(e)
		proto, addr, named := strings.Cut(e, "=")
		switch {
		case !named && any == "":
			any = e
		case named && strings.EqualFold(strings.TrimSpace(proto), "https"):
			return strings.TrimSpace(addr)
		}
	}
	return any
}

// winINetBypass reads a ProxyOverride value: the host patterns reached
// directly, and whether loopback addresses go through the proxy too.
func winINetBypass(v string) (bypass []func(host string) bool, loopback bool) {
	for _, p := range strings.Split(v, ";") {
		p = strings.ToLower(strings.TrimSpace(p))
		switch p {
		case "":
		case "<-loopback>":
			loopback = true
		case "<local>":
			bypass = append(bypass, func(host string) bool { return !strings.Contains(host, ".") && net.ParseIP(host) == nil })
		default:
			if i := strings.Index(p, "://"); i >= 0 {
				p = p[i+3:]
			}
			re := regexp.MustCompile(`^(?i)` + strings.ReplaceAll(regexp.QuoteMeta(p), `\*`, `.*`) + `$`)
			bypass = append(bypass, re.MatchString)
		}
	}
	return bypass, loopback
}

// isLoopback tells a loopback address or localhost.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
