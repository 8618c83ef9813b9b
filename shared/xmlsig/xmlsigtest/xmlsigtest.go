// Package xmlsigtest checks XML signatures with an independent verifier,
// xmlsec1 (Debian package xmlsec1), for tests: what a vendor's system
// would run on the packets Lienthong signs.
package xmlsigtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Xmlsec1 runs `xmlsec1 --verify` on packet with rootPEM as the one
// trusted certificate, and returns its output and whether it accepted. A
// missing xmlsec1 fails the test: CI installs it.
func Xmlsec1(t testing.TB, rootPEM, packet []byte) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatalf("xmlsec1 is needed to cross-check signatures (apt-get install xmlsec1): %v", err)
	}
	dir := t.TempDir()
	root, file := filepath.Join(dir, "root.pem"), filepath.Join(dir, "packet.edxml")
	if err := os.WriteFile(root, rootPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, packet, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--verify", "--trusted-pem", root, file).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return string(out), err == nil && strings.Contains(string(out), "OK")
}

// MustVerify is Xmlsec1 that fails the test when xmlsec1 refuses packet.
func MustVerify(t testing.TB, rootPEM, packet []byte) {
	t.Helper()
	if out, ok := Xmlsec1(t, rootPEM, packet); !ok {
		t.Fatalf("xmlsec1 refuses the packet:\n%s", out)
	}
}
