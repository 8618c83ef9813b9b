package envelope

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"lienthong/certs/certstest"
	"lienthong/shared/document"
)

func sampleStatus() *Status {
	return &Status{Kind: KindStatus, MessageID: NewMessageID(), Regarding: NewMessageID(), Update: document.StatusUpdate{
		Document: sampleDocument().Metadata.ID(), From: ngheAn, Code: document.StatusRefused, Reason: "Sai thể thức",
		Staff: "Lê Văn Thư", Time: time.Date(2026, 11, 23, 10, 0, 0, 0, document.VietnamTime)}}
}

// FuzzParseDocument feeds arbitrary payloads to the document decoder, the
// part of OpenDocument a fuzzer cannot reach through a signature: no
// panic, a payload either fails with one of the package's errors or is a
// valid document that encodes and parses back the same.
func FuzzParseDocument(f *testing.F) {
	good, _ := json.Marshal(sampleDocument())
	f.Add(good)
	recall := sampleDocument()
	recall.Metadata.Business = document.Business{Type: document.BusinessRecall, Documents: []document.DocumentID{recall.Metadata.ID()}}
	recall.Targets, recall.Attachments = []string{NewMessageID()}, nil
	b, _ := json.Marshal(recall)
	f.Add(b)
	f.Add([]byte(`{"kind":"document"}`))
	f.Add([]byte(`{"kind":"document","kind":"status"}`))
	f.Add([]byte(`{"kind":"document","attachments":[{"name":"a\u202egpj.pdf","size":1}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		d, err := ParseDocument(payload, 0)
		if err != nil {
			if d != nil || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrInvalid)) {
				t.Fatalf("error %v (document %v) wraps neither ErrMalformed nor ErrInvalid", err, d)
			}
			return
		}
		again, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseDocument(again, 0); err != nil {
			t.Fatalf("an accepted document does not parse back: %v", err)
		}
	})
}

// FuzzParseStatus is FuzzParseDocument for status payloads (the status
// update's own rules are package document's).
func FuzzParseStatus(f *testing.F) {
	good, _ := json.Marshal(sampleStatus())
	f.Add(good)
	f.Add([]byte(`{"kind":"status","update":{"code":"99"}}`))
	f.Add([]byte(`{"kind":"status","message_id":"","regarding":"","update":{"time":"2026-13-40T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		s, err := ParseStatus(payload)
		if err != nil {
			if s != nil || !(errors.Is(err, ErrMalformed) || errors.Is(err, ErrInvalid)) {
				t.Fatalf("error %v (status %v) wraps neither ErrMalformed nor ErrInvalid", err, s)
			}
			return
		}
		if !s.Update.Code.Valid() || !ValidMessageID(s.MessageID) || !ValidMessageID(s.Regarding) {
			t.Fatalf("accepted an invalid status: %+v", s)
		}
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseStatus(again); err != nil {
			t.Fatalf("an accepted status does not parse back: %v", err)
		}
	})
}

// FuzzOpenStatus feeds arbitrary bytes to the status packet decoder and
// verifier: no panic, and nothing accepted that the test agency did not
// sign.
func FuzzOpenStatus(f *testing.F) {
	pki := certstest.New(f)
	na := pki.Agency(f, ngheAn, "Ủy ban nhân dân tỉnh Nghệ An")
	v := pki.Verifier(f)
	b, _ := json.Marshal(sampleStatus())
	good, err := Seal(b, na)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"payload":"eyJraW5kIjoic3RhdHVzIn0=","signature":"MAA="}`))
	f.Add([]byte(`{"payload":"","signature":""}`))
	f.Fuzz(func(t *testing.T, wire []byte) {
		s, signer, err := OpenStatus(wire, v)
		if err == nil && (s == nil || signer.Agency != ngheAn || s.Sender() != ngheAn) {
			t.Fatalf("accepted a packet without a valid signer: %v", signer)
		}
	})
}
