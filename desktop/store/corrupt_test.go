package store

import (
	"errors"
	"io"
	"testing"
	"time"

	"lienthong/shared/document"

	bolt "go.etcd.io/bbolt"
)

// TestCorruptRecords damages one stored value at a time, as a bad disk
// sector or a careless tool would, and checks that reading gives an error
// wrapping ErrCorrupt, never a panic or wrong data.
func TestCorruptRecords(t *testing.T) {
	damage := map[string]func(v []byte) []byte{
		"flip a byte": func(v []byte) []byte { v[len(v)/2] ^= 0x40; return v },
		"truncate":    func(v []byte) []byte { return v[:len(v)/2] },
		"empty":       func([]byte) []byte { return []byte{} },
	}
	buckets := [][]byte{bucketDocs, bucketSumm, bucketWords, bucketHistory, bucketOutbox, bucketBlobs, bucketChunks,
		bucketIDs, bucketIndex[SortDate], bucketIndex[SortSubject], bucketPackets}
	for _, b := range buckets {
		for dname, fn := range damage {
			t.Run(string(b)+"/"+dname, func(t *testing.T) {
				s, path := openTest(t)
				m := meta(organ(agencies[0]), document.Recipient{Code: self.Code, Name: self.Name}, 3, day(2025, 2, 2), "Báo cáo quý")
				nd := newDoc(t, s, m, []byte("%PDF-1.7 nội dung"))
				nd.Statuses = []StatusEntry{status(m, self.Code, document.StatusArrived, time.Now())}
				nd.Queue = []OutboxItem{{Kind: Ack, Doc: nd.Payload.MessageID, Message: nd.Payload.MessageID}}
				if err := s.SaveIncoming(nd); err != nil {
					t.Fatal(err)
				}
				s.Close()
				rawUpdate(t, path, func(tx *bolt.Tx) error {
					c := tx.Bucket(b).Cursor()
					k, v := c.First()
					if k == nil {
						t.Fatalf("bucket %s empty", b)
					}
					return tx.Bucket(b).Put(append([]byte(nil), k...), fn(append([]byte(nil), v...)))
				})
				s, err := OpenOptions(path, pass, testOptions)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				id := nd.Payload.MessageID
				var errs []error
				_, err = s.Get(id)
				errs = append(errs, err)
				_, err = s.List(Query{Box: Incoming, Sort: SortDate})
				errs = append(errs, err)
				_, err = s.List(Query{Box: Incoming, Sort: SortSubject})
				errs = append(errs, err)
				_, err = s.Search(Incoming, "bao cao", 0, 10)
				errs = append(errs, err)
				_, err = s.History(id)
				errs = append(errs, err)
				_, err = s.Outbox(0)
				errs = append(errs, err)
				_, err = s.Packet(id)
				errs = append(errs, err)
				if r, _, err := s.OpenAttachment(id, 0); err != nil {
					errs = append(errs, err)
				} else {
					_, err = io.ReadAll(r)
					errs = append(errs, err)
				}
				// A damaged sort text shows when the next document is placed.
				other := meta(organ(agencies[1]), document.Recipient{Code: self.Code, Name: self.Name}, 4, day(2025, 2, 3), "Công văn khác")
				errs = append(errs, s.SaveIncoming(newDoc(t, s, other)))
				found := false
				for _, err := range errs {
					if err != nil {
						found = true
						if !errors.Is(err, ErrCorrupt) && string(b) != string(bucketIDs) {
							t.Errorf("error does not wrap ErrCorrupt: %v", err)
						}
					}
				}
				if !found {
					t.Error("damage went unnoticed")
				}
			})
		}
	}
}
