package receipt

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/shared/envelope"
)

func TestSignVerify(t *testing.T) {
	pki := certstest.New(t)
	hub := pki.Receipts(t)
	tlsKey := pki.Hub(t)
	agency := pki.Agency(t, "000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh")
	other := certstest.New(t).Receipts(t)
	sameRoot, err := pki.Issuing.IssueReceipt(certs.ReceiptRequest{Name: "another-hub"}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	v := pki.Verifier(t)
	r := &Receipt{
		Event: EventAccepted, MessageID: envelope.NewMessageID(), EnvelopeSHA256: strings.Repeat("0f", 32),
		Sender: "000.00.00.H49", Recipients: []string{"000.00.00.H41", "000.00.00.G22"}, At: time.Now(), Hub: "localhost",
	}
	good, err := Sign(r, hub)
	if err != nil {
		t.Fatal(err)
	}
	byAgency, err := Sign(r, agency)
	if err != nil {
		t.Fatal(err)
	}
	byOtherHub, err := Sign(r, other)
	if err != nil {
		t.Fatal(err)
	}
	byTLSKey, err := Sign(r, tlsKey)
	if err != nil {
		t.Fatal(err)
	}
	byAnotherName, err := Sign(r, sameRoot)
	if err != nil {
		t.Fatal(err)
	}
	var p envelope.Packet
	_ = json.Unmarshal(good, &p)
	p.Payload = []byte(strings.Replace(string(p.Payload), "000.00.00.G22", "000.00.00.G09", 1))
	forged, _ := json.Marshal(p)

	tests := []struct {
		name string
		wire []byte
		want error
	}{
		{"good", good, nil},
		{"signed by an agency, not the hub", byAgency, envelope.ErrUntrusted},
		{"signed by a hub of another PKI", byOtherHub, envelope.ErrUntrusted},
		{"signed by a hub node's TLS key", byTLSKey, certs.ErrNotReceiptSigner},
		{"signed by a receipt identity of another name", byAnotherName, certs.ErrNotReceiptSigner},
		{"recipients changed after signing", forged, envelope.ErrBadSignature},
		{"garbage", []byte("{}"), envelope.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cert, err := Verify(tt.wire, v, certs.DefaultReceiptSigner)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if got.MessageID != r.MessageID || len(got.Recipients) != 2 || !cert.Equal(hub.Leaf) {
					t.Fatalf("verified %+v", got)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("invalid content is not signed", func(t *testing.T) {
		bad := *r
		bad.Event = "lost"
		if _, err := Sign(&bad, hub); !errors.Is(err, ErrInvalid) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestRefusalReason: a refusal and only a refusal carries a reason, of
// bounded length.
func TestRefusalReason(t *testing.T) {
	base := Receipt{Kind: KindReceipt, MessageID: envelope.NewMessageID(), EnvelopeSHA256: strings.Repeat("0f", 32),
		Sender: "000.00.00.H49", Recipients: []string{"000.00.00.H41"}, At: time.Now()}
	for _, tc := range []struct {
		name   string
		event  string
		reason string
		ok     bool
	}{
		{"refused with a reason", EventRefused, "Tệp đính kèm vượt quá giới hạn", true},
		{"refused without a reason", EventRefused, " ", false},
		{"reason too long", EventRefused, strings.Repeat("ạ", 501), false},
		{"reason not UTF-8", EventRefused, "\xff", false},
		{"delivered with a reason", EventDelivered, "Gửi nhầm", false},
		{"delivered", EventDelivered, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			r.Event, r.Reason = tc.event, tc.reason
			if err := r.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
