//go:build !windows

package hubclient

// SystemProxy is the proxy of the system's settings, which only Windows
// has (WinINetSettings): nil elsewhere, where the environment says it.
func SystemProxy() ProxyFunc { return nil }
