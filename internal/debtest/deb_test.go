package debtest

import (
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"lienthong/certs"
	"lienthong/desktop/store"
	"lienthong/hub/hubtest"
	"lienthong/hub/store/boltstore"
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
		for _, unit := range []string{"lienthong-hub.service", "lienthong-hub-front.service"} {
			if _, err := os.Stat("/usr/lib/systemd/system/" + unit); err != nil {
				t.Error(err)
			}
			// Nothing runs before the operator configures it: the unit is not enabled.
			if _, err := os.Lstat("/etc/systemd/system/multi-user.target.wants/" + unit); err == nil {
				t.Errorf("the package enabled %s", unit)
			}
		}
		for _, f := range []string{"/usr/share/applications/vn.gov.lienthong.desktop.desktop",
			"/usr/share/icons/hicolor/256x256/apps/vn.gov.lienthong.desktop.png", "/usr/bin/lienthong-desktop"} {
			if _, err := os.Stat(f); err != nil {
				t.Error(err)
			}
		}
	})

	// The data the new version must keep and migrate: the hub's data folder
	// as a genuinely older release wrote it (schema 1; testdata/README.md),
	// owned by the hub's user as the package made it (nothing of the
	// installed version may open it before the upgrade: that would migrate
	// it); an operator's change to the configuration; a clerk's store of
	// that older release (schema 2) and one made by the installed version
	// that verifies a PDF.
	installFixtureHub(t)
	if v := schemaVersion(t, hubDB); v != 1 {
		t.Fatalf("the fixture hub store is in schema %d, want 1", v)
	}
	oldClerk := fixtureClerk(t)
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
		if err := json.Unmarshal([]byte(out), &agencies); err != nil || len(agencies) != fixtureAgencies {
			t.Errorf("after the upgrade the hub's store lists %d agencies (%v), want the %d it had before", len(agencies), err, fixtureAgencies)
		}
		// The hub's own check of its store: the log against its tree
		// hashes, every message against its deliveries and receipts, the
		// attachments against their digests, the grants schema 2 added.
		if out := run(t, "runuser", "-u", "lienthong", "--", "/usr/bin/lienthong-hub", "check", "--config", "/etc/lienthong/hub.json"); !strings.Contains(out, "no violation") {
			t.Errorf("lienthong-hub check after the upgrade: %s", out)
		}
		if v := schemaVersion(t, hubDB); v != boltstore.SchemaVersion {
			t.Errorf("after the upgrade the hub's store is in schema %d, want %d", v, boltstore.SchemaVersion)
		}
		// The hub's user writes to the migrated store: the 2024 directory
		// (55 agencies, none of them the demo's six) joins it.
		run(t, "runuser", "-u", "lienthong", "--", "/usr/bin/lienthong-hub", "agency", "import",
			"--config", "/etc/lienthong/hub.json", "../../packaging/directory/agencies-2024.csv")
		out = run(t, "runuser", "-u", "lienthong", "--", "/usr/bin/lienthong-hub", "agency", "list", "--config", "/etc/lienthong/hub.json", "--json")
		if err := json.Unmarshal([]byte(out), &agencies); err != nil || len(agencies) != fixtureAgencies+55 {
			t.Errorf("after the import the hub's store lists %d agencies (%v), want %d", len(agencies), err, fixtureAgencies+55)
		}
		oldClerk.check(t)
		if !strings.Contains(readFile(t, "/etc/lienthong/hub.json"), `"log_level": "warn"`) {
			t.Error("the upgrade replaced the operator's /etc/lienthong/hub.json")
		}
		checkOwner(t, "/var/lib/lienthong-hub", "lienthong", "lienthong", 0o750)
		clerk.verify(t)
	})

	dpkg(t, "--purge", "lienthong-desktop", "lienthong-hub")
	for _, p := range []string{"/usr/bin/lienthong-hub", "/usr/bin/lienthong-clerk", "/usr/bin/lienthong-verify", "/usr/bin/lienthong-desktop",
		"/etc/lienthong", "/var/lib/lienthong-hub", "/usr/lib/systemd/system/lienthong-hub.service",
		"/usr/lib/systemd/system/lienthong-hub-front.service", "/usr/share/doc/lienthong-hub",
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

// The fixtures of an older release (testdata/README.md).
const (
	fixtureCommit = "b27ade3"
	hubDB         = "/var/lib/lienthong-hub/" + boltstore.DBFile
	// fixtureAgencies is the number of agencies in the fixture hub store
	// (the demo's).
	fixtureAgencies = 6
	// fixtureInbox is the number of documents in the fixture clerk's inbox.
	fixtureInbox = 3
)

// installFixtureHub replaces the hub's data folder with the fixture's, as
// the package's lienthong user owns it.
func installFixtureHub(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir("/var/lib/lienthong-hub")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join("/var/lib/lienthong-hub", e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	run(t, "tar", "-xzf", "testdata/hub-"+fixtureCommit+".tar.gz", "-C", "/var/lib/lienthong-hub", "--strip-components=1")
	run(t, "chown", "-R", "lienthong:lienthong", "/var/lib/lienthong-hub")
}

// schemaVersion reads the schema version a bbolt store (the hub's or a
// clerk's: both keep it under meta/schema, unencrypted) is in.
func schemaVersion(t *testing.T, path string) uint32 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v uint32
	err = db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		if meta == nil || len(meta.Get([]byte("schema"))) != 4 {
			return fmt.Errorf("%s: no meta/schema key", path)
		}
		v = binary.BigEndian.Uint32(meta.Get([]byte("schema")))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// oldClerkDesk is the fixture clerk's store of the older release, unpacked
// into a folder of the test's.
type oldClerkDesk struct{ home, pass string }

func fixtureClerk(t *testing.T) *oldClerkDesk {
	t.Helper()
	dir := t.TempDir()
	run(t, "tar", "-xzf", "testdata/clerk-"+fixtureCommit+".tar.gz", "-C", dir)
	c := &oldClerkDesk{home: filepath.Join(dir, "000.00.00.H41"), pass: "testdata/clerk-" + fixtureCommit + ".pass"}
	if v := schemaVersion(t, filepath.Join(c.home, "clerk.db")); v != 2 {
		t.Fatalf("the fixture clerk store is in schema %d, want 2", v)
	}
	return c
}

// check opens the older release's clerk store with the installed
// lienthong-clerk: it is migrated to the current schema and lists the
// documents it received.
func (c *oldClerkDesk) check(t *testing.T) {
	t.Helper()
	out := run(t, "/usr/bin/lienthong-clerk", "inbox", "--home", c.home, "--passphrase-file", c.pass, "--json")
	var inbox []struct {
		Notation string `json:"notation"`
		Agency   string `json:"agency_code"`
	}
	if err := json.Unmarshal([]byte(out), &inbox); err != nil || len(inbox) != fixtureInbox {
		t.Errorf("the older release's clerk store lists %d documents (%v), want %d:\n%s", len(inbox), err, fixtureInbox, out)
	}
	for _, d := range inbox {
		if d.Agency != "000.00.00.H49" || d.Notation == "" {
			t.Errorf("a document of the older release's clerk store reads %+v, want Quảng Ninh's, with its notation", d)
		}
	}
	if v := schemaVersion(t, filepath.Join(c.home, "clerk.db")); v != store.SchemaVersion {
		t.Errorf("the older release's clerk store is in schema %d after it was opened, want %d", v, store.SchemaVersion)
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
