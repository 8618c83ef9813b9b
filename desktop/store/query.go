package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"lienthong/shared/document"
	"lienthong/shared/vnsearch"

	bolt "go.etcd.io/bbolt"
)

// Filter narrows a list. Zero fields do not filter; set fields must all
// hold.
type Filter struct {
	Unread    bool
	Overdue   bool // the due date has passed and processing is not done
	DueSoon   bool // due within Query.SoonDays days from today, not done
	Statuses  []document.Status
	Urgencies []document.Urgency
	Secrecies []document.Secrecy
}

func (f *Filter) empty() bool {
	return !f.Unread && !f.Overdue && !f.DueSoon && len(f.Statuses) == 0 && len(f.Urgencies) == 0 && len(f.Secrecies) == 0
}

// Query is a page of a list.
type Query struct {
	Box    Box
	Filter Filter
	Sort   SortBy
	Desc   bool
	Offset int
	Limit  int // 0 means 50
	// Now is the time overdue and due-soon are judged at (Vietnam date);
	// zero means time.Now().
	Now time.Time
	// SoonDays is the due-soon window in days; 0 means DefaultSoonDays.
	SoonDays int
}

// DefaultSoonDays is the due-soon window: today and the next three days.
const DefaultSoonDays = 3

type matcher struct {
	f          Filter
	today, end uint32
	statuses   []uint8
}

func newMatcher(q *Query) *matcher {
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	soon := q.SoonDays
	if soon <= 0 {
		soon = DefaultSoonDays
	}
	today := dayNumber(document.DateOf(now))
	m := &matcher{f: q.Filter, today: today, end: today + uint32(soon)}
	for _, s := range q.Filter.Statuses {
		m.statuses = append(m.statuses, statusByte(s))
	}
	return m
}

func (m *matcher) match(fl indexFlags) bool {
	f := &m.f
	done := fl.flags&flagDone != 0
	switch {
	case f.Unread && fl.flags&flagRead != 0:
		return false
	case f.Overdue && (done || fl.due == noDeadline || fl.due >= m.today):
		return false
	case f.DueSoon && (done || fl.due == noDeadline || fl.due < m.today || fl.due > m.end):
		return false
	case len(m.statuses) > 0 && !slices.Contains(m.statuses, fl.status):
		return false
	case len(f.Urgencies) > 0 && !slices.Contains(f.Urgencies, document.Urgency(fl.urgency)):
		return false
	case len(f.Secrecies) > 0 && !slices.Contains(f.Secrecies, document.Secrecy(fl.secrecy)):
		return false
	}
	return true
}

// List returns a page of a box, sorted and filtered. It walks one sort
// index from the page's end without decrypting anything but the rows it
// returns.
func (s *Store) List(q Query) ([]Summary, error) {
	if !q.Box.Valid() {
		return nil, fmt.Errorf("list: box %v", q.Box)
	}
	if _, ok := bucketIndex[q.Sort]; !ok {
		return nil, fmt.Errorf("list: unknown sort %d", q.Sort)
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	m := newMatcher(&q)
	var out []Summary
	err := s.view("list documents", func(tx *bolt.Tx) error {
		var seqs []uint64
		var flags [][]byte
		skip := q.Offset
		err := walkBox(tx.Bucket(bucketIndex[q.Sort]).Cursor(), q.Box, q.Desc, func(k, v []byte) (bool, error) {
			fl, err := decodeFlags(v)
			if err != nil {
				return false, err
			}
			if !m.match(fl) {
				return true, nil
			}
			if skip > 0 {
				skip--
				return true, nil
			}
			seqs = append(seqs, seqOfKey(k))
			flags = append(flags, v[:flagsSize])
			return len(seqs) < q.Limit, nil
		})
		if err != nil {
			return err
		}
		for i, seq := range seqs {
			// The index entry must agree with the authenticated summary.
			m, err := s.loadSumm(tx, seq)
			if err != nil {
				return err
			}
			if !bytes.Equal(flags[i], m.flagBytes()) || m.box != q.Box {
				return fmt.Errorf("%w: index entry of %d disagrees with its summary", ErrCorrupt, seq)
			}
			sm, err := s.summary(tx, seq)
			if err != nil {
				return err
			}
			out = append(out, sm)
		}
		return nil
	})
	return out, err
}

// walkBox visits the entries of an index whose keys start with box, in
// ascending or descending order, until fn returns false.
func walkBox(c *bolt.Cursor, box Box, desc bool, fn func(k, v []byte) (bool, error)) error {
	var k, v []byte
	if desc {
		k, v = c.Seek([]byte{byte(box) + 1})
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		k, v = c.Seek([]byte{byte(box)})
	}
	for k != nil && k[0] == byte(box) {
		if len(k) < 9 {
			return fmt.Errorf("%w: index key", ErrCorrupt)
		}
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
		if desc {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
	return nil
}

// Count returns how many documents of a box pass the filter of q.
func (s *Store) Count(q Query) (int, error) {
	n := 0
	err := s.view("count documents", func(tx *bolt.Tx) error {
		if q.Filter.empty() {
			if v := tx.Bucket(bucketMeta).Get(countKey(q.Box)); len(v) == 8 {
				n = int(binary.BigEndian.Uint64(v))
			}
			return nil
		}
		m := newMatcher(&q)
		return walkBox(tx.Bucket(bucketIndex[SortDate]).Cursor(), q.Box, false, func(k, v []byte) (bool, error) {
			fl, err := decodeFlags(v)
			if err != nil {
				return false, err
			}
			if m.match(fl) {
				n++
			}
			return true, nil
		})
	})
	return n, err
}

// Overdue lists up to limit documents of a box whose due date is before
// now's date in Vietnam and whose processing is not done, earliest
// deadline first.
func (s *Store) Overdue(box Box, now time.Time, limit int) ([]Summary, error) {
	return s.List(Query{Box: box, Sort: SortDeadline, Filter: Filter{Overdue: true}, Now: now, Limit: limit})
}

// DueSoon lists up to limit documents of a box due from now's date to
// days later, not done, earliest first.
func (s *Store) DueSoon(box Box, now time.Time, days, limit int) ([]Summary, error) {
	return s.List(Query{Box: box, Sort: SortDeadline, Filter: Filter{DueSoon: true}, Now: now, SoonDays: days, Limit: limit})
}

// Search returns up to limit documents of a box (0 means 50), newest first,
// after skipping offset matches, whose metadata matches text as vnsearch
// does: every word of text starts some word of the number and notation,
// type, subject, agencies, signer, "nơi nhận" lines, appendix titles,
// place or arrival number (số đến), with or without diacritics ("cong van"
// finds "Công văn").
func (s *Store) Search(box Box, text string, offset, limit int) ([]Summary, error) {
	if limit <= 0 {
		limit = 50
	}
	q := vnsearch.NewQuery(text)
	var out []Summary
	err := s.view("search documents", func(tx *bolt.Tx) error {
		var seqs []uint64
		confirm := func(seq uint64) (bool, error) {
			if !q.Empty() {
				w, err := s.getSealed(tx, bucketWords, u64(seq))
				if err != nil {
					return false, err
				}
				if !q.MatchFolded(string(w)) {
					return true, nil
				}
			}
			if offset > 0 {
				offset--
				return true, nil
			}
			seqs = append(seqs, seq)
			return len(seqs) < limit, nil
		}
		var prefixes [][]byte
		seen := map[string]bool{}
		for _, w := range q.Words() {
			if t := queryTerm(w); t != "" && !seen[t] {
				seen[t] = true
				prefixes = append(prefixes, append(s.c.hash("w", t), byte(box)))
			}
		}
		var err error
		if len(prefixes) == 0 {
			err = scanNewest(tx, box, confirm)
		} else {
			err = join(tx.Bucket(bucketSearch), prefixes, confirm)
		}
		if err != nil {
			return err
		}
		for _, seq := range seqs {
			sm, err := s.summary(tx, seq)
			if err != nil {
				return err
			}
			out = append(out, sm)
		}
		return nil
	})
	return out, err
}

// scanNewest visits every document of a box, newest first.
func scanNewest(tx *bolt.Tx, box Box, fn func(seq uint64) (bool, error)) error {
	c := tx.Bucket(bucketSumm).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		if len(k) != 8 || len(v) == 0 {
			return fmt.Errorf("%w: summary key", ErrCorrupt)
		}
		if Box(v[0]) != box {
			continue
		}
		more, err := fn(binary.BigEndian.Uint64(k))
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// join visits, newest first, the documents present under every prefix of
// the search index, leaping each cursor to the others' position.
func join(b *bolt.Bucket, prefixes [][]byte, fn func(seq uint64) (bool, error)) error {
	cs := make([]*bolt.Cursor, len(prefixes))
	for i := range cs {
		cs[i] = b.Cursor()
	}
	target := uint64(math.MaxUint64)
	for {
		agreed := true
		for i, c := range cs {
			seq, ok := seekLE(c, prefixes[i], target)
			if !ok {
				return nil
			}
			if seq < target {
				target = seq
				agreed = i == 0
				if !agreed {
					break
				}
			}
		}
		if !agreed {
			continue
		}
		// every cursor sits at target
		more, err := fn(target)
		if err != nil || !more || target == 0 {
			return err
		}
		target--
	}
}

// seekLE returns the greatest seq <= target under prefix.
func seekLE(c *bolt.Cursor, prefix []byte, target uint64) (uint64, bool) {
	want := binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), target)
	k, _ := c.Seek(want)
	if k != nil && bytes.Equal(k, want) {
		return target, true
	}
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil || len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) {
		return 0, false
	}
	return binary.BigEndian.Uint64(k[len(prefix):]), true
}
