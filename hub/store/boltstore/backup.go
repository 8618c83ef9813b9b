package boltstore

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"lienthong/hub/store"
	"lienthong/hub/store/blobs"
)

// A backup is a tar stream: DBFile, a copy of the database from one read
// transaction (bbolt's Tx.WriteTo, consistent while writers go on); then
// blobs/objects/<sha256>, the file of every blob that snapshot holds and
// the retention has not removed; last backupInfoName, a BackupInfo that
// says what came before, so that a stream cut short is told from a whole
// one. Blobs written after the snapshot are not in it, and none is needed:
// the snapshot's records name only blobs whose files were durable. While
// a backup runs, the collection of old blobs leaves files in place
// (collectFile), so that a blob the snapshot holds cannot vanish before
// it is copied; the next collection takes them.

const backupInfoName = "backup.json"

// BackupInfo describes a backup.
type BackupInfo struct {
	Taken     time.Time `json:"taken"`
	LogSize   int64     `json:"log_size"` // entries in the snapshot's log
	DBBytes   int64     `json:"db_bytes"`
	Blobs     int       `json:"blobs"`
	BlobBytes int64     `json:"blob_bytes"`
}

// Backup writes a consistent copy of the store to w, as a tar stream that
// Restore reads, while the store goes on serving.
func (s *Store) Backup(ctx context.Context, w io.Writer) (BackupInfo, error) {
	s.backups.Add(1)
	defer s.backups.Add(-1)
	info := BackupInfo{Taken: time.Now().UTC()}
	tw := tar.NewWriter(w)
	var present []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		info.LogSize = int64(counter(tx, logCounter))
		info.DBBytes = tx.Size()
		if err := tw.WriteHeader(&tar.Header{Name: DBFile, Mode: 0o600, Size: tx.Size(), ModTime: info.Taken}); err != nil {
			return err
		}
		if _, err := tx.WriteTo(tw); err != nil {
			return err
		}
		return tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
			var rec blobRecord
			if err := decode(v, &rec); err != nil {
				return fmt.Errorf("decode blob %s: %w", k, err)
			}
			if !rec.Gone {
				present = append(present, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	for _, d := range present {
		if err := ctx.Err(); err != nil {
			return info, fmt.Errorf("backup: %w", err)
		}
		n, err := s.backupBlob(tw, d, info.Taken)
		if err != nil {
			return info, fmt.Errorf("backup: blob %s: %w", d, err)
		}
		info.Blobs++
		info.BlobBytes += n
	}
	meta, err := json.Marshal(info)
	if err != nil {
		return info, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: backupInfoName, Mode: 0o600, Size: int64(len(meta)), ModTime: info.Taken}); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	if _, err := tw.Write(meta); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	if err := tw.Close(); err != nil {
		return info, fmt.Errorf("backup: %w", err)
	}
	return info, nil
}

// WriteBackup is Backup for the hub's control socket (control.Backuper).
func (s *Store) WriteBackup(ctx context.Context, w io.Writer) error {
	_, err := s.Backup(ctx, w)
	return err
}

func (s *Store) backupBlob(tw *tar.Writer, digest string, at time.Time) (int64, error) {
	unlock := s.lockDigest(digest)
	f, err := s.blobs.Open(digest)
	unlock()
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "blobs/objects/" + digest, Mode: 0o600, Size: fi.Size(), ModTime: at}); err != nil {
		return 0, err
	}
	return io.Copy(tw, f)
}

// ErrBadBackup reports a backup stream that is cut short or holds what a
// backup does not.
var ErrBadBackup = errors.New("not a whole backup")

// Restore writes the backup read from r into dir, which must not exist or
// be empty, as a store Open can open: the database file and every blob,
// each checked against its digest and made durable. A stream cut short
// (no closing BackupInfo) is ErrBadBackup, and dir then holds an
// incomplete copy the operator must delete.
func Restore(ctx context.Context, r io.Reader, dir string) (BackupInfo, error) {
	var info BackupInfo
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return info, fmt.Errorf("restore into %s: the folder is not empty", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	bd, err := blobs.Open(filepath.Join(dir, "blobs"), blobs.Options{MaxSize: 1 << 62})
	if err != nil {
		return info, fmt.Errorf("restore into %s: %w", dir, err)
	}
	tr := tar.NewReader(r)
	body := cutReader{tr}
	var haveDB, done bool
	blobCount := 0
	for !done {
		h, err := tr.Next()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return info, fmt.Errorf("restore: %w: %w", ErrBadBackup, err)
		}
		switch name := h.Name; {
		case name == DBFile && !haveDB:
			if err := writeSynced(filepath.Join(dir, DBFile), body); err != nil {
				return info, fmt.Errorf("restore: %w", err)
			}
			haveDB = true
		case strings.HasPrefix(name, "blobs/objects/") && haveDB:
			digest := strings.TrimPrefix(name, "blobs/objects/")
			if err := store.ValidDigest(digest); err != nil {
				return info, fmt.Errorf("restore: %w: %q", ErrBadBackup, name)
			}
			if _, err := bd.Put(ctx, digest, body); err != nil {
				return info, fmt.Errorf("restore: blob %s: %w", digest, err)
			}
			blobCount++
		case name == backupInfoName && haveDB:
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&info); err != nil {
				return info, fmt.Errorf("restore: %w: %w", ErrBadBackup, err)
			}
			if info.Blobs != blobCount {
				return info, fmt.Errorf("restore: %w: %d blobs, its summary says %d", ErrBadBackup, blobCount, info.Blobs)
			}
			done = true
		default:
			return info, fmt.Errorf("restore: %w: unexpected %q", ErrBadBackup, name)
		}
	}
	if err := syncDir(dir); err != nil {
		return info, fmt.Errorf("restore: %w", err)
	}
	return info, nil
}

// cutReader reads a file of the backup, telling a stream that ends inside
// it (which io.ReadFull and so blobs.Put would take for the file's end).
type cutReader struct{ r io.Reader }

var errCut = fmt.Errorf("%w: the stream ends inside a file", ErrBadBackup)

func (c cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.ErrUnexpectedEOF {
		err = errCut
	}
	return n, err
}

func writeSynced(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
