package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
)

// testKDF keeps tests fast; the parameters are real Argon2id, only small.
var testOptions = Options{KDF: KDFParams{Time: 1, Memory: 64, Threads: 1}}

var pass = []byte("mật khẩu của văn thư")

func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clerk.db")
	s, err := OpenOptions(path, pass, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

var agencies = []document.Recipient{
	{Code: "000.00.00.G22", Name: "Văn phòng Chính phủ"},
	{Code: "000.00.00.G09", Name: "Bộ Nội vụ"},
	{Code: "000.00.00.H41", Name: "Ủy ban nhân dân tỉnh Nghệ An"},
	{Code: "000.00.12.H49", Name: "Sở Khoa học và Công nghệ tỉnh Quảng Ninh"},
	{Code: "000.00.00.H14", Name: "Ủy ban nhân dân tỉnh Cao Bằng"},
}

var self = document.Organ{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh"}

// meta returns valid metadata of a công văn from `from` to `to`.
func meta(from document.Organ, to document.Recipient, number int, date document.Date, subject string) *document.Metadata {
	m := &document.Metadata{
		Version:      document.SchemaVersion,
		From:         from,
		CodeNumber:   fmt.Sprint(number),
		CodeNotation: "UBND-VP",
		Promulgation: document.Promulgation{Place: "Quảng Ninh", Date: date},
		Type:         document.TypeCongVan,
		Subject:      subject,
		Signer:       document.Signer{Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
		To:           []document.Recipient{to},
		Business:     document.Business{Type: document.BusinessNew},
	}
	m.Normalize()
	if err := m.Validate(); err != nil {
		panic(err)
	}
	return m
}

func payload(m *document.Metadata, files ...[]byte) *envelope.Document {
	p := &envelope.Document{Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(),
		Created: time.Date(2025, 3, 5, 8, 0, 0, 0, time.UTC), Metadata: m}
	for i, f := range files {
		sum := sha256.Sum256(f)
		p.Attachments = append(p.Attachments, envelope.Attachment{Name: fmt.Sprintf("file%d.pdf", i),
			ContentType: "application/pdf", Size: int64(len(f)), SHA256: hex.EncodeToString(sum[:])})
	}
	return p
}

func stage(t testing.TB, s *Store, data []byte) Blob {
	t.Helper()
	w, err := s.NewAttachment()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	b, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newDoc stages the files and returns a NewDocument for them.
func newDoc(t testing.TB, s *Store, m *document.Metadata, files ...[]byte) NewDocument {
	t.Helper()
	p := payload(m, files...)
	nd := NewDocument{Payload: p, Packet: []byte("packet of " + p.MessageID)}
	for _, f := range files {
		nd.Blobs = append(nd.Blobs, stage(t, s, f))
	}
	return nd
}

func day(y int, mo time.Month, d int) document.Date { return document.NewDate(y, mo, d) }

func status(doc *document.Metadata, from certs.AgencyCode, code document.Status, at time.Time) StatusEntry {
	u := document.StatusUpdate{Document: doc.ID(), From: from, Code: code, Time: at, Staff: "Lê Thị Hoa"}
	if code == document.StatusRefused {
		u.Reason = "Không đúng thẩm quyền"
	}
	if code == document.StatusArrived {
		u.Staff = ""
	}
	cp := from
	if code == document.StatusRecalled {
		cp = doc.To[0].Code
	}
	return StatusEntry{Copy: cp, Update: u}
}

func testIdentity(t testing.TB) *certs.KeyPair {
	t.Helper()
	root, err := certs.NewRoot(certs.CAName{CommonName: "Test Root", Organization: "Lienthong test"}, certs.ECDSAP256, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := root.NewIssuing(certs.CAName{CommonName: "Test Issuing", Organization: "Lienthong test"}, certs.ECDSAP256, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := iss.IssueAgency(certs.AgencyRequest{Code: self.Code, Name: self.Name, Validity: time.Hour}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}
