package store

import (
	"bytes"
	"crypto/hmac"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"lienthong/shared/document"

	bolt "go.etcd.io/bbolt"
)

// Box says whether a document was sent or received.
type Box uint8

// The boxes.
const (
	Incoming Box = 1 // văn bản đến
	Outgoing Box = 2 // văn bản đi
)

func (b Box) String() string {
	switch b {
	case Incoming:
		return "incoming"
	case Outgoing:
		return "outgoing"
	}
	return "box(" + strconv.Itoa(int(b)) + ")"
}

// Valid reports Incoming or Outgoing.
func (b Box) Valid() bool { return b == Incoming || b == Outgoing }

// SortBy is a column a list can be sorted by.
type SortBy uint8

// The sort columns. Ties are broken by the order documents were stored in.
const (
	SortDate     SortBy = iota // promulgation date
	SortNumber                 // số, by value
	SortAgency                 // the issuing agency (incoming) or the first recipient (outgoing), by folded name
	SortSubject                // trích yếu, folded
	SortUrgency                // độ khẩn
	SortStatus                 // business status code
	SortDeadline               // due date; documents without one come last
)

var sortOrder = []SortBy{SortDate, SortNumber, SortAgency, SortSubject, SortUrgency, SortStatus, SortDeadline}

func (s SortBy) ranked() bool { return s == SortAgency || s == SortSubject }

// summary flags.
const (
	flagRead = 1 << iota
	flagDone
	flagReturned // an outgoing document the hub returned (Store.Return)
)

const (
	summSize   = 1 + 1 + 1 + 1 + 1 + 8 + 4 + 4 + 8 + 8
	flagsSize  = 8
	noDeadline = math.MaxUint32
)

// summ is what the indexes need of a document, stored in the clear.
type summ struct {
	box      Box
	flags    uint8
	status   uint8 // the status code as a number, 0 for none
	urgency  uint8
	secrecy  uint8
	number   uint64
	date     uint32 // day number, see dayNumber
	due      uint32 // day number, noDeadline for none
	rankAgcy uint64
	rankSubj uint64
}

func (m summ) encode() []byte {
	b := make([]byte, 0, summSize)
	b = append(b, byte(m.box), m.flags, m.status, m.urgency, m.secrecy)
	b = binary.BigEndian.AppendUint64(b, m.number)
	b = binary.BigEndian.AppendUint32(b, m.date)
	b = binary.BigEndian.AppendUint32(b, m.due)
	b = binary.BigEndian.AppendUint64(b, m.rankAgcy)
	return binary.BigEndian.AppendUint64(b, m.rankSubj)
}

func decodeSumm(b []byte) (summ, error) {
	var m summ
	if len(b) != summSize {
		return m, fmt.Errorf("%w: summary length %d", ErrCorrupt, len(b))
	}
	m.box, m.flags, m.status, m.urgency, m.secrecy = Box(b[0]), b[1], b[2], b[3], b[4]
	if !m.box.Valid() {
		return m, fmt.Errorf("%w: summary box %d", ErrCorrupt, b[0])
	}
	m.number = binary.BigEndian.Uint64(b[5:])
	m.date = binary.BigEndian.Uint32(b[13:])
	m.due = binary.BigEndian.Uint32(b[17:])
	m.rankAgcy = binary.BigEndian.Uint64(b[21:])
	m.rankSubj = binary.BigEndian.Uint64(b[29:])
	return m, nil
}

// flagBytes is the value of every index entry: what filters look at.
func (m summ) flagBytes() []byte {
	b := []byte{m.flags, m.status, m.urgency, m.secrecy}
	return binary.BigEndian.AppendUint32(b, m.due)
}

// indexFlags is the decoded value of an index entry.
type indexFlags struct {
	flags, status, urgency, secrecy uint8
	due                             uint32
}

func decodeFlags(b []byte) (indexFlags, error) {
	if len(b) < flagsSize {
		return indexFlags{}, fmt.Errorf("%w: index entry length %d", ErrCorrupt, len(b))
	}
	return indexFlags{b[0], b[1], b[2], b[3], binary.BigEndian.Uint32(b[4:])}, nil
}

// dayNumber maps a date to an unsigned day count that sorts like the date.
func dayNumber(d document.Date) uint32 {
	if d.IsZero() {
		return 0
	}
	days := (d.Time().Unix() + 7*3600) / 86400
	return uint32(int64(days) + 1<<31)
}

// numberValue reads a document number by value: "01" and "1" are 1.
func numberValue(s string) uint64 {
	n, err := strconv.ParseUint(strings.TrimLeft(s, "0"), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

func statusByte(s document.Status) uint8 {
	n, _ := strconv.Atoi(string(s))
	return uint8(n)
}

func statusOf(b uint8) document.Status {
	if b == 0 {
		return ""
	}
	return document.Status(fmt.Sprintf("%02d", b))
}

// sortKey is the middle part of an index key: the value sorted on.
func (m summ) sortKey(by SortBy) []byte {
	switch by {
	case SortDate:
		return binary.BigEndian.AppendUint32(nil, m.date)
	case SortNumber:
		return binary.BigEndian.AppendUint64(nil, m.number)
	case SortAgency:
		return binary.BigEndian.AppendUint64(nil, m.rankAgcy)
	case SortSubject:
		return binary.BigEndian.AppendUint64(nil, m.rankSubj)
	case SortUrgency:
		return []byte{m.urgency}
	case SortStatus:
		return []byte{m.status}
	case SortDeadline:
		return binary.BigEndian.AppendUint32(nil, m.due)
	}
	panic("unknown sort")
}

func indexKey(box Box, mid []byte, seq uint64) []byte {
	k := make([]byte, 0, 1+len(mid)+8)
	k = append(k, byte(box))
	k = append(k, mid...)
	return binary.BigEndian.AppendUint64(k, seq)
}

func seqOfKey(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }

// putIndexes writes every index entry of document seq. texts are the
// folded agency and subject for the ranked indexes, sealed beside them.
func (s *Store) putIndexes(tx *bolt.Tx, seq uint64, m summ, agency, subject string) (summ, error) {
	var err error
	if m.rankAgcy, err = s.rankFor(tx, SortAgency, m.box, agency); err != nil {
		return m, err
	}
	if m.rankSubj, err = s.rankFor(tx, SortSubject, m.box, subject); err != nil {
		return m, err
	}
	for _, by := range sortOrder {
		b := bucketIndex[by]
		k := indexKey(m.box, m.sortKey(by), seq)
		v := m.flagBytes()
		switch by {
		case SortAgency:
			v = append(v, s.c.seal(b, k, []byte(agency))...)
		case SortSubject:
			v = append(v, s.c.seal(b, k, []byte(subject))...)
		}
		if err := tx.Bucket(b).Put(k, v); err != nil {
			return m, fmt.Errorf("put index: %w", err)
		}
	}
	sb := tx.Bucket(bucketSumm)
	sb.FillPercent = 0.9
	return m, sb.Put(u64(seq), s.summValue(seq, m))
}

// updateSumm rewrites the summary and index entries of seq after its
// flags or status changed; the ranks stay.
func (s *Store) updateSumm(tx *bolt.Tx, seq uint64, old, m summ) error {
	for _, by := range sortOrder {
		b := tx.Bucket(bucketIndex[by])
		ok, nk := indexKey(old.box, old.sortKey(by), seq), indexKey(m.box, m.sortKey(by), seq)
		v := b.Get(ok)
		if v == nil || len(v) < flagsSize {
			return fmt.Errorf("%w: index entry missing", ErrCorrupt)
		}
		nv := append(m.flagBytes(), v[flagsSize:]...)
		if !bytes.Equal(ok, nk) {
			if by.ranked() {
				return fmt.Errorf("rank of a document cannot change")
			}
			if err := b.Delete(ok); err != nil {
				return err
			}
		}
		if err := b.Put(nk, nv); err != nil {
			return fmt.Errorf("update index: %w", err)
		}
	}
	return tx.Bucket(bucketSumm).Put(u64(seq), s.summValue(seq, m))
}

func (s *Store) loadSumm(tx *bolt.Tx, seq uint64) (summ, error) {
	v := tx.Bucket(bucketSumm).Get(u64(seq))
	if v == nil {
		return summ{}, fmt.Errorf("%w: summary of %d missing", ErrCorrupt, seq)
	}
	if len(v) != summSize+indexHashSize || !hmac.Equal(v[summSize:], s.c.hash("summ", string(u64(seq))+string(v[:summSize]))) {
		return summ{}, fmt.Errorf("%w: summary of %d fails authentication", ErrCorrupt, seq)
	}
	return decodeSumm(v[:summSize])
}

// summValue is a summary as stored: in the clear, so that listing needs
// no decryption, with a keyed hash binding it to its document so that
// damage is detected.
func (s *Store) summValue(seq uint64, m summ) []byte {
	b := m.encode()
	return append(b, s.c.hash("summ", string(u64(seq))+string(b))...)
}

// rankFor returns the rank of text among the ranked index by of box: the
// rank of an equal text if there is one, otherwise a fresh rank between its
// neighbours, found by binary search over the key space. Ranks 0 and
// MaxUint64 are never given; they stand for "before all" and "after all".
func (s *Store) rankFor(tx *bolt.Tx, by SortBy, box Box, text string) (uint64, error) {
	for attempt := 0; attempt < 2; attempt++ {
		r, ok, err := s.searchRank(tx, by, box, text)
		if err != nil || ok {
			return r, err
		}
		if err := s.renumber(tx, by, box); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("no free rank after renumbering")
}

const appendStep = 1 << 40

func (s *Store) searchRank(tx *bolt.Tx, by SortBy, box Box, text string) (uint64, bool, error) {
	bn := bucketIndex[by]
	c := tx.Bucket(bn).Cursor()
	var lo, hi uint64 = 0, math.MaxUint64
	for {
		mid := lo + (hi-lo)/2
		k, v := c.Seek(indexKey(box, binary.BigEndian.AppendUint64(nil, mid), 0))
		r, found := uint64(0), false
		if k != nil && k[0] == byte(box) && len(k) == 17 {
			r = binary.BigEndian.Uint64(k[1:9])
			found = r > lo && r < hi
		}
		if !found {
			if k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
			if k != nil && k[0] == byte(box) && len(k) == 17 {
				r = binary.BigEndian.Uint64(k[1:9])
				found = r > lo && r < hi
			}
		}
		if !found {
			break
		}
		if len(v) < flagsSize {
			return 0, false, fmt.Errorf("%w: ranked index entry", ErrCorrupt)
		}
		other, err := s.c.open(bn, k, v[flagsSize:])
		if err != nil {
			return 0, false, err
		}
		switch cmp := strings.Compare(text, string(other)); {
		case cmp == 0:
			return r, true, nil
		case cmp < 0:
			hi = r
		default:
			lo = r
		}
	}
	var r uint64
	switch {
	case lo == 0 && hi == math.MaxUint64:
		r = 1 << 63
	case hi == math.MaxUint64:
		r = lo + min((hi-lo)/2, appendStep)
	case lo == 0:
		r = hi - min(hi/2, appendStep)
	default:
		r = lo + (hi-lo)/2
	}
	if r == lo || r == hi {
		return 0, false, nil
	}
	return r, true, nil
}

// renumber spreads the ranks of a ranked index evenly over the key space
// when two neighbours left no room between them.
func (s *Store) renumber(tx *bolt.Tx, by SortBy, box Box) error {
	bn := bucketIndex[by]
	b := tx.Bucket(bn)
	type entry struct {
		rank, seq uint64
		flags     []byte
		text      []byte
	}
	var entries []entry
	distinct := 0
	c := b.Cursor()
	for k, v := c.Seek([]byte{byte(box)}); k != nil && k[0] == byte(box); k, v = c.Next() {
		if len(k) != 17 || len(v) < flagsSize {
			return fmt.Errorf("%w: ranked index entry", ErrCorrupt)
		}
		text, err := s.c.open(bn, k, v[flagsSize:])
		if err != nil {
			return err
		}
		e := entry{binary.BigEndian.Uint64(k[1:9]), seqOfKey(k), append([]byte(nil), v[:flagsSize]...), text}
		if len(entries) == 0 || entries[len(entries)-1].rank != e.rank {
			distinct++
		}
		entries = append(entries, e)
	}
	for _, e := range entries {
		if err := b.Delete(indexKey(box, binary.BigEndian.AppendUint64(nil, e.rank), e.seq)); err != nil {
			return err
		}
	}
	step := math.MaxUint64 / uint64(distinct+1)
	n, prev := uint64(0), uint64(0)
	for i, e := range entries {
		if i == 0 || e.rank != prev {
			n++
		}
		prev = e.rank
		nr := n * step
		k := indexKey(box, binary.BigEndian.AppendUint64(nil, nr), e.seq)
		if err := b.Put(k, append(e.flags, s.c.seal(bn, k, e.text)...)); err != nil {
			return err
		}
		m, err := s.loadSumm(tx, e.seq)
		if err != nil {
			return err
		}
		if by == SortAgency {
			m.rankAgcy = nr
		} else {
			m.rankSubj = nr
		}
		if err := tx.Bucket(bucketSumm).Put(u64(e.seq), s.summValue(e.seq, m)); err != nil {
			return err
		}
	}
	s.log.Info("store renumbered sort index", "index", string(bn), "entries", len(entries))
	return nil
}

// maxPrefix is the longest word prefix the search index holds. Folded
// Vietnamese syllables rarely have more than six letters ("nguyen",
// "truong"), so the index answers nearly every query word exactly.
const maxPrefix = 6

// Search index: the keyed hash of every prefix of every word, up to
// maxPrefix letters. A query word is looked up by its first maxPrefix
// letters (all of it if shorter), which finds the documents having a word
// it starts, or a superset for longer query words; the encrypted word
// list confirms each candidate.
func indexTerms(words []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range words {
		r := []rune(w)
		for n := 1; n <= min(maxPrefix, len(r)); n++ {
			if t := string(r[:n]); !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// queryTerm is the index term a query word is looked up by.
func queryTerm(w string) string {
	r := []rune(w)
	return string(r[:min(maxPrefix, len(r))])
}

func searchKey(hash []byte, box Box, seq uint64) []byte {
	k := make([]byte, 0, indexHashSize+1+8)
	k = append(k, hash...)
	k = append(k, byte(box))
	return binary.BigEndian.AppendUint64(k, seq)
}

func (s *Store) putSearch(tx *bolt.Tx, box Box, seq uint64, words []string) error {
	b := tx.Bucket(bucketSearch)
	for _, t := range indexTerms(words) {
		k := searchKey(s.c.hash("w", t), box, seq)
		if s.bulk != nil {
			s.bulk.search = append(s.bulk.search, k)
			continue
		}
		if err := b.Put(k, nil); err != nil {
			return fmt.Errorf("put search index: %w", err)
		}
	}
	return s.putSealed(tx, bucketWords, u64(seq), []byte(strings.Join(words, " ")))
}

// bulkLoad collects the search keys of many documents stored in one
// transaction, so that they are inserted in key order: bbolt splits nodes
// only at commit, and random inserts into one growing node cost a copy of
// the node each.
type bulkLoad struct {
	search [][]byte
}

// saveMany stores many documents of a box in one transaction, faster than
// one by one.
func (s *Store) saveMany(box Box, nds []*NewDocument) error {
	return s.update("save documents", func(tx *bolt.Tx) error {
		s.bulk = &bulkLoad{}
		defer func() { s.bulk = nil }()
		for _, nd := range nds {
			if _, err := s.putDocument(tx, box, nd); err != nil {
				return err
			}
		}
		keys := s.bulk.search
		slices.SortFunc(keys, bytes.Compare)
		b := tx.Bucket(bucketSearch)
		for _, k := range keys {
			if err := b.Put(k, nil); err != nil {
				return fmt.Errorf("put search index: %w", err)
			}
		}
		return nil
	})
}
