// Command windows builds Lienthong's Windows installer on Linux:
// lienthong-desktop.exe (Fyne) and lienthong-clerk.exe (which signs with
// PKCS#11 tokens through miekg/pkcs11), both with cgo and Debian's mingw-w64
// cross compiler, each with the app icon,
// version information in Vietnamese and a manifest linked in as a .syso
// resource object (github.com/tc-hib/winres), then an MSI made by msitools'
// wixl from lienthong.wxs beside this file. `make packages-windows` runs it:
//
//	go run ./packaging/windows --out dist/windows
//
// The resource object lies in the program's package folder only while it is
// built (zz_winres_windows_amd64.syso, ignored by git). The version is 0.1.N, N the number of
// commits on HEAD, so that every later commit's MSI upgrades an earlier one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	out := flag.String("out", "dist/windows", "folder to write the executables and the MSI into")
	ver := flag.String("version", "", "product version a.b.c (default 0.1.N, N the commit count)")
	flag.Parse()
	if err := run(context.Background(), *out, *ver, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "packaging/windows:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out, ver string, log io.Writer) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	v, err := gitVersion(ctx, root, ver)
	if err != nil {
		return err
	}
	msi, err := build(ctx, root, out, v, log)
	if err != nil {
		return err
	}
	fmt.Fprintln(log, "packaging/windows: wrote", msi)
	return nil
}

// appVersion is the version of the product: a.b.c for Windows Installer
// (which compares the first three fields), and the commit it was built from.
type appVersion struct {
	quad   [4]uint16
	commit string
}

func (v appVersion) String() string {
	return fmt.Sprintf("%d.%d.%d", v.quad[0], v.quad[1], v.quad[2])
}

// parseVersion reads a.b.c with a, b < 256 and c < 65536 (the Windows
// Installer's limits).
func parseVersion(s string) (appVersion, error) {
	var v appVersion
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, fmt.Errorf("version %q: want a.b.c", s)
	}
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || (i < 2 && n > 255) {
			return v, fmt.Errorf("version %q: field %d out of range", s, i+1)
		}
		v.quad[i] = uint16(n)
	}
	return v, nil
}

// gitVersion returns ver, or 0.1.N with N the number of commits on HEAD,
// and the short commit name.
func gitVersion(ctx context.Context, root, ver string) (appVersion, error) {
	git := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = root
		b, err := cmd.Output()
		if err != nil {
			return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if ver == "" {
		n, err := git("rev-list", "--count", "HEAD")
		if err != nil {
			return appVersion{}, err
		}
		ver = "0.1." + n
	}
	v, err := parseVersion(ver)
	if err != nil {
		return v, err
	}
	if v.commit, err = git("rev-parse", "--short", "HEAD"); err != nil {
		return v, err
	}
	return v, nil
}

// moduleRoot is the folder of go.mod, found upwards from the working
// directory (go run and go test both start inside the module).
func moduleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		up := filepath.Dir(d)
		if up == d {
			return "", errors.New("go.mod not found above the working directory")
		}
		d = up
	}
}

// build cross-builds both programs into out and makes the MSI there; it
// returns the MSI's path.
func build(ctx context.Context, root, out string, v appVersion, log io.Writer) (string, error) {
	out, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	iconPNG, err := readIcon(root)
	if err != nil {
		return "", err
	}
	for _, p := range programs {
		if err := buildProgram(ctx, root, out, p, iconPNG, v, log); err != nil {
			return "", fmt.Errorf("build %s: %w", p.exe, err)
		}
	}
	if err := writeICO(iconPNG, filepath.Join(out, "lienthong.ico")); err != nil {
		return "", err
	}
	msi := filepath.Join(out, "lienthong-"+v.String()+"-x64.msi")
	cmd := exec.CommandContext(ctx, "wixl", "-a", "x64",
		"-D", "Version="+v.String(), "-D", "Commit="+v.commit,
		"-o", msi, filepath.Join(root, "packaging/windows/lienthong.wxs"))
	cmd.Dir = out
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("wixl (msitools; packaging/install-deps.sh installs it): %w", err)
	}
	if err := msiVietnamese(ctx, msi, log); err != nil {
		return "", err
	}
	return msi, nil
}

// msiVietnamese sets the MSI's codepage to 1258 (Vietnamese) and writes the
// product's Vietnamese name where wixl cannot (see lienthong.wxs).
func msiVietnamese(ctx context.Context, msi string, log io.Writer) error {
	dir, err := os.MkdirTemp("", "lienthong-msi-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// An .idt file of the _ForceCodepage pseudo-table: two empty lines,
	// then the codepage and the table's name.
	idt := filepath.Join(dir, "_ForceCodepage.idt")
	if err := os.WriteFile(idt, []byte("\r\n\r\n1258\t_ForceCodepage\r\n"), 0o644); err != nil {
		return err
	}
	steps := [][]string{{"-i", idt}}
	for _, q := range []string{
		"UPDATE `Property` SET `Value` = '" + productName + "' WHERE `Property` = 'ProductName'",
		"UPDATE `Property` SET `Value` = '" + arpComments + "' WHERE `Property` = 'ARPCOMMENTS'",
		"UPDATE `Shortcut` SET `Name` = '" + productName + "', `Description` = '" + shortcutDescription +
			"' WHERE `Shortcut` = 'DesktopShortcut'",
		"UPDATE `Feature` SET `Title` = '" + productName + "' WHERE `Feature` = 'Complete'",
		"UPDATE `LaunchCondition` SET `Description` = '" + downgradeMessage + "' WHERE `Condition` = 'NOT WIX_DOWNGRADE_DETECTED'",
	} {
		steps = append(steps, []string{"-q", q})
	}
	for _, s := range steps {
		cmd := exec.CommandContext(ctx, "msibuild", append([]string{msi}, s...)...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("msibuild %s: %w", s[0], err)
		}
	}
	// libgsf, under msibuild, leaves an empty temporary file beside the MSI.
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(msi), ".gsf-save-*"))
	for _, f := range left {
		os.Remove(f)
	}
	return nil
}

// buildProgram writes p's resource object into its package folder as
// zz_winres_windows_amd64.syso (the go command links a .syso file of the
// package into the executable; only for windows/amd64), builds, and removes
// it again. (go build -overlay does not reach the linker's .syso files.)
func buildProgram(ctx context.Context, root, out string, p program, iconPNG []byte, v appVersion, log io.Writer) error {
	obj, err := resources(p, iconPNG, v)
	if err != nil {
		return err
	}
	syso := filepath.Join(root, p.pkg, "zz_winres_windows_amd64.syso")
	if err := os.WriteFile(syso, obj, 0o644); err != nil {
		return err
	}
	defer os.Remove(syso)
	ldflags := "-s -w"
	if p.gui {
		ldflags += " -H windowsgui"
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", ldflags,
		"-o", filepath.Join(out, p.exe), p.pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if p.cgo {
		cmd.Env = append(cmd.Env, "CGO_ENABLED=1", "CC=x86_64-w64-mingw32-gcc")
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		if p.cgo {
			return fmt.Errorf("go build with x86_64-w64-mingw32-gcc (gcc-mingw-w64-x86-64; packaging/install-deps.sh installs it): %w", err)
		}
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}
