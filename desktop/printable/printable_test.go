package printable

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func register(rows int) Table {
	t := Table{
		Title: "SỔ ĐĂNG KÝ VĂN BẢN ĐI — NĂM 2026",
		Columns: []string{"Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung văn bản", "Người ký",
			"Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận", "Ghi chú"},
		Widths: []float64{1.2, 1, 3.2, 1.3, 1.8, 1.2, 0.7, 1, 0.8, 1},
	}
	for i := 1; i <= rows; i++ {
		t.Rows = append(t.Rows, []string{
			fmt.Sprintf("%d/UBND-VP", i), "23/11/2026",
			"Công văn về việc triển khai Trục liên thông văn bản quốc gia tới các sở, ban, ngành và Ủy ban nhân dân các huyện, thị xã, thành phố",
			"Nguyễn Văn Hùng", "Ủy ban nhân dân tỉnh Nghệ An; Văn phòng Chính phủ", "Lưu: VT", "2", "23/11/2026", "", "",
		})
	}
	return t
}

func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed to check the PDF (poppler-utils, qpdf: make deps installs them)", name)
	}
	return p
}

func TestRegisterPDF(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "register.pdf")
	var buf bytes.Buffer
	if err := Write(&buf, register(40)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool(t, "qpdf"), "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	info, err := exec.Command(tool(t, "pdfinfo"), path).Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := regexp.MustCompile(`Pages:\s+(\d+)`).FindSubmatch(info)
	if n, _ := strconv.Atoi(string(pages[1])); pages == nil || n < 2 || !strings.Contains(string(info), "841.89 x 595.276 pts") && !strings.Contains(string(info), "842 x 595 pts") {
		t.Fatalf("40 long rows should take several A4 landscape pages:\n%s", info)
	}
	prefix := filepath.Join(dir, "page")
	if out, err := exec.Command(tool(t, "pdftoppm"), "-png", "-r", "60", "-f", "1", "-l", "1", path, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	matches, _ := filepath.Glob(prefix + "*.png")
	if len(matches) != 1 {
		t.Fatalf("rendered %v", matches)
	}
	f, _ := os.Open(matches[0])
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	dark := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				dark++
			}
		}
	}
	if dark < b.Dx()*b.Dy()/100 {
		t.Fatalf("page 1 is nearly blank: %d dark pixels", dark)
	}
	if os.Getenv("PRINTABLE_KEEP") != "" {
		os.WriteFile(os.Getenv("PRINTABLE_KEEP"), mustRead(matches[0]), 0o644)
	}
}

func mustRead(p string) []byte { b, _ := os.ReadFile(p); return b }

func TestWrap(t *testing.T) {
	lines, err := wrap("Về việc triển khai Trục liên thông văn bản", 60)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) < 2 || strings.Join(lines, " ") != "Về việc triển khai Trục liên thông văn bản" {
		t.Fatalf("wrapped into %q", lines)
	}
	for _, l := range lines {
		if ok, _ := fits(l, 60); !ok {
			t.Errorf("line %q is wider than the cell", l)
		}
	}
	long, err := wrap(strings.Repeat("Đ", 40), 30)
	if err != nil || len(long) < 2 || strings.Join(long, "") != strings.Repeat("Đ", 40) {
		t.Fatalf("a word wider than the cell: %q %v", long, err)
	}
}

func TestRefusals(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Table{}); err != ErrNoColumns {
		t.Fatalf("no columns: %v", err)
	}
	if err := Write(&buf, Table{Columns: []string{"a", "b"}, Widths: []float64{1}}); err == nil {
		t.Fatal("widths of the wrong count accepted")
	}
	if err := Write(&buf, Table{Columns: []string{"a"}, Rows: [][]string{{"bell \a"}}}); err == nil {
		t.Fatal("a control character was printed")
	}
}
