// Package storetest is the conformance suite every store.Store backend must
// pass. A backend's test calls Run with a function that opens a fresh,
// empty store; the store must also implement Reopener so that the suite can
// check what survives a close and reopen.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
//	}
//
// The suite uses real time values chosen by itself (stores never read the
// clock) and real bytes; it does not simulate crashes, which are a
// backend's own test (see boltstore's crash test).
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

// Reopener is a store that can be closed and opened again over the same
// durable state. Reopen closes the receiver; the returned store must also be
// a Reopener and is closed by the test's cleanup.
type Reopener interface {
	Reopen(t *testing.T) store.Store
}

// Agency codes the suite uses.
const (
	Quangninh certs.AgencyCode = "000.00.00.H49"
	Govoffice certs.AgencyCode = "000.00.00.G22"
	Nghean    certs.AgencyCode = "000.00.00.H41"
	Caobang   certs.AgencyCode = "000.00.00.H14"
)

// T0 is the suite's start of time: 09:00 in Vietnam.
var T0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// Run runs the conformance suite; newStore must return a fresh, empty store
// and arrange for it to be closed when t ends.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Accept/StoresMessageDeliveriesSentAndStats", testAcceptBasic},
		{"Accept/RetryReturnsOriginal", testAcceptIdempotent},
		{"Accept/ConcurrentRetriesAcceptOnce", testAcceptConcurrent},
		{"Accept/ManyRecipients", testAcceptManyRecipients},
		{"Accept/SameIDOtherEnvelopeConflicts", testAcceptConflict},
		{"Accept/MissingBlobRefusedAndNothingStored", testAcceptMissingBlob},
		{"Accept/InvalidRefused", testAcceptInvalid},
		{"Accept/MessagePartyReadsTheAgencysDelivery", testMessageParty},
		{"Inline/StoredWithTheSubmission", testInlineStored},
		{"Inline/PresentBytesGrantTheSender", testInlinePresentBlob},
		{"Inline/RefusalGrantsNothing", testInlineRefusedGrantsNothing},
		{"Inline/InvalidRefused", testInlineInvalid},
		{"Queue/InboxInOrderWithCursor", testInboxOrder},
		{"Queue/LeaseHidesUntilExpiry", testLeaseExpiry},
		{"Queue/AckTwiceReturnsSame", testAckTwice},
		{"Queue/AckedNeverListedAgain", testAckedNeverAgain},
		{"Queue/ReleaseMakesVisible", testRelease},
		{"Queue/AckUnknownOrOtherRecipient", testAckUnknown},
		{"Queue/ConcurrentLeasesDisjoint", testConcurrentLeases},
		{"Queue/ConcurrentAcksCountOnce", testConcurrentAcks},
		{"Recall/WithdrawsUnackedReportsAcked", testRecall},
		{"Recall/TargetRules", testRecallRules},
		{"Status/RoutedToSenderQueue", testStatusRouting},
		{"Status/Rules", testStatusRules},
		{"Status/CheckedAgainstTheWholeHistory", testStatusHistory},
		{"Status/ConcurrentStatusesCheckedInTheirTransaction", testStatusRace},
		{"Status/AckAndArrivalInOneTransaction", testAckArrival},
		{"Receipts/KeptAndFirstWins", testReceipts},
		{"Receipts/SealedWithTheirEvent", testSealedReceipts},
		{"Directory/UpsertKeepsHistory", testDirectory},
		{"Directory/CertificateRegistrations", testCertificateRegistrations},
		{"Directory/SuccessionsCloseCodesForGood", testSuccessions},
		{"Directory/SuccessionRefusedWholeWithItsLine", testSuccessionRefusals},
		{"Blobs/PutOpenStat", testBlobPut},
		{"Blobs/PutDigestMismatchLeavesNothing", testBlobPutMismatch},
		{"Blobs/PutChecksWithTheReadersHash", testBlobPutReadersHash},
		{"Blobs/ChunkedUploadWithOffsets", testBlobChunked},
		{"Blobs/CommitDigestMismatchLeavesNothing", testBlobCommitMismatch},
		{"Blobs/AppendBeyondDeclaredSize", testBlobTooLarge},
		{"Blobs/IdleUploadsCollected", testBlobGC},
		{"Grants/ByOwnUploadAndByMessage", testGrantsByUploadAndMessage},
		{"Grants/AcceptNeedsTheSendersGrant", testAcceptNeedsSendersGrant},
		{"Grants/RecallRevokesWithdrawnRecipients", testRecallRevokesGrants},
		{"Grants/UploadUsage", testUploadUsage},
		{"Grants/UploadCheck", testUploadCheck},
		{"Blobs/UnreferencedCollectedReferencedKept", testGCBlobs},
		{"Blobs/CollectionRacesAccept", testGCBlobsRacesAccept},
		{"Blobs/RetentionOfDeliveredBytes", testRetention},
		{"Reopen/ResumeUpload", testResumeAfterReopen},
		{"Reopen/StateSurvives", testReopenState},
		{"Log/EveryEventOnceWithProofs", testLog},
		{"Close/UseAfterCloseFails", testClosed},
	}
	tests = append(tests, refusalTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

var ctx = context.Background()

// NewID returns a fresh message id.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Digest returns the lower-case hex SHA-256 of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// RandomBytes returns n random bytes.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// NewSubmission returns a valid new-document submission with a random
// envelope of envSize bytes.
func NewSubmission(sender certs.AgencyCode, envSize int, recipients ...certs.AgencyCode) *store.Submission {
	env := RandomBytes(envSize)
	return &store.Submission{
		MessageID:      NewID(),
		Sender:         sender,
		Recipients:     recipients,
		EnvelopeSHA256: Digest(env),
		Envelope:       env,
		DocumentID:     string(sender) + ",2026/03/02,12/UBND-VP",
		Kind:           document.BusinessNew,
		Received:       T0,
		Report:         []byte(`{"signatures":"valid"}`),
	}
}

func accept(t *testing.T, s store.Store, sub *store.Submission) store.AcceptResult {
	t.Helper()
	res, existed, err := s.Accept(ctx, sub, nil)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if existed {
		t.Fatalf("Accept of a new message reported existed")
	}
	return res
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func ids(ds []store.Delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.MessageID
	}
	return out
}

func inboxIDs(t *testing.T, s store.Store, recipient certs.AgencyCode, now time.Time) []string {
	t.Helper()
	ds, err := s.Inbox(ctx, recipient, 0, 1000, now)
	if err != nil {
		t.Fatalf("Inbox: %v", err)
	}
	return ids(ds)
}

func reopen(t *testing.T, s store.Store) store.Store {
	t.Helper()
	r, ok := s.(Reopener)
	if !ok {
		t.Fatalf("%T does not implement storetest.Reopener", s)
	}
	return r.Reopen(t)
}
