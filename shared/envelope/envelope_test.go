package envelope

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/shared/document"
)

const (
	quangNinh = "000.00.00.H49"
	ngheAn    = "000.00.00.H41"
)

func sampleDocument() *Document {
	return &Document{
		Kind:      KindDocument,
		MessageID: NewMessageID(),
		Created:   time.Date(2026, 11, 23, 9, 0, 0, 0, document.VietnamTime),
		Metadata: &document.Metadata{
			Version:      document.SchemaVersion,
			From:         document.Organ{Code: quangNinh, Name: "Ủy ban nhân dân tỉnh Quảng Ninh"},
			CodeNumber:   "567",
			CodeNotation: "QĐ-UBND",
			Promulgation: document.Promulgation{Place: "Quảng Ninh", Date: document.NewDate(2026, 11, 23)},
			Type:         document.TypeQuyetDinh,
			Subject:      "Về việc ban hành Quy chế quản lý văn bản điện tử",
			Signer:       document.Signer{Competence: "KT. CHỦ TỊCH", Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
			To:           []document.Recipient{{Code: ngheAn, Name: "Ủy ban nhân dân tỉnh Nghệ An"}},
			Business:     document.Business{Type: document.BusinessNew},
		},
		Attachments: []Attachment{{Name: "567-QD-UBND.pdf", ContentType: "application/pdf", Size: 53113, SHA256: strings.Repeat("ab", 32)}},
	}
}

func seal(t *testing.T, payload any, kp *certs.KeyPair) []byte {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := Seal(b, kp)
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

func TestOpenDocument(t *testing.T) {
	pki := certstest.New(t)
	qn := pki.Agency(t, quangNinh, "Ủy ban nhân dân tỉnh Quảng Ninh")
	na := pki.Agency(t, ngheAn, "Ủy ban nhân dân tỉnh Nghệ An")
	person := pki.Person(t, "Nguyễn Văn Hùng", "Phó Chủ tịch", quangNinh)
	revoked := pki.Agency(t, quangNinh, "Ủy ban nhân dân tỉnh Quảng Ninh")
	pki.Revoke(revoked.Leaf)
	foreign := certstest.New(t).Agency(t, quangNinh, "Ủy ban nhân dân tỉnh Quảng Ninh")
	v := pki.Verifier(t)

	good := seal(t, sampleDocument(), qn)
	flipped := bytes.Replace(good, []byte(`"payload":"`), []byte(`"payload":"X`), 1)
	var pk Packet
	if err := json.Unmarshal(good, &pk); err != nil {
		t.Fatal(err)
	}
	pk.Payload = bytes.Replace(pk.Payload, []byte("Nghệ An"), []byte("Nghệ Am"), 1)
	tampered, _ := json.Marshal(pk)
	invalid := sampleDocument()
	invalid.Metadata.To = append(invalid.Metadata.To, invalid.Metadata.To[0])
	badAttachment := sampleDocument()
	badAttachment.Attachments[0].ContentType = "application/zip"
	tooBig := sampleDocument()
	tooBig.Attachments[0].Size = 101 << 20
	status := &Status{Kind: KindStatus, MessageID: NewMessageID(), Regarding: NewMessageID(), Update: document.StatusUpdate{
		Document: sampleDocument().Metadata.ID(), From: ngheAn, Code: document.StatusArrived, Time: time.Now()}}

	tests := []struct {
		name string
		wire []byte
		want error
	}{
		{"good", good, nil},
		{"tampered payload", tampered, ErrBadSignature},
		{"broken base64", flipped, ErrMalformed},
		{"signed by another agency", seal(t, sampleDocument(), na), ErrWrongSigner},
		{"signed with a person certificate", seal(t, sampleDocument(), person), ErrUntrusted},
		{"revoked signer", seal(t, sampleDocument(), revoked), ErrUntrusted},
		{"foreign root", seal(t, sampleDocument(), foreign), ErrUntrusted},
		{"duplicate recipient", seal(t, invalid, qn), ErrInvalid},
		{"not a PDF", seal(t, badAttachment, qn), ErrInvalid},
		{"attachment over 100 MB", seal(t, tooBig, qn), ErrInvalid},
		{"a status where a document is expected", seal(t, status, na), ErrMalformed},
		{"not JSON", []byte("công văn"), ErrMalformed},
		{"empty", nil, ErrMalformed},
		{"duplicate key", []byte(`{"payload":"e30=","payload":"e30=","signature":"AA=="}`), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, signer, err := OpenDocument(tt.wire, v, 0)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if signer.Agency != quangNinh || d.Metadata.Subject != sampleDocument().Metadata.Subject || len(signer.Chain) != 3 {
					t.Fatalf("opened %+v signed by %v", d, signer.Agency)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("status round trip", func(t *testing.T) {
		s, signer, err := OpenStatus(seal(t, status, na), v)
		if err != nil || signer.Agency != ngheAn || s.Update.Code != document.StatusArrived {
			t.Fatalf("OpenStatus: %v %+v", err, s)
		}
		if _, _, err := OpenStatus(seal(t, status, qn), v); !errors.Is(err, ErrWrongSigner) {
			t.Fatalf("status signed by another agency: %v", err)
		}
	})
}

func TestMessageID(t *testing.T) {
	a, b := NewMessageID(), NewMessageID()
	if a == b || !ValidMessageID(a) {
		t.Fatalf("ids %q %q", a, b)
	}
	for _, bad := range []string{"", strings.ToUpper(a), a[:31], a + "0", strings.Repeat("g", 32)} {
		if ValidMessageID(bad) {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestValidSHA256(t *testing.T) {
	sum := sha256.Sum256([]byte("công văn"))
	good := hex.EncodeToString(sum[:])
	if !ValidSHA256(good) {
		t.Fatalf("refused %q", good)
	}
	for _, bad := range []string{"", strings.ToUpper(good), good[:63], good + "0", strings.Repeat("g", 64), good[:62] + "é"} {
		if ValidSHA256(bad) {
			t.Errorf("accepted %q", bad)
		}
	}
}

// FuzzOpenDocument feeds arbitrary bytes to the decoder and verifier: no
// panic, and nothing accepted that was not signed by the test agency.
func FuzzOpenDocument(f *testing.F) {
	pki := certstest.New(f)
	qn := pki.Agency(f, quangNinh, "Ủy ban nhân dân tỉnh Quảng Ninh")
	v := pki.Verifier(f)
	b, _ := json.Marshal(sampleDocument())
	good, err := Seal(b, qn)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"payload":"e30=","signature":"AA=="}`))
	f.Fuzz(func(t *testing.T, wire []byte) {
		d, signer, err := OpenDocument(wire, v, 0)
		if err == nil && (d == nil || signer.Agency != quangNinh) {
			t.Fatalf("accepted a packet without a valid signer: %v", signer)
		}
	})
}
