package debtest

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lienthong/certs"
	"lienthong/hub/hubtest"
)

// The two versions the test packages: the second is installed over the first.
const (
	oldVersion = "0.0.1"
	newVersion = "0.0.2"
)

// lintianWarnings are the lintian tags expected on the packages, each with
// the reason it is accepted; any other warning or error fails the test.
var lintianWarnings = map[string]string{
	// The commands document themselves with --help; no man pages are written.
	"no-manual-page": "the commands' --help is their manual",
	// The app (OpenGL) and lienthong-clerk (PKCS#11) use cgo; Go builds a
	// non-PIE executable by default, and a PIE build would compile Fyne and
	// the clerk a second time in CI.
	"hardening-no-pie": "Go's default executable mode for the cgo binaries",
}

// TestDebPackages builds, lints, installs, upgrades and purges the
// packages on this machine.
func TestDebPackages(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the package test installs lienthong-hub and lienthong-desktop with dpkg -i on this machine: run it as root on a machine you may install packages on (CI does)")
	}
	for _, p := range []string{"lienthong-hub", "lienthong-desktop"} {
		if installed(p) {
			t.Fatalf("%s is already installed here; the test would replace it and purge it: remove it first (dpkg --purge %s)", p, p)
		}
	}
	t.Cleanup(func() { exec.Command("dpkg", "--purge", "lienthong-desktop", "lienthong-hub").Run() })

	// build.sh builds the binaries into bin once; both versions package them.
	bin := t.TempDir()
	debs := map[string][]string{}
	for _, v := range []string{oldVersion, newVersion} {
		out := filepath.Join(t.TempDir(), v)
		cmd := exec.Command("../../packaging/deb/build.sh", out)
		cmd.Env = append(os.Environ(), "VERSION="+v, "BINDIR="+bin, "COMPRESS=gzip")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("build.sh: %v\n%s", err, b)
		}
		debs[v] = strings.Fields(string(b))
		if len(debs[v]) != 2 {
			t.Fatalf("build.sh made %q, want the hub's and the desktop's packages", b)
		}
	}

	t.Run("lintian", func(t *testing.T) {
		out, _ := exec.Command("lintian", append([]string{"--tag-display-limit", "0"}, debs[newVersion]...)...).CombinedOutput()
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			m := regexp.MustCompile(`^([EWIPXON]): [^:]+: (\S+)`).FindStringSubmatch(line)
			switch {
			case line == "", line == "running with root privileges is not recommended!":
			case m == nil:
				t.Errorf("lintian: %s", line)
			case m[1] == "E":
				t.Errorf("lintian error: %s", line)
			case m[1] == "W" && lintianWarnings[m[2]] == "":
				t.Errorf("lintian warning not explained in lintianWarnings: %s", line)
			default:
				t.Logf("lintian: %s", line)
			}
		}
	})

	dpkg(t, append([]string{"-i"}, debs[oldVersion]...)...)
	t.Run("installed", func(t *testing.T) {
		run(t, "/usr/bin/lienthong-hub", "--help")
		run(t, "/usr/bin/lienthong-clerk", "--help")
		run(t, "/usr/bin/lienthong-verify", "--help")
		f, err := elf.Open("/usr/bin/lienthong-hub")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("/usr/bin/lienthong-hub is dynamically linked; the hub ships built with CGO_ENABLED=0")
			}
		}
		run(t, "getent", "passwd", "lienthong")
		checkOwner(t, "/var/lib/lienthong-hub", "lienthong", "lienthong", 0o750)
		checkOwner(t, "/etc/lienthong", "root", "lienthong", 0o750)
		checkOwner(t, "/etc/lienthong/hub.json", "root", "lienthong", 0o640)
		if out := run(t, "dpkg-query", "--showformat=${Conffiles}", "-W", "lienthong-hub"); !strings.Contains(out, "/etc/lienthong/hub.json") {
			t.Errorf("conffiles %q: want /etc/lienthong/hub.json", out)
		}
		if _, err := os.Stat("/usr/lib/systemd/system/lienthong-hub.service"); err != nil {
			t.Error(err)
		}
		// Nothing runs before the operator configures it: the unit is not enabled.
		if _, err := os.Lstat("/etc/systemd/system/multi-user.target.wants/lienthong-hub.service"); err == nil {
			t.Error("the package enabled lienthong-hub.service")
		}
		for _, f := range []string{"/usr/share/applications/vn.gov.lienthong.desktop.desktop",
			"/usr/share/icons/hicolor/256x256/apps/vn.gov.lienthong.desktop.png", "/usr/bin/lienthong-desktop"} {
			if _, err := os.Stat(f); err != nil {
				t.Error(err)
			}
		}
	})

	// The old version makes the data the new one must keep: a hub store
	// (the 2024 directory imported into it, as the hub's user), an operator's
	// change to the configuration, and a clerk's store that verifies a PDF.
	run(t, "runuser", "-u", "lienthong", "--", "/usr/bin/lienthong-hub", "agency", "import",
		"--config", "/etc/lienthong/hub.json", "../../packaging/directory/agencies-2024.csv")
	edited := strings.Replace(readFile(t, "/etc/lienthong/hub.json"), `"log_level": "info"`, `"log_level": "warn"`, 1)
	if err := os.WriteFile("/etc/lienthong/hub.json", []byte(edited), 0o640); err != nil {
		t.Fatal(err)
	}
	clerk := newClerk(t)
	clerk.verify(t)

	dpkg(t, append([]string{"-i"}, debs[newVersion]...)...)
	t.Run("upgraded", func(t *testing.T) {
		for _, p := range []string{"lienthong-hub", "lienthong-desktop"} {
			if v := run(t, "dpkg-query", "--showformat=${Version}", "-W", p); v != newVersion {
				t.Errorf("%s %s installed, want %s", p, v, newVersion)
			}
		}
		var agencies []json.RawMessage
		out := run(t, "runuser", "-u", "lienthong", "--", "/usr/bin/lienthong-hub", "agency", "list", "--config", "/etc/lienthong/hub.json", "--json")
		if err := json.Unmarshal([]byte(out), &agencies); err != nil || len(agencies) != 55 {
			t.Errorf("after the upgrade the hub's store lists %d agencies (%v), want the 55 imported before", len(agencies), err)
		}
		if !strings.Contains(readFile(t, "/etc/lienthong/hub.json"), `"log_level": "warn"`) {
			t.Error("the upgrade replaced the operator's /etc/lienthong/hub.json")
		}
		checkOwner(t, "/var/lib/lienthong-hub", "lienthong", "lienthong", 0o750)
		clerk.verify(t)
	})

	dpkg(t, "--purge", "lienthong-desktop", "lienthong-hub")
	for _, p := range []string{"/usr/bin/lienthong-hub", "/usr/bin/lienthong-clerk", "/usr/bin/lienthong-verify", "/usr/bin/lienthong-desktop",
		"/etc/lienthong", "/var/lib/lienthong-hub", "/usr/lib/systemd/system/lienthong-hub.service", "/usr/share/doc/lienthong-hub",
		"/usr/share/doc/lienthong-desktop", "/usr/share/applications/vn.gov.lienthong.desktop.desktop",
		"/usr/share/icons/hicolor/256x256/apps/vn.gov.lienthong.desktop.png"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is left after dpkg --purge", p)
		}
	}
	for _, p := range []string{"lienthong-hub", "lienthong-desktop"} {
		if installed(p) {
			t.Errorf("%s is still installed after dpkg --purge", p)
		}
	}
}

// clerkDesk is a clerk's store in a folder of the clerk's, made by
// lienthong-clerk init against an in-process hub, and a PDF its agency signed.
type clerkDesk struct{ dir, home, signed string }

func newClerk(t *testing.T) *clerkDesk {
	h := hubtest.Start(t, hubtest.Options{})
	t.Cleanup(h.Stop)
	c := &clerkDesk{dir: t.TempDir()}
	c.home = filepath.Join(c.dir, "home")
	p12, err := certs.EncodePKCS12(h.Agencies["000.00.00.H49"].Key, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"agency.p12": p12, "roots.pem": h.PKI.RootPEM(), "p12pass.txt": []byte("p12-pass\n"),
		"pass.txt": []byte("mật khẩu văn thư\n")}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(c.dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := func(name string) string { return filepath.Join(c.dir, name) }
	run(t, "/usr/bin/lienthong-clerk", "init", "--home", c.home, "--passphrase-file", f("pass.txt"), "--p12", f("agency.p12"),
		"--p12-passphrase-file", f("p12pass.txt"), "--hub", h.Addr, "--server-name", "localhost", "--roots", f("roots.pem"))
	c.signed = f("signed.pdf")
	run(t, "/usr/bin/lienthong-clerk", "sign", "--p12", f("agency.p12"), "--passphrase-file", f("p12pass.txt"),
		"../../desktop/clerk/testdata/cong-van.pdf", c.signed)
	return c
}

// verify runs the installed lienthong-clerk verify on the signed PDF over
// the clerk's store.
func (c *clerkDesk) verify(t *testing.T) {
	t.Helper()
	out := run(t, "/usr/bin/lienthong-clerk", "verify", "--home", c.home, "--passphrase-file", filepath.Join(c.dir, "pass.txt"), c.signed)
	if !strings.Contains(out, "valid") {
		t.Errorf("lienthong-clerk verify: %q, want a valid signature", out)
	}
}

func installed(pkg string) bool {
	out, err := exec.Command("dpkg-query", "--showformat=${db:Status-Status}", "-W", pkg).Output()
	return err == nil && strings.TrimSpace(string(out)) != "not-installed" && strings.TrimSpace(string(out)) != ""
}

func dpkg(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("dpkg", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// run runs a command that must succeed and returns its standard output.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkOwner checks a file's owner, group and permissions.
func checkOwner(t *testing.T, path, owner, group string, mode os.FileMode) {
	t.Helper()
	out := run(t, "stat", "-c", "%U %G %a", path)
	if want := fmt.Sprintf("%s %s %o", owner, group, mode.Perm()); out != want {
		t.Errorf("%s: %s, want %s", path, out, want)
	}
}
