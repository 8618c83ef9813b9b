package hubclient

import (
	"golang.org/x/sys/windows/registry"
)

// internetSettings is the key of the user's proxy settings.
const internetSettings = `Software\Microsoft\Windows\CurrentVersion\Internet Settings`

// SystemProxy is the proxy of the user's Windows settings (WinINetSettings),
// read now: nil when they name none, or cannot be read.
func SystemProxy() ProxyFunc {
	k, err := registry.OpenKey(registry.CURRENT_USER, internetSettings, registry.QUERY_VALUE)
	if err != nil {
		return nil
	}
	defer k.Close()
	var s WinINetSettings
	enable, _, err := k.GetIntegerValue("ProxyEnable")
	s.Enable = err == nil && enable != 0
	s.Server, _, _ = k.GetStringValue("ProxyServer")
	s.Override, _, _ = k.GetStringValue("ProxyOverride")
	return s.ProxyFunc()
}
