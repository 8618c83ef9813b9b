package pades

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"hash"
	"io"
)

// RangeHasher computes, as a PDF streams through it once, its SHA-256 and
// the SHA-256 of the byte ranges a signature over its last /Contents hex
// string would cover: everything but that string, to the end of the file.
// A hub that hashes an upload to check its digest hashes the signed
// ranges in the same pass, and Verify (given the result in a Prehashed
// source) does not read and hash them again.
//
// It finds the string by its syntax alone ("/Contents", whitespace, "<",
// up to the next ">"): the digest is only a precomputed answer for one
// pair of ranges, which Verify uses when a signature's /ByteRange is
// exactly those ranges and its digest algorithm SHA-256; any other
// signature is hashed from the file as before. It hashes each byte at
// most twice, whatever the input.
type RangeHasher struct {
	full hash.Hash // every byte so far
	pos  int64     // bytes written
	// state of the scan for the last /Contents string
	state   int
	tail    []byte // the last bytes written, up to len(contentsKey)-1, for a key cut between writes
	pending *rangeCandidate
	cand    *rangeCandidate
}

type rangeCandidate struct {
	start, end int64     // the hex string's bytes [start, end), "<" and ">" included
	h          hash.Hash // bytes [0, start), and from end on once end is known
}

const contentsKey = "/Contents"

const (
	scanKey  = iota // looking for contentsKey
	afterKey        // after the key, before its value
	inString        // inside a hex string, up to its ">"
)

// NewRangeHasher returns a RangeHasher at the start of a file.
func NewRangeHasher() *RangeHasher {
	return &RangeHasher{full: sha256.New(), tail: make([]byte, 0, len(contentsKey)-1)}
}

// Write hashes p, the next bytes of the file. It never fails.
func (r *RangeHasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		switch r.state {
		case scanKey:
			i := r.keyEnd(p)
			if i < 0 {
				r.hash(p)
				return n, nil
			}
			r.hash(p[:i])
			p = p[i:]
			r.state = afterKey
		case afterKey:
			i := 0
			for i < len(p) && isSpace(p[i]) {
				i++
			}
			if i > 0 {
				r.hash(p[:i]) // a run of whitespace in one write, however long
				p = p[i:]
				continue
			}
			switch c := p[0]; {
			case c == '<':
				h, err := r.full.(hash.Cloner).Clone()
				if err != nil { // not with crypto/sha256
					r.state = scanKey
					continue
				}
				r.pending = &rangeCandidate{start: r.pos, h: h}
				r.hash(p[:1])
				p = p[1:]
				r.state = inString
			default:
				r.state = scanKey // the byte is looked at again as text
			}
		case inString:
			i := bytes.IndexByte(p, '>')
			if i < 0 {
				r.hash(p)
				return n, nil
			}
			r.hash(p[:i+1])
			p = p[i+1:]
			r.pending.end = r.pos
			r.cand, r.pending = r.pending, nil
			r.state = scanKey
		}
	}
	return n, nil
}

// hash feeds p to the whole file's hash, to the candidate's past its
// string, and keeps its last bytes for a key cut between writes.
func (r *RangeHasher) hash(p []byte) {
	r.full.Write(p)
	if r.cand != nil {
		r.cand.h.Write(p)
	}
	r.pos += int64(len(p))
	if k := cap(r.tail); len(p) >= k {
		r.tail = append(r.tail[:0], p[len(p)-k:]...)
	} else {
		keep := min(len(r.tail), k-len(p))
		r.tail = append(append(r.tail[:0], r.tail[len(r.tail)-keep:]...), p...)
	}
}

// keyEnd returns the index in p just past the next contentsKey, counting
// one begun in the bytes before p, or -1.
func (r *RangeHasher) keyEnd(p []byte) int {
	for k := min(len(r.tail), len(contentsKey)-1); k > 0; k-- {
		rest := contentsKey[k:]
		if bytes.HasSuffix(r.tail, []byte(contentsKey[:k])) && len(p) >= len(rest) && string(p[:len(rest)]) == rest {
			return len(rest)
		}
	}
	if i := bytes.Index(p, []byte(contentsKey)); i >= 0 {
		return i + len(contentsKey)
	}
	return -1
}

// Sum appends the SHA-256 of every byte written to b.
func (r *RangeHasher) Sum(b []byte) []byte { return r.full.Sum(b) }

// Size is SHA-256's size.
func (r *RangeHasher) Size() int { return sha256.Size }

// BlockSize is SHA-256's block size.
func (r *RangeHasher) BlockSize() int { return sha256.BlockSize }

// Reset starts again at the start of a file.
func (r *RangeHasher) Reset() { *r = *NewRangeHasher() }

// Ranges returns the digest of the ranges around the last /Contents hex
// string of the bytes written so far, taken as the whole file; nil when
// there is none.
func (r *RangeHasher) Ranges() *RangeDigests {
	if r.cand == nil {
		return nil
	}
	return &RangeDigests{Size: r.pos, Start: r.cand.start, End: r.cand.end, SHA256: r.cand.h.Sum(nil)}
}

// RangeDigests is what a RangeHasher computed of a file of Size bytes:
// the SHA-256 of its bytes [0, Start) and [End, Size).
type RangeDigests struct {
	Size, Start, End int64
	SHA256           []byte
}

// digest returns the precomputed digest of the ranges br of a file of
// size bytes, or nil when they are not those ranges or h is not SHA-256.
func (rd *RangeDigests) digest(h crypto.Hash, br [4]int64, size int64) []byte {
	if rd == nil || h != crypto.SHA256 || rd.Size != size ||
		br != [4]int64{0, rd.Start, rd.End, size - rd.End} {
		return nil
	}
	return bytes.Clone(rd.SHA256)
}

// Prehashed is a PDF's bytes with the digests of its signed ranges, made
// by a RangeHasher over exactly these bytes as they streamed in. Given to
// Verify as its source, it spares Verify reading and hashing them again.
// The caller answers for Ranges being of these bytes (a hub keys both by
// the file's SHA-256): Verify cannot tell without hashing them.
type Prehashed struct {
	io.ReaderAt
	Ranges *RangeDigests
}
