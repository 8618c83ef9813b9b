package certs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists reports a file that would be overwritten.
var ErrExists = errors.New("file exists")

// WriteNewFile writes data to path, which must not exist yet. The bytes go
// to a temporary file in the same folder, are synced, and are linked to
// path only when complete, so a crash leaves either nothing or the whole
// file; an existing path is never replaced.
func WriteNewFile(path string, data []byte, perm fs.FileMode) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%w: %s (refusing to overwrite it)", ErrExists, path)
	}
	return writeVia(path, data, perm, func(tmp string) error {
		err := os.Link(tmp, path)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s (refusing to overwrite it)", ErrExists, path)
		}
		return err
	})
}

// ReplaceFile atomically replaces path with data (temporary file, sync,
// rename, sync of the folder). It is for state the PKI itself rewrites,
// such as its CRL.
func ReplaceFile(path string, data []byte, perm fs.FileMode) error {
	return writeVia(path, data, perm, func(tmp string) error { return os.Rename(tmp, path) })
}

// writeVia writes data to a synced temporary file beside path, lets place
// put it at path, and syncs the folder.
func writeVia(path string, data []byte, perm fs.FileMode, place func(tmp string) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(perm)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := place(tmp.Name()); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
