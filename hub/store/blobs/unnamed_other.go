//go:build !linux

package blobs

import (
	"errors"
	"os"
)

func openUnnamed(dir string) (*os.File, error) { return nil, errors.ErrUnsupported }

func linkUnnamed(f *os.File, path string) error { return errors.ErrUnsupported }
