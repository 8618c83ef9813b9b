package service

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEdXMLTempDir: the folder for edXML attachments being checked is made
// in data_dir, and what a hub that stopped mid-check left there is removed
// at start; other files are left alone.
func TestEdXMLTempDir(t *testing.T) {
	data := t.TempDir()
	dir, err := edxmlTempDir(data)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dir) != data {
		t.Fatalf("temporary folder %s is not in data_dir %s", dir, data)
	}
	left := filepath.Join(dir, "edxml-123.part")
	other := filepath.Join(dir, "keep.txt")
	for _, f := range []string{left, other} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := edxmlTempDir(data); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("a left-over attachment survived a start: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file was removed: %v", err)
	}
}
