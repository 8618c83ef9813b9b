package clerk

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/crypto/chacha20poly1305"
)

// The spool holds files in transit: a PDF being signed, an attachment
// being downloaded. A lost laptop must not leak them, so they are written
// encrypted, in chunks sealed with XChaCha20-Poly1305 under a key that lives
// only in this process's memory: files a crashed process left behind cannot
// be read by anyone and are deleted when the store is next opened. (A
// download interrupted by a network failure resumes within the process; one
// interrupted by the clerk's own restart starts again.)

const (
	spoolChunk    = 64 << 10
	spoolOverhead = chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead
	spoolRecord   = spoolChunk + spoolOverhead
)

var errSpoolRange = errors.New("spool: write beyond the end")

// sealedFile is an encrypted spool file: appended to with Write, read and
// patched anywhere with ReadAt and WriteAt. Not safe for concurrent use.
type sealedFile struct {
	f    *os.File
	aead cipher.AEAD
	size int64 // plaintext bytes, tail included
	// tail is the plaintext of the last, partial chunk while it is being
	// appended to; dirty says it is not on disk yet.
	tail  []byte
	dirty bool
}

func newSpoolKey() ([]byte, error) {
	k := make([]byte, chacha20poly1305.KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	return k, nil
}

// openSealed opens or creates an encrypted spool file; an existing file
// that does not decrypt under key (a previous process's) is emptied.
func openSealed(path string, key []byte) (*sealedFile, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	s := &sealedFile{f: f, aead: aead}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if n := fi.Size(); n > 0 {
		full, rest := n/spoolRecord, n%spoolRecord
		s.size = full * spoolChunk
		if rest > 0 {
			s.size += rest - spoolOverhead
		}
		// Check the last chunk: if it does not open, start afresh.
		if rest != 0 && rest <= spoolOverhead || s.checkLast() != nil {
			if err := s.Truncate(); err != nil {
				f.Close()
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *sealedFile) checkLast() error {
	if s.size == 0 {
		return nil
	}
	_, err := s.chunk((s.size - 1) / spoolChunk)
	return err
}

// Truncate empties the file.
func (s *sealedFile) Truncate() error {
	s.size, s.tail, s.dirty = 0, nil, false
	return s.f.Truncate(0)
}

// Size returns the plaintext size.
func (s *sealedFile) Size() int64 { return s.size }

// flush writes the partial last chunk.
func (s *sealedFile) flush() error {
	if !s.dirty {
		return nil
	}
	if err := s.putChunk(s.size/spoolChunk, s.tail); err != nil {
		return err
	}
	s.dirty = false
	return nil
}

// Close writes what is buffered and closes the file.
func (s *sealedFile) Close() error {
	return errors.Join(s.flush(), s.f.Close())
}

func chunkAD(i int64) []byte {
	return binary.BigEndian.AppendUint64([]byte("lienthong spool "), uint64(i))
}

// chunk returns the plaintext of chunk i (a copy).
func (s *sealedFile) chunk(i int64) ([]byte, error) {
	n := min(spoolChunk, s.size-i*spoolChunk)
	if n <= 0 {
		return nil, nil
	}
	if s.tail != nil && i == s.size/spoolChunk {
		return append([]byte(nil), s.tail...), nil
	}
	rec := make([]byte, n+spoolOverhead)
	if _, err := s.f.ReadAt(rec, i*spoolRecord); err != nil {
		return nil, fmt.Errorf("spool: read chunk %d: %w", i, err)
	}
	nonce, ct := rec[:chacha20poly1305.NonceSizeX], rec[chacha20poly1305.NonceSizeX:]
	pt, err := s.aead.Open(ct[:0], nonce, ct, chunkAD(i))
	if err != nil {
		return nil, fmt.Errorf("spool: chunk %d does not decrypt: %w", i, err)
	}
	return pt, nil
}

// putChunk encrypts and writes chunk i.
func (s *sealedFile) putChunk(i int64, pt []byte) error {
	rec := make([]byte, chacha20poly1305.NonceSizeX, len(pt)+spoolOverhead)
	if _, err := rand.Read(rec); err != nil {
		return err
	}
	rec = s.aead.Seal(rec, rec, pt, chunkAD(i))
	_, err := s.f.WriteAt(rec, i*spoolRecord)
	return err
}

// Write appends p.
func (s *sealedFile) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		i := s.size / spoolChunk
		if s.tail == nil {
			cur, err := s.chunk(i) // a partial last chunk on disk, if any
			if err != nil {
				return written, err
			}
			s.tail = append(make([]byte, 0, spoolChunk), cur...)
		}
		n := min(len(p), spoolChunk-len(s.tail))
		s.tail = append(s.tail, p[:n]...)
		s.dirty = true
		if len(s.tail) == spoolChunk {
			if err := s.putChunk(i, s.tail); err != nil {
				return written, err
			}
			s.tail, s.dirty = nil, false
		}
		s.size += int64(n)
		written += n
		p = p[n:]
	}
	return written, nil
}

// ReadAt reads the plaintext at off.
func (s *sealedFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("spool: negative offset")
	}
	read := 0
	for len(p) > 0 {
		if off >= s.size {
			return read, io.EOF
		}
		i := off / spoolChunk
		pt, err := s.chunk(i)
		if err != nil {
			return read, err
		}
		n := copy(p, pt[off-i*spoolChunk:])
		read += n
		off += int64(n)
		p = p[n:]
	}
	return read, nil
}

// WriteAt overwrites plaintext at off, within what was written.
func (s *sealedFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > s.size {
		return 0, errSpoolRange
	}
	written := 0
	for len(p) > 0 {
		i := off / spoolChunk
		pt, err := s.chunk(i)
		if err != nil {
			return written, err
		}
		n := copy(pt[off-i*spoolChunk:], p)
		if s.tail != nil && i == s.size/spoolChunk {
			s.tail, s.dirty = pt, true
		} else if err := s.putChunk(i, pt); err != nil {
			return written, err
		}
		written += n
		off += int64(n)
		p = p[n:]
	}
	return written, nil
}
