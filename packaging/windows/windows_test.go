package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tc-hib/winres"
	"github.com/tc-hib/winres/version"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/internal/proxytest"
)

// TestWindowsPackage builds both executables and the MSI as `make
// packages-windows` does, and a second MSI one version lower; checks the
// MSI's tables with msiinfo and the executables' resources; has
// lienthong-clerk.exe sign and verify a PDF under Wine; and there installs
// the older MSI with msiexec, the newer over it (the clerk's store kept and
// read), refuses the older over the newer, and uninstalls. The tools come
// from packaging/install-deps.sh; a missing one fails the test.
func TestWindowsPackage(t *testing.T) {
	for _, tool := range []string{"x86_64-w64-mingw32-gcc", "wixl", "msiinfo", "wine", "wineserver"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s missing: run packaging/install-deps.sh", tool)
		}
	}
	// The first cross-build of the Fyne app compiles go-gl's C code with
	// mingw-w64 (minutes); later ones come from Go's build cache. Stop in
	// time to report, before go test's own deadline.
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-20*time.Second))
		defer cancel()
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	v, err := gitVersion(ctx, root, "")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	var log bytes.Buffer
	start := time.Now()
	msi, err := build(ctx, root, out, v, &log)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, log.String())
	}
	t.Logf("built both executables and the MSI in %v", time.Since(start).Round(time.Second))

	t.Run("msi", func(t *testing.T) { checkMSI(t, msi, v) })
	for _, p := range programs {
		t.Run(p.exe, func(t *testing.T) { checkResources(t, filepath.Join(out, p.exe), p, v) })
	}

	// The MSI an upgrade replaces: the same source, one version lower.
	older := v
	if older.quad[2] == 0 {
		t.Fatalf("version %v has no lower patch number for the older MSI", v)
	}
	older.quad[2]--
	start = time.Now()
	oldMSI, err := build(ctx, root, t.TempDir(), older, &log)
	if err != nil {
		t.Fatalf("build %v: %v\n%s", older, err, log.String())
	}
	t.Logf("built the older MSI (%v) in %v", older, time.Since(start).Round(time.Second))

	w := newWine(t, ctx, root)
	t.Run("wine", func(t *testing.T) { clerkUnderWine(t, w, filepath.Join(out, "lienthong-clerk.exe")) })
	t.Run("upgrade", func(t *testing.T) { msiUpgrade(t, w, oldMSI, msi, older, v) })
	t.Run("system-proxy", func(t *testing.T) { systemProxy(t, w, filepath.Join(out, "lienthong-clerk.exe")) })
}

// msiTable returns the rows of an MSI table as msiinfo exports them (tab
// separated; the first three lines are the column names, types and key).
func msiTable(t *testing.T, msi, table string) [][]string {
	t.Helper()
	b, err := exec.Command("msiinfo", "export", msi, table).Output()
	if err != nil {
		t.Fatalf("msiinfo export %s: %v", table, err)
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("table %s: %q", table, b)
	}
	var rows [][]string
	for _, l := range lines[3:] {
		rows = append(rows, strings.Split(l, "\t"))
	}
	return rows
}

func checkMSI(t *testing.T, msi string, v appVersion) {
	props := map[string]string{}
	for _, r := range msiTable(t, msi, "Property") {
		if len(r) == 2 {
			props[r[0]] = r[1]
		}
	}
	for k, want := range map[string]string{
		"ProductName":    productName,
		"Manufacturer":   "Lienthong",
		"ProductVersion": v.String(),
		"UpgradeCode":    "{251F42D7-9AF3-4A48-BD7D-E46CDA23EC72}",
		"ALLUSERS":       "1", // per-machine
		"ARPPRODUCTICON": "lienthong.ico",
		"ARPCOMMENTS":    arpComments,
	} {
		if props[k] != want {
			t.Errorf("Property %s = %q, want %q", k, props[k], want)
		}
	}

	if b, err := exec.Command("msiinfo", "export", msi, "_ForceCodepage").Output(); err != nil || !strings.Contains(string(b), "1258\t_ForceCodepage") {
		t.Errorf("codepage: %v %q, want 1258 (Vietnamese)", err, b)
	}

	files := map[string]bool{}
	for _, r := range msiTable(t, msi, "File") {
		name := r[2] // FileName: SHORT~1.EXE|long-name.exe
		files[name[strings.LastIndex(name, "|")+1:]] = true
	}
	for _, p := range programs {
		if !files[p.exe] {
			t.Errorf("File table lacks %s: %v", p.exe, files)
		}
	}

	dirs := map[string][]string{}
	for _, r := range msiTable(t, msi, "Directory") {
		dirs[r[0]] = r
	}
	if d := dirs["INSTALLDIR"]; len(d) < 3 || d[1] != "ProgramFiles64Folder" || !strings.HasSuffix(d[2], "Lienthong") {
		t.Errorf("INSTALLDIR = %v, want Lienthong under ProgramFiles64Folder", d)
	}

	shortcuts := msiTable(t, msi, "Shortcut")
	if len(shortcuts) != 1 {
		t.Fatalf("Shortcut table: %v", shortcuts)
	}
	sc := shortcuts[0] // Shortcut, Directory_, Name, Component_, Target, ...
	if sc[1] != "ProgramMenuFolder" || !strings.HasSuffix(sc[2], productName) || sc[4] != "[INSTALLDIR]lienthong-desktop.exe" {
		t.Errorf("Start-menu shortcut = %v", sc)
	}

	reg := msiTable(t, msi, "Registry")
	if len(reg) != 1 || reg[0][1] != "2" || reg[0][2] != `Software\Lienthong` {
		t.Errorf("Registry table = %v, want the install folder under HKLM\\Software\\Lienthong", reg)
	}

	// A newer MSI finds and removes this one: the Upgrade table has the
	// fixed upgrade code, for every lower version, and refuses a downgrade.
	up := msiTable(t, msi, "Upgrade")
	var upgrades, downgrades int
	for _, r := range up {
		if r[0] != "{251F42D7-9AF3-4A48-BD7D-E46CDA23EC72}" {
			t.Errorf("Upgrade row for another code: %v", r)
		}
		if r[1] == "" && r[2] == v.String() {
			upgrades++ // VersionMin empty, VersionMax this one: older ones
		}
		if r[1] == v.String() && r[2] == "" {
			downgrades++
		}
	}
	if upgrades != 1 || downgrades != 1 {
		t.Errorf("Upgrade table = %v", up)
	}
	var removes bool
	for _, r := range msiTable(t, msi, "InstallExecuteSequence") {
		removes = removes || r[0] == "RemoveExistingProducts"
	}
	if !removes {
		t.Error("InstallExecuteSequence lacks RemoveExistingProducts: an upgrade would leave the old version installed")
	}
}

// checkResources reads the executable's resources back: the icon, the
// Vietnamese version strings and the version numbers.
func checkResources(t *testing.T, exe string, p program, v appVersion) {
	rs := readResources(t, exe)
	if _, err := rs.GetIcon(winres.Name("APP")); err != nil {
		t.Errorf("no app icon: %v", err)
	}
	data := rs.Get(winres.RT_VERSION, winres.ID(1), langVietnamese)
	if data == nil {
		t.Fatal("no Vietnamese version information")
	}
	vi, err := version.FromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if vi.ProductVersion != v.quad || vi.FileVersion != v.quad {
		t.Errorf("versions %v %v, want %v", vi.ProductVersion, vi.FileVersion, v.quad)
	}
	j, err := vi.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Info map[string]map[string]string `json:"info"`
	}
	if err := json.Unmarshal(j, &parsed); err != nil {
		t.Fatal(err)
	}
	strs := parsed.Info["042A"]
	for k, want := range map[string]string{version.ProductName: productName, version.CompanyName: companyName,
		version.FileDescription: p.description, version.ProductVersion: v.String(), version.OriginalFilename: p.exe} {
		if strs[k] != want {
			t.Errorf("%s = %q, want %q", k, strs[k], want)
		}
	}
}

// wine is a Wine prefix of the test's own, in a folder that also holds a
// demo PKI (pki/) and a test PDF (cong-van.pdf). Programs run with that
// folder, Wine's Z: drive, as their working directory, so relative paths
// are the same for the test and the Windows program.
type wine struct {
	ctx    context.Context
	dir    string   // the working folder; the prefix is dir/wine
	env    []string // WINEPREFIX and the store's passphrase
	prefix string   // dir/wine
}

// newWine makes the prefix and the demo PKI. Every Wine process of the
// prefix is ended when the test ends.
func newWine(t *testing.T, ctx context.Context, root string) *wine {
	dir := t.TempDir()
	w := &wine{ctx: ctx, dir: dir, prefix: filepath.Join(dir, "wine")}
	bin := filepath.Join(dir, "bin")
	certsBuild := exec.CommandContext(ctx, "go", "build", "-o", bin+"/", "./certs/cmd/lienthong-certs")
	certsBuild.Dir = root
	if b, err := certsBuild.CombinedOutput(); err != nil {
		t.Fatalf("build lienthong-certs: %v\n%s", err, b)
	}
	if b, err := exec.CommandContext(ctx, filepath.Join(bin, "lienthong-certs"), "demo", "--out", filepath.Join(dir, "pki")).CombinedOutput(); err != nil {
		t.Fatalf("demo PKI: %v\n%s", err, b)
	}
	start := time.Now()
	pdf, err := os.ReadFile(filepath.Join(root, "shared/pades/testdata/cong-van.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cong-van.pdf"), pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	w.env = append(os.Environ(), "WINEPREFIX="+w.prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=",
		"LIENTHONG_PASSPHRASE=wine-test-passphrase", "DISPLAY=", "HTTPS_PROXY=", "https_proxy=")
	t.Cleanup(func() {
		k := exec.Command("wineserver", "-k")
		k.Env = w.env
		_ = k.Run()
		wait := exec.Command("wineserver", "-w") // until every process of the prefix is gone
		wait.Env = w.env
		_ = wait.Run()
	})
	// Debian 12's Wine 8.0 lacks bcryptprimitives.dll, without which a Go
	// program stops at start-up: the prefix gets a stand-in (see wine/).
	if out, err := w.run("wineboot", "--init"); err != nil {
		t.Fatalf("wineboot: %v\n%s", err, out)
	}
	shim := filepath.Join(w.prefix, "drive_c/windows/system32/bcryptprimitives.dll")
	if b, err := exec.CommandContext(ctx, "x86_64-w64-mingw32-gcc", "-O2", "-shared", "-o", shim,
		filepath.Join(root, "packaging/windows/wine/bcryptprimitives.c"),
		filepath.Join(root, "packaging/windows/wine/bcryptprimitives.def"), "-ladvapi32").CombinedOutput(); err != nil {
		t.Fatalf("build the bcryptprimitives.dll stand-in: %v\n%s", err, b)
	}
	t.Logf("Wine prefix ready in %v", time.Since(start).Round(time.Second))
	return w
}

// run runs a Windows program (a path, or a name Wine finds) under Wine.
func (w *wine) run(program string, args ...string) (string, error) {
	cmd := exec.CommandContext(w.ctx, "wine", append([]string{program}, args...)...)
	cmd.Dir, cmd.Env = w.dir, w.env
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// clerk runs lienthong-clerk.exe (exe: its path) under Wine and returns its
// output; a failure fails the test.
func (w *wine) clerk(t *testing.T, exe string, args ...string) string {
	t.Helper()
	out, err := w.run(exe, args...)
	if err != nil {
		t.Fatalf("lienthong-clerk %s: %v\n%s", args[0], err, out)
	}
	return out
}

// clerkUnderWine runs lienthong-clerk.exe under Wine: it creates a store,
// signs a test PDF with a demo agency's key, verifies the result (valid)
// and the unsigned original (refused).
func clerkUnderWine(t *testing.T, w *wine, exe string) {
	clerk := func(args ...string) (string, error) { return w.run(exe, args...) }
	agency := "pki/agencies/000.00.00.H49"
	if out, err := clerk("init", "--home", "store", "--p12", agency+".p12", "--p12-passphrase-file", agency+".pass",
		"--hub", "127.0.0.1:9", "--server-name", "localhost", "--roots", "pki/ca.crt"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if out, err := clerk("sign", "--p12", agency+".p12", "--passphrase-file", agency+".pass",
		"--reason", "Phát hành văn bản", "cong-van.pdf", "signed.pdf"); err != nil {
		t.Fatalf("sign: %v\n%s", err, out)
	}
	out, err := clerk("verify", "--home", "store", "signed.pdf")
	if err != nil || !strings.Contains(out, "SERIALNUMBER=000.00.00.H49") || !strings.Contains(out, ") valid") {
		t.Fatalf("verify the signed PDF: %v\n%s", err, out)
	}
	if out, err := clerk("verify", "--home", "store", "cong-van.pdf"); err == nil {
		t.Fatalf("verify accepted an unsigned PDF:\n%s", out)
	}
}

// msiUpgrade installs the older MSI with msiexec, has the installed
// lienthong-clerk.exe make a store in its default place (%AppData%\lienthong)
// and queue a sealed document in it, installs the newer MSI over it (the
// older product removed, the newer one installed, the store untouched and
// still read), refuses the older MSI over the newer, and uninstalls: the
// programs go, the clerk's store stays.
func msiUpgrade(t *testing.T, w *wine, oldMSI, newMSI string, older, newer appVersion) {
	const installed = `C:\Program Files\Lienthong\lienthong-clerk.exe`
	installDir := filepath.Join(w.prefix, "drive_c/Program Files/Lienthong")
	clerk := func(args ...string) string { t.Helper(); return w.clerk(t, installed, args...) }
	msiexec := func(args ...string) error {
		t.Helper()
		out, err := w.run("msiexec", args...)
		if err != nil {
			return fmt.Errorf("msiexec %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := msiexec("/i", oldMSI, "/qn"); err != nil {
		t.Fatal(err)
	}
	checkInstalled(t, w, installDir, older)

	agency := "pki/agencies/000.00.00.H49"
	clerk("init", "--p12", agency+".p12", "--p12-passphrase-file", agency+".pass",
		"--hub", "127.0.0.1:9", "--server-name", "localhost", "--roots", "pki/ca.crt")
	stores, _ := filepath.Glob(filepath.Join(w.prefix, "drive_c/users/*/AppData/Roaming/lienthong/clerk.db"))
	if len(stores) != 1 {
		t.Fatalf("the clerk's store is not in %%AppData%%\\lienthong: %v", stores)
	}
	// Numbered, sealed and queued: the hub (port 9) does not answer.
	meta := `{"to": [{"code": "000.00.00.H41", "name": "Ủy ban nhân dân tỉnh Nghệ An"}]}`
	if err := os.WriteFile(filepath.Join(w.dir, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	out := clerk("send", "--meta", "meta.json", "--type", "cong_van", "--notation", "UBND-VP", "--subject", "Thử nâng cấp",
		"--place", "Hạ Long", "--signer", "Nguyễn Văn Hùng", "--position", "CHỦ TỊCH", "cong-van.pdf")
	if !strings.Contains(out, "1/UBND-VP queued") {
		t.Fatalf("send with the older version: %s", out)
	}
	before := clerk("outbox", "--json")

	if err := msiexec("/i", newMSI, "/qn"); err != nil {
		t.Fatal(err)
	}
	checkInstalled(t, w, installDir, newer)
	if after := clerk("outbox", "--json"); after != before || !strings.Contains(after, "Thử nâng cấp") {
		t.Errorf("the outbox after the upgrade:\n%s\nwant as before:\n%s", after, before)
	}

	if err := msiexec("/i", oldMSI, "/qn"); err == nil {
		t.Error("the older MSI installed over the newer one")
	}
	checkInstalled(t, w, installDir, newer)

	if err := msiexec("/x", newMSI, "/qn"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(installDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Program Files\\Lienthong after the uninstall: %v", err)
	}
	if keys := uninstallKeys(t, w); len(keys) != 0 {
		t.Errorf("uninstall entries after the uninstall: %v", keys)
	}
	if _, err := os.Stat(stores[0]); err != nil {
		t.Errorf("the uninstall took the clerk's store: %v", err)
	}
}

// checkInstalled checks that one Lienthong product is installed, in
// version v, and that the installed lienthong-clerk.exe is v's.
func checkInstalled(t *testing.T, w *wine, installDir string, v appVersion) {
	t.Helper()
	if keys := uninstallKeys(t, w); len(keys) != 1 || keys[0] != v.String() {
		t.Errorf("installed products %v, want one, %v", keys, v)
	}
	if got := exeVersion(t, filepath.Join(installDir, "lienthong-clerk.exe")); got != v.quad {
		t.Errorf("installed lienthong-clerk.exe is %v, want %v", got, v.quad)
	}
}

// uninstallKeys returns the DisplayVersion of every entry of Lienthong's
// publisher under HKLM\...\Uninstall (what "Apps & features" lists).
func uninstallKeys(t *testing.T, w *wine) []string {
	t.Helper()
	out, err := w.run("reg", "query", `HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall`, "/s")
	if err != nil {
		t.Fatalf("reg query: %v\n%s", err, out)
	}
	var versions []string
	for _, entry := range strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n\n") {
		if !regexp.MustCompile(`(?m)^\s+Publisher\s+REG_SZ\s+Lienthong$`).MatchString(entry) {
			continue
		}
		m := regexp.MustCompile(`(?m)^\s+DisplayVersion\s+REG_SZ\s+(\S+)$`).FindStringSubmatch(entry)
		if m == nil {
			t.Fatalf("uninstall entry without a DisplayVersion:\n%s", entry)
		}
		versions = append(versions, m[1])
	}
	return versions
}

// readResources reads an executable's resources.
func readResources(t *testing.T, exe string) *winres.ResourceSet {
	t.Helper()
	f, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rs, err := winres.LoadFromEXE(f)
	if err != nil {
		t.Fatalf("read resources of %s: %v", exe, err)
	}
	return rs
}

// exeVersion reads the product version from an executable's resources.
func exeVersion(t *testing.T, exe string) [4]uint16 {
	t.Helper()
	rs := readResources(t, exe)
	vi, err := version.FromBytes(rs.Get(winres.RT_VERSION, winres.ID(1), langVietnamese))
	if err != nil {
		t.Fatalf("version information of %s: %v", exe, err)
	}
	return vi.ProductVersion
}

// systemProxy sets the Wine user's Windows proxy settings (as Windows'
// proxy page writes them in the registry) to a real tinyproxy on the
// loopback, and has lienthong-clerk.exe, whose proxy setting is the
// default (the environment's, which on Windows falls back to the system's),
// report that proxy for the hub (settings) and sync with the hub through
// it: the proxy logs the tunnel to the hub.
func systemProxy(t *testing.T, w *wine, exe string) {
	h := hubtest.Start(t, hubtest.Options{})
	t.Cleanup(h.Stop)
	_, port, err := net.SplitHostPort(h.Addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	proxy := proxytest.Start(t, proxytest.Config{ConnectPorts: []int{n}})

	p12, err := certs.EncodePKCS12(h.Agencies["000.00.00.H49"].Key, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(w.dir, "sysproxy")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"agency.p12": p12, "p12pass.txt": []byte("p12-pass\n"), "roots.pem": h.PKI.RootPEM()} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The hub is on the loopback, which Windows reaches directly unless
	// the bypass list says <-loopback>.
	const key = `HKCU\Software\Microsoft\Windows\CurrentVersion\Internet Settings`
	for _, v := range [][]string{
		{"ProxyEnable", "REG_DWORD", "1"},
		{"ProxyServer", "REG_SZ", "http=127.0.0.1:9;https=" + proxy.Addr},
		{"ProxyOverride", "REG_SZ", "*.example.invalid;<local>;<-loopback>"},
	} {
		if out, err := w.run("reg", "add", key, "/v", v[0], "/t", v[1], "/d", v[2], "/f"); err != nil {
			t.Fatalf("reg add %s: %v\n%s", v[0], err, out)
		}
	}
	clerk := func(args ...string) string { t.Helper(); return w.clerk(t, exe, args...) }
	clerk("init", "--home", "sysproxy/home", "--p12", "sysproxy/agency.p12", "--p12-passphrase-file", "sysproxy/p12pass.txt",
		"--hub", h.Addr, "--server-name", "localhost", "--roots", "sysproxy/roots.pem")
	if out := clerk("settings", "--home", "sysproxy/home"); !strings.Contains(out, "route  "+h.Addr+" via http://"+proxy.Addr+"\n") {
		t.Errorf("settings does not report the system's proxy for the hub:\n%s", out)
	}
	if out := clerk("sync", "--home", "sysproxy/home"); !strings.Contains(out, "synced") {
		t.Errorf("sync: %s", out)
	}
	if connects := proxy.Settled(t); !slices.Contains(connects, h.Addr) {
		t.Errorf("the proxy tunnelled to %v, want the hub %s:\n%s", connects, h.Addr, proxy.Log())
	}
}
