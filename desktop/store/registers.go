package store

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"lienthong/shared/document"

	bolt "go.etcd.io/bbolt"
)

// MaxSeries bounds a register series name.
const MaxSeries = 32

func outRegisterKey(year int, series string) []byte {
	return []byte("out/" + strconv.Itoa(year) + "/" + series)
}

func inRegisterKey(year int) []byte { return []byte("in/" + strconv.Itoa(year)) }

func (s *Store) next(tx *bolt.Tx, key []byte) (uint64, error) {
	b := tx.Bucket(bucketRegs)
	var n uint64
	if v := b.Get(key); v != nil {
		if len(v) != 8 {
			return 0, fmt.Errorf("%w: register counter", ErrCorrupt)
		}
		n = binary.BigEndian.Uint64(v)
	}
	n++
	return n, b.Put(key, u64(n))
}

func (s *Store) raiseRegister(tx *bolt.Tx, key []byte, n uint64) error {
	b := tx.Bucket(bucketRegs)
	if v := b.Get(key); len(v) == 8 && binary.BigEndian.Uint64(v) >= n {
		return nil
	}
	return b.Put(key, u64(n))
}

// NextNumber reserves the next number of the outgoing register for the
// year of at, in Vietnam time (document.RegisterYear), and the series (""
// for the main series; secret documents have their own). Numbers start at
// 1 each year. The reservation is one transaction: two calls never get the
// same number, and a number once returned is never returned again.
func (s *Store) NextNumber(series string, at time.Time) (int, error) {
	if len(series) > MaxSeries {
		return 0, fmt.Errorf("register series longer than %d bytes", MaxSeries)
	}
	var n uint64
	err := s.update("next outgoing number", func(tx *bolt.Tx) (err error) {
		n, err = s.next(tx, outRegisterKey(document.RegisterYear(at), series))
		return err
	})
	return int(n), err
}

// LastNumbers returns the last outgoing number given in the year's series
// and the last arrival number of the year (0 for none).
func (s *Store) LastNumbers(series string, year int) (out, in int, err error) {
	err = s.view("read registers", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRegs)
		if v := b.Get(outRegisterKey(year, series)); len(v) == 8 {
			out = int(binary.BigEndian.Uint64(v))
		}
		if v := b.Get(inRegisterKey(year)); len(v) == 8 {
			in = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return out, in, err
}
