package wire

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestAPIDocumentCodes walks the error-code table of docs/API.md, the
// document outside vendors implement: every code in it exists here with
// the documented HTTP status and retry advice, and every code here is in
// it.
func TestAPIDocumentCodes(t *testing.T) {
	doc, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Errors\n")
	if !ok {
		t.Fatal("docs/API.md has no Errors section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| (\\d{3}) \\| [^|]+ \\| ([^|]+) \\|$")
	documented := map[Code]bool{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		code, retry := Code(m[1]), strings.TrimSpace(m[3])
		status, _ := strconv.Atoi(m[2])
		documented[code] = true
		want, ok := statusOf[code]
		switch {
		case !ok:
			t.Errorf("docs/API.md documents %s, which package wire does not have", code)
		case want != status:
			t.Errorf("docs/API.md gives %s HTTP %d, package wire %d", code, status, want)
		case code.Retryable() != !strings.HasPrefix(retry, "no"):
			t.Errorf("docs/API.md says retry %q for %s, package wire Retryable() = %v", retry, code, code.Retryable())
		}
	}
	for code := range statusOf {
		if !documented[code] {
			t.Errorf("%s is missing from docs/API.md's error table", code)
		}
	}
	if len(documented) == 0 {
		t.Fatal("no row read from docs/API.md's error table")
	}
}

// TestAPIDocumentReturns checks docs/API.md's list of the answers that
// refuse a document for good against Code.Returns, and that none of them
// is retryable.
func TestAPIDocumentReturns(t *testing.T) {
	doc, err := os.ReadFile("../../docs/API.md")
	if err != nil {
		t.Fatal(err)
	}
	_, para, ok := strings.Cut(string(doc), "\nRefused for good: ")
	if !ok {
		t.Fatal(`docs/API.md has no "Refused for good" paragraph`)
	}
	para, _, _ = strings.Cut(para, "\n\n")
	para, _, _ = strings.Cut(para, " will never")
	listed := map[Code]bool{}
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(para, -1) {
		listed[Code(m[1])] = true
	}
	for code := range statusOf {
		if code.Returns() != listed[code] {
			t.Errorf("%s: docs/API.md lists it %v, Returns() = %v", code, listed[code], code.Returns())
		}
		if code.Returns() && code.Retryable() {
			t.Errorf("%s both returns a document and is retryable", code)
		}
	}
	if len(listed) == 0 {
		t.Fatal("no code read from the paragraph")
	}
}
