package blobs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
)

// Object is a blob on disk.
type Object struct {
	Digest  string
	Size    int64
	ModTime time.Time // when its bytes were written
}

// Objects lists the blobs present, in no particular order. Files in
// objects/ that are not named by a digest are not listed.
func (d *Dir) Objects() ([]Object, error) {
	entries, err := os.ReadDir(filepath.Join(d.root, objectsDir))
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	out := make([]Object, 0, len(entries))
	for _, e := range entries {
		if store.ValidDigest(e.Name()) != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, Object{Digest: e.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
	}
	return out, nil
}

// Remove deletes blobs and makes their removal durable with one fsync of
// the folder. A blob already absent is fine. The caller makes sure no one
// publishes the same digests meanwhile (the store orders the two).
func (d *Dir) Remove(digests ...string) error {
	removed := false
	for _, digest := range digests {
		if err := store.ValidDigest(digest); err != nil {
			return fmt.Errorf("remove blob: %w", err)
		}
		err := os.Remove(d.objectPath(digest))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove blob %s: %w", digest, err)
		}
		removed = removed || err == nil
	}
	if !removed {
		return nil
	}
	if err := d.objectsSync.sync(); err != nil {
		return fmt.Errorf("remove blobs: %w", err)
	}
	return nil
}

// UploadsOf lists the owner's partial uploads with their durable offsets.
func (d *Dir) UploadsOf(owner certs.AgencyCode) ([]store.Upload, error) {
	all, err := d.Uploads()
	if err != nil {
		return nil, err
	}
	suffix := ownerSuffix(owner)
	var out []store.Upload
	for _, up := range all {
		if strings.HasSuffix(up.ID, suffix) {
			up.Owner = owner
			out = append(out, up)
		}
	}
	return out, nil
}
