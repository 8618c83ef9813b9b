package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"

	"github.com/tc-hib/winres"
	"github.com/tc-hib/winres/version"
)

// langVietnamese is the Windows language identifier of Vietnamese
// (vi-VN), under which the version strings are written.
const langVietnamese = 0x042A

// Strings the installer and Windows show: Explorer's Details tab, the
// uninstall list, the Start menu.
const (
	productName = "Liên thông văn bản"
	companyName = "Lienthong – Trục liên thông văn bản quốc gia"
	copyright   = "© Lienthong"

	arpComments         = "Đăng ký, ký số, gửi và nhận văn bản điện tử qua Trục liên thông"
	shortcutDescription = "Đăng ký, ký số, gửi và nhận văn bản điện tử"
	downgradeMessage    = "Một phiên bản mới hơn của Liên thông văn bản đã được cài đặt."
)

// program is one of the two executables the MSI carries.
type program struct {
	pkg         string // import path of the main package
	exe         string // file name of the executable
	description string // FileDescription, in Vietnamese
	cgo         bool   // with cgo (mingw-w64): Fyne's GL driver, and PKCS#11 tokens (miekg/pkcs11)
	gui         bool   // linked with -H windowsgui: no console window
}

var programs = []program{
	{pkg: "./desktop/cmd/lienthong-desktop", exe: "lienthong-desktop.exe", cgo: true, gui: true,
		description: "Liên thông văn bản: ứng dụng gửi nhận văn bản điện tử của văn thư"},
	{pkg: "./desktop/cmd/lienthong-clerk", exe: "lienthong-clerk.exe", cgo: true,
		description: "Liên thông văn bản: công cụ dòng lệnh của văn thư (ký số, gửi, nhận, kiểm tra)"},
}

// resources returns the COFF object (.syso) the linker puts into p's
// executable: the app icon, the version information with Vietnamese
// strings, and a manifest (per-monitor DPI awareness, no elevation).
func resources(p program, iconPNG []byte, v appVersion) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(iconPNG))
	if err != nil {
		return nil, fmt.Errorf("decode the icon: %w", err)
	}
	icon, err := winres.NewIconFromResizedImage(img, nil)
	if err != nil {
		return nil, fmt.Errorf("make the icon: %w", err)
	}
	var rs winres.ResourceSet
	if err := rs.SetIcon(winres.Name("APP"), icon); err != nil {
		return nil, fmt.Errorf("add the icon: %w", err)
	}
	var vi version.Info
	vi.FileVersion = v.quad
	vi.ProductVersion = v.quad
	for k, s := range map[string]string{
		version.ProductName:      productName,
		version.CompanyName:      companyName,
		version.FileDescription:  p.description,
		version.LegalCopyright:   copyright,
		version.OriginalFilename: p.exe,
		version.InternalName:     p.exe[:len(p.exe)-len(".exe")],
		version.FileVersion:      v.String(),
		version.ProductVersion:   v.String(),
	} {
		if err := vi.Set(langVietnamese, k, s); err != nil {
			return nil, fmt.Errorf("version string %s: %w", k, err)
		}
	}
	rs.SetVersionInfo(vi)
	rs.SetManifest(winres.AppManifest{
		Description:    p.description,
		Compatibility:  winres.Win10AndAbove,
		ExecutionLevel: winres.AsInvoker,
		DPIAwareness:   winres.DPIPerMonitorV2,
		LongPathAware:  true,
	})
	var out bytes.Buffer
	if err := rs.WriteObject(&out, winres.ArchAMD64); err != nil {
		return nil, fmt.Errorf("write the resource object: %w", err)
	}
	return out.Bytes(), nil
}

// readIcon reads the app icon the Linux desktop entry and Fyne use.
func readIcon(root string) ([]byte, error) {
	b, err := os.ReadFile(root + "/desktop/cmd/lienthong-desktop/Icon.png")
	if err != nil {
		return nil, fmt.Errorf("read the app icon: %w", err)
	}
	return b, nil
}

// writeICO writes the icon as an .ico file, for the MSI's shortcut and its
// entry in the list of installed programs.
func writeICO(iconPNG []byte, path string) error {
	img, err := png.Decode(bytes.NewReader(iconPNG))
	if err != nil {
		return fmt.Errorf("decode the icon: %w", err)
	}
	icon, err := winres.NewIconFromResizedImage(img, nil)
	if err != nil {
		return fmt.Errorf("make the icon: %w", err)
	}
	var b bytes.Buffer
	if err := icon.SaveICO(&b); err != nil {
		return fmt.Errorf("write the icon: %w", err)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
