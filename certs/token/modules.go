package token

import (
	"os"
	"runtime"
)

// knownModules are where the PKCS#11 drivers of the tokens met on
// Vietnamese desks install themselves, by operating system: the
// vendors' first (Feitian ePass2003, which VNPT-CA, Viettel-CA and others
// hand out; SafeNet eToken), then OpenSC, then SoftHSM2 (Debian's
// softhsm2; tests and trials).
var knownModules = map[string][]string{
	"windows": {
		`C:\Windows\System32\eps2003csp11.dll`,
		`C:\Windows\System32\eTPKCS11.dll`,
		`C:\Program Files\OpenSC Project\OpenSC\pkcs11\opensc-pkcs11.dll`,
		`C:\SoftHSM2\lib\softhsm2-x64.dll`,
	},
	"linux": {
		"/usr/lib/libcastle.so.1.0.0",
		"/usr/lib/libeTPkcs11.so",
		"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
		"/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
		"/usr/lib/softhsm/libsofthsm2.so",
		"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	},
}

// KnownModules returns the drivers' usual paths on this system, in the
// order FindModule tries them.
func KnownModules() []string { return knownModules[runtime.GOOS] }

// FindModule returns the PKCS#11 module to use when none is named:
// $LIENTHONG_PKCS11_MODULE when set, else the first of KnownModules
// present on disk, else "".
func FindModule() string {
	if p := os.Getenv("LIENTHONG_PKCS11_MODULE"); p != "" {
		return p
	}
	for _, p := range KnownModules() {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
