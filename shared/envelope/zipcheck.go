package envelope

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
)

// Bounds of the ZIP inspection. An office attachment is read through its
// central directory only; these bound what that costs whatever the file
// claims, and refuse what no honest office file needs.
const (
	// MaxZipEntries bounds the entries of an office file: a long report
	// with its images holds a few hundred.
	MaxZipEntries = 10000
	// MaxZipDirectory bounds the central directory's bytes.
	MaxZipDirectory = 4 << 20
	// MaxZipInflated bounds the sum of the entries' declared sizes: what a
	// viewer would inflate to show the file.
	MaxZipInflated = 1 << 30
	// maxZipRatio is deflate's best compression ratio (1032:1, for runs of
	// one byte) with a margin: an entry that claims more lies about its
	// sizes.
	maxZipRatio = 1100
	// maxManifest bounds the one small entry inflated: an OOXML
	// [Content_Types].xml or an ODF META-INF/manifest.xml.
	maxManifest = 1 << 20
)

const (
	zipLocalSig = "PK\x03\x04"
	zipEndSig   = "PK\x05\x06"
	zipEndLen   = 22
	zipLocalLen = 30
	// odtMimetype is the exact content of an OpenDocument text's first
	// entry, "mimetype", stored uncompressed (ODF 1.2 part 3, 3.3).
	odtMimetype = ContentTypeODT
)

// contentErr is an ErrContent with detail.
func contentErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrContent, fmt.Sprintf(format, args...))
}

// activeErr is an ErrContent and ErrActiveContent with detail.
func activeErr(format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrContent, ErrActiveContent, fmt.Sprintf(format, args...))
}

// openZip reads the central directory of the ZIP of size bytes in r, after
// checking from its end record alone that the directory is within bounds,
// and checks every entry's header: no encryption, stored or deflated, a
// plain relative name met once, declared sizes an honest deflate gives.
// Nothing is inflated.
func openZip(r io.ReaderAt, size int64) (*zip.Reader, error) {
	if size < zipEndLen {
		return nil, contentErr("too short for a ZIP archive")
	}
	// The end record sits in the last 22 bytes plus a comment of up to
	// 65535: find the last one whose comment reaches exactly to the end.
	tailLen := min(size, zipEndLen+0xFFFF)
	tail := make([]byte, tailLen)
	if _, err := r.ReadAt(tail, size-tailLen); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read the ZIP's end: %w", err)
	}
	end := -1
	for i := len(tail) - zipEndLen; i >= 0; i-- {
		if string(tail[i:i+4]) == zipEndSig && i+zipEndLen+int(binary.LittleEndian.Uint16(tail[i+20:])) == len(tail) {
			end = i
			break
		}
	}
	if end < 0 {
		return nil, contentErr("no ZIP end of central directory record")
	}
	rec := tail[end:]
	disk, cdDisk := binary.LittleEndian.Uint16(rec[4:]), binary.LittleEndian.Uint16(rec[6:])
	onDisk, entries := binary.LittleEndian.Uint16(rec[8:]), binary.LittleEndian.Uint16(rec[10:])
	cdSize, cdOff := binary.LittleEndian.Uint32(rec[12:]), binary.LittleEndian.Uint32(rec[16:])
	endOff := size - tailLen + int64(end)
	switch {
	case entries == 0xFFFF || cdSize == 0xFFFFFFFF || cdOff == 0xFFFFFFFF:
		return nil, contentErr("a ZIP64 archive, which no office attachment of this size needs")
	case disk != 0 || cdDisk != 0 || onDisk != entries:
		return nil, contentErr("a multi-part ZIP archive")
	case entries == 0:
		return nil, contentErr("an empty ZIP archive")
	case int(entries) > MaxZipEntries:
		return nil, contentErr("%d ZIP entries, at most %d", entries, MaxZipEntries)
	case cdSize > MaxZipDirectory:
		return nil, contentErr("a ZIP central directory of %d bytes, at most %d", cdSize, MaxZipDirectory)
	case int64(cdOff)+int64(cdSize) != endOff:
		return nil, contentErr("the ZIP central directory is not where its end record says")
	case uint64(cdSize) < uint64(entries)*46:
		return nil, contentErr("the ZIP central directory is too small for its %d entries", entries)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		// Including zip.ErrInsecurePath: an absolute name or one with "..".
		return nil, contentErr("unreadable ZIP: %v", err)
	}
	if len(zr.File) != int(entries) {
		return nil, contentErr("the ZIP holds %d entries, its end record says %d", len(zr.File), entries)
	}
	seen := make(map[string]bool, len(zr.File))
	var inflated uint64
	for _, f := range zr.File {
		name := strings.ToLower(f.Name)
		switch {
		case f.Flags&0x1 != 0:
			return nil, contentErr("an encrypted ZIP entry")
		case f.Method != zip.Store && f.Method != zip.Deflate:
			return nil, contentErr("a ZIP entry compressed by method %d", f.Method)
		case oddName(f.Name):
			return nil, contentErr("a ZIP entry with an odd name")
		case seen[name]:
			return nil, contentErr("two ZIP entries with the same name")
		case f.Method == zip.Store && f.UncompressedSize64 != f.CompressedSize64:
			return nil, contentErr("a stored ZIP entry whose sizes differ")
		case f.UncompressedSize64 > maxZipRatio*(f.CompressedSize64+1):
			return nil, contentErr("a ZIP entry that claims to inflate more than deflate can")
		}
		seen[name] = true
		inflated += f.UncompressedSize64
		if inflated > MaxZipInflated {
			return nil, contentErr("the ZIP inflates to more than %d bytes", MaxZipInflated)
		}
	}
	return zr, nil
}

// oddName reports a name no office file has: empty, absolute, with a
// backslash, a NUL or a ".." element.
func oddName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") {
		return true
	}
	return slices.Contains(strings.Split(name, "/"), "..")
}

// readSmall inflates entry f, which must be at most maxManifest bytes.
func readSmall(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxManifest {
		return nil, contentErr("%s is over %d bytes", f.Name, maxManifest)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, contentErr("%s: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxManifest+1))
	if err != nil {
		return nil, contentErr("%s: %v", f.Name, err)
	}
	if len(b) > maxManifest {
		return nil, contentErr("%s is over %d bytes", f.Name, maxManifest)
	}
	return b, nil
}

// activeName reports the entries that hold macros or embedded programs:
// a VBA project, ActiveX controls, OLE objects (OLE2 files, which may hold
// macros of their own), macro-enabled embedded documents, ODF Basic and
// scripts.
func activeName(name string) bool {
	name = strings.ToLower(name)
	base := path.Base(name)
	switch {
	case base == "vbaproject.bin", base == "vbadata.xml":
		return true
	case strings.HasPrefix(base, "oleobject"), strings.Contains(name, "activex/"):
		return true
	case strings.HasPrefix(name, "basic/"), strings.HasPrefix(name, "scripts/"):
		return true
	}
	switch path.Ext(base) {
	case ".bin", ".docm", ".xlsm", ".pptm", ".xlsb", ".dotm", ".xltm", ".xlam", ".exe", ".dll", ".js", ".vbs", ".hta", ".ps1", ".bat", ".cmd", ".scr":
		// Printer settings are the one honest .bin part in OOXML.
		return !strings.Contains(name, "printersettings")
	}
	return false
}

// contentTypes is an OOXML [Content_Types].xml.
type contentTypes struct {
	Defaults []struct {
		Extension   string `xml:"Extension,attr"`
		ContentType string `xml:"ContentType,attr"`
	} `xml:"Default"`
	Overrides []struct {
		PartName    string `xml:"PartName,attr"`
		ContentType string `xml:"ContentType,attr"`
	} `xml:"Override"`
}

// checkOOXML checks an Office Open XML file: a ZIP within bounds (openZip)
// with [Content_Types].xml and the main part, which that file declares of
// mainType (the macro-free type: a .docm's main part has another), and no
// macros or embedded programs by name or by declared type.
func checkOOXML(r io.ReaderAt, size int64, mainPart, mainType string) error {
	zr, err := openZip(r, size)
	if err != nil {
		return err
	}
	var manifest *zip.File
	hasMain := false
	for _, f := range zr.File {
		switch {
		case activeName(f.Name):
			return activeErr("the entry %q", f.Name)
		case f.Name == "[Content_Types].xml":
			manifest = f
		case f.Name == mainPart:
			hasMain = true
		}
	}
	if manifest == nil || !hasMain {
		return contentErr("not an Office Open XML file of its type: no [Content_Types].xml or %s", mainPart)
	}
	b, err := readSmall(manifest)
	if err != nil {
		return err
	}
	var ct contentTypes
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	if err := dec.Decode(&ct); err != nil {
		return contentErr("[Content_Types].xml: %v", err)
	}
	declared := ""
	check := func(t string) error {
		l := strings.ToLower(t)
		if strings.Contains(l, "macroenabled") || strings.Contains(l, "vbaproject") || strings.Contains(l, "activex") || strings.Contains(l, "oleobject") {
			return activeErr("the content type %q", t)
		}
		return nil
	}
	for _, d := range ct.Defaults {
		if err := check(d.ContentType); err != nil {
			return err
		}
	}
	for _, o := range ct.Overrides {
		if err := check(o.ContentType); err != nil {
			return err
		}
		if strings.EqualFold(o.PartName, "/"+mainPart) {
			declared = o.ContentType
		}
	}
	if declared != mainType {
		return contentErr("%s is declared %q, not %q", mainPart, declared, mainType)
	}
	return nil
}

// checkODT checks an OpenDocument text: a ZIP within bounds (openZip)
// whose first entry, at offset 0, is "mimetype" stored uncompressed and
// holding exactly the ODF text type; with content.xml and a manifest that
// declares no encryption; and without Basic macros or scripts.
func checkODT(r io.ReaderAt, size int64) error {
	zr, err := openZip(r, size)
	if err != nil {
		return err
	}
	first := zr.File[0]
	if first.Name != "mimetype" || first.Method != zip.Store || first.UncompressedSize64 != uint64(len(odtMimetype)) {
		return contentErr("an OpenDocument file's first entry is \"mimetype\", stored uncompressed")
	}
	// The local header at offset 0 must be that entry's, its bytes the type.
	hdr := make([]byte, zipLocalLen+len("mimetype"))
	if _, err := r.ReadAt(hdr, 0); err != nil {
		return contentErr("the first local header: %v", err)
	}
	extra := int64(binary.LittleEndian.Uint16(hdr[28:]))
	if binary.LittleEndian.Uint16(hdr[8:]) != zip.Store || binary.LittleEndian.Uint16(hdr[26:]) != uint16(len("mimetype")) ||
		string(hdr[zipLocalLen:]) != "mimetype" {
		return contentErr("an OpenDocument file begins with its \"mimetype\" entry, stored uncompressed")
	}
	mt := make([]byte, len(odtMimetype))
	if _, err := r.ReadAt(mt, int64(len(hdr))+extra); err != nil || string(mt) != odtMimetype {
		return contentErr("the \"mimetype\" entry is not %q", odtMimetype)
	}
	var manifest *zip.File
	hasContent := false
	for _, f := range zr.File {
		switch {
		case activeName(f.Name):
			return activeErr("the entry %q", f.Name)
		case f.Name == "META-INF/manifest.xml":
			manifest = f
		case f.Name == "content.xml":
			hasContent = true
		}
	}
	if manifest == nil || !hasContent {
		return contentErr("not an OpenDocument text: no content.xml or META-INF/manifest.xml")
	}
	b, err := readSmall(manifest)
	if err != nil {
		return err
	}
	if bytes.Contains(b, []byte("encryption-data")) {
		return contentErr("an encrypted OpenDocument file")
	}
	return nil
}
