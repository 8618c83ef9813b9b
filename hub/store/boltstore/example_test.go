package boltstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log"
	"os"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
	"lienthong/shared/document"
)

// A document's life in the store: its attachment is uploaded, the
// submission accepted, the recipient leases and acknowledges it and sends
// a status back, which the sender reads from its status queue.
func Example() {
	dir, _ := os.MkdirTemp("", "hubstore-example")
	defer os.RemoveAll(dir)
	s, err := boltstore.Open(dir, boltstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	hexsum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

	pdf := []byte("%PDF-1.7 ... the signed decision ...")
	if _, err := s.PutBlob(ctx, "000.00.00.H49", hexsum(pdf), bytes.NewReader(pdf), now); err != nil {
		log.Fatal(err)
	}
	envelope := []byte("signed envelope naming " + hexsum(pdf))
	sub := &store.Submission{
		MessageID:      "0f8e5c3a9d6b4e21a7c0b3f5d8e1a2c4",
		Sender:         "000.00.00.H49", // UBND tỉnh Quảng Ninh
		Recipients:     []certs.AgencyCode{"000.00.00.G22"},
		EnvelopeSHA256: hexsum(envelope),
		Envelope:       envelope,
		BlobDigests:    []string{hexsum(pdf)},
		Kind:           document.BusinessNew,
		Received:       now,
	}
	res, existed, err := s.Accept(ctx, sub, nil)
	fmt.Println("accepted:", res.Seq, existed, err)
	_, existed, err = s.Accept(ctx, sub, nil) // the client retried
	fmt.Println("retry:", existed, err)

	ds, _ := s.Lease(ctx, "000.00.00.G22", 10, now, time.Minute)
	fmt.Println("leased:", len(ds), ds[0].MessageID == sub.MessageID)
	_, _, err = s.Ack(ctx, "000.00.00.G22", ds[0].MessageID, ds[0].LeaseToken, now, nil)
	fmt.Println("acked:", err)
	inbox, _ := s.Inbox(ctx, "000.00.00.G22", 0, 10, now.Add(time.Hour))
	fmt.Println("inbox after ack:", len(inbox))

	_, _, err = s.AppendStatus(ctx, &store.StatusUpdate{
		MessageID: sub.MessageID, From: "000.00.00.G22", Code: document.StatusArrived,
		At: now, Signed: []byte("signed status packet"),
	})
	fmt.Println("status:", err)
	sts, _ := s.StatusInbox(ctx, "000.00.00.H49", 0, 10)
	fmt.Println("sender sees:", sts[0].From, sts[0].Code)
	// Output:
	// accepted: 1 false <nil>
	// retry: true <nil>
	// leased: 1 true
	// acked: <nil>
	// inbox after ack: 0
	// status: <nil>
	// sender sees: 000.00.00.G22 01
}
