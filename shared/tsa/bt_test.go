package tsa_test

import (
	"context"
	"crypto"
	"errors"
	"testing"

	"lienthong/certs"
	"lienthong/shared/cms"
	"lienthong/shared/tsa"
)

// TestSignatureTimestamp makes a B-T signature the way package pades does:
// sign, timestamp the signature value over loopback HTTP, add the token, then
// verify the token from the parsed container.
func TestSignatureTimestamp(t *testing.T) {
	p := mustPKI(t)
	_, hs := newServer(t, p.tsas[certs.ECDSAP256], nil)
	content := digestOf(crypto.SHA256, []byte("%PDF-1.7 byte range"))
	der, err := cms.Sign(content, crypto.SHA256, p.person)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := cms.SignatureValue(der)
	if err != nil {
		t.Fatal(err)
	}
	token, err := tsa.Request(context.Background(), hs.Client(), hs.URL, digestOf(crypto.SHA256, sv), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	bt, err := cms.AddTimestamp(der, token)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := cms.Parse(bt)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.Verify(content); err != nil {
		t.Fatalf("signature after adding the timestamp: %v", err)
	}
	tests := []struct {
		name      string
		token     []byte
		signature []byte
		want      error
	}{
		{"valid", sd.TimestampToken, sd.Signature, nil},
		{"other signature", sd.TimestampToken, append([]byte{1}, sd.Signature...), tsa.ErrImprintMismatch},
		{"not a token", der, sd.Signature, tsa.ErrMalformedToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := tsa.VerifySignatureTimestamp(tt.token, tt.signature, p.roots)
			if tt.want == nil {
				if err != nil || tok.Time.IsZero() {
					t.Fatalf("VerifySignatureTimestamp = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("VerifySignatureTimestamp = %v, want %v", err, tt.want)
			}
		})
	}
}
