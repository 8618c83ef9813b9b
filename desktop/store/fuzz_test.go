package store

import (
	"encoding/json"
	"testing"
	"time"

	"lienthong/shared/document"
)

// FuzzDecode feeds every decoder of bytes read from the file with
// arbitrary input: a corrupted record must give an error, never a panic,
// and a record that decodes must encode back to something that decodes.
func FuzzDecode(f *testing.F) {
	m := meta(self, agencies[0], 12, day(2025, 3, 5), "Về việc thử nghiệm")
	p := payload(m, []byte("pdf"))
	rec, _ := json.Marshal(&docRecord{V: 1, ID: p.MessageID, Box: Outgoing, Payload: p, Blobs: []string{"00"}, Stored: time.Now()})
	se, _ := json.Marshal(status(m, agencies[0].Code, document.StatusArrived, time.Now()))
	oi, _ := json.Marshal(OutboxItem{ID: 1, Kind: SendStatus, Doc: p.MessageID, Packet: []byte("x")})
	ag, _ := json.Marshal(agencyRecord{Agency: Agency{Code: "000.00.00.G22", Name: "Văn phòng Chính phủ", Level: 1, Active: true}, Folded: "van phong chinh phu"})
	k, _ := newKeyring(make([]byte, 32), []byte("p"), testOptions.KDF)
	sm := summ{box: Incoming, number: 5, date: dayNumber(day(2025, 1, 1)), due: noDeadline, rankAgcy: 1 << 63}
	for _, seed := range [][]byte{rec, se, oi, ag, k.encode(), sm.encode(), sm.flagBytes(), blobRecord{size: 3, chunks: 1}.encode(), nil, []byte("{}"), []byte("null")} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := decodeDocRecord(b); err == nil {
			again, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("re-encode document record: %v", err)
			}
			if _, err := decodeDocRecord(again); err != nil {
				t.Fatalf("re-decode document record: %v", err)
			}
			_ = r.Payload.Metadata.SearchTokens()
			rowAgency(r)
		}
		if e, err := decodeStatusEntry(b); err == nil {
			_ = e.Update.Code.NameVI()
		}
		decodeOutboxItem(b)
		decodeAgency([]byte("000.00.00.G22"), b)
		if k, err := decodeKeyring(b); err == nil {
			if got := k.encode(); string(got) != string(b) {
				t.Fatalf("key ring does not round-trip")
			}
		}
		if s, err := decodeSumm(b); err == nil {
			if string(s.encode()) != string(b) {
				t.Fatalf("summary does not round-trip")
			}
			for _, by := range sortOrder {
				s.sortKey(by)
			}
		}
		decodeFlags(b)
		if r, err := decodeBlobRecord(b); err == nil && string(r.encode()) != string(b) {
			t.Fatalf("blob record does not round-trip")
		}
		c, _ := newCipher(make([]byte, 32))
		c.open(bucketDocs, []byte("k"), b)
	})
}
