package certs_test

import (
	"crypto/x509"
	"errors"
	"testing"

	"lienthong/certs"
	"lienthong/certs/certstest"
)

func TestMayIssueDocuments(t *testing.T) {
	p := certstest.New(t)
	receipts, err := p.Issuing.IssueReceipt(certs.ReceiptRequest{Name: certs.DefaultReceiptSigner}, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	noUsage := *p.Person(t, "Nguyễn Văn An", "Giám đốc", "000.00.00.H49").Leaf
	noUsage.KeyUsage = x509.KeyUsageKeyEncipherment
	both := *p.Agency(t, "000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh").Leaf
	both.URIs = append(both.URIs, p.Person(t, "Nguyễn Văn An", "Giám đốc", "000.00.00.H49").Leaf.URIs...)
	tests := []struct {
		name string
		cert *x509.Certificate
		ok   bool
	}{
		{"agency seal", p.Agency(t, "000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh").Leaf, true},
		{"competent person", p.Person(t, "Nguyễn Văn An", "Giám đốc", "000.00.00.H49").Leaf, true},
		{"hub TLS certificate", p.Hub(t).Leaf, false},
		{"timestamping authority", p.TSA(t).Leaf, false},
		{"receipt identity", receipts.Leaf, false},
		{"issuing CA", p.Issuing.Cert, false},
		{"no signing key usage", &noUsage, false},
		{"agency and member at once", &both, false},
		{"nothing", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := certs.MayIssueDocuments(tt.cert)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, certs.ErrNotDocumentSigner)) {
				t.Fatalf("MayIssueDocuments = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestMayIssueReceipts(t *testing.T) {
	p := certstest.New(t)
	issue := func(name string) *x509.Certificate {
		kp, err := p.Issuing.IssueReceipt(certs.ReceiptRequest{Name: name}, certs.ECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		return kp.Leaf
	}
	tests := []struct {
		name string
		cert *x509.Certificate
		pin  string
		ok   bool
	}{
		{"the configured identity", issue("lienthong-hub"), "lienthong-hub", true},
		{"another hub's identity", issue("other-hub"), "lienthong-hub", false},
		{"a hub node's TLS key", p.Hub(t).Leaf, "lienthong-hub", false},
		{"an agency", p.Agency(t, "000.00.00.H49", "UBND").Leaf, "lienthong-hub", false},
		{"the timestamping authority", p.TSA(t).Leaf, "lienthong-hub", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := certs.MayIssueReceipts(tt.cert, tt.pin)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, certs.ErrNotReceiptSigner)) {
				t.Fatalf("MayIssueReceipts = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if _, err := p.Issuing.IssueReceipt(certs.ReceiptRequest{Name: "Bad Name"}, certs.ECDSAP256); err == nil {
		t.Fatal("a receipt certificate with a malformed name was issued")
	}
	// The receipt identity never authenticates a connection.
	v := p.Verifier(t)
	kp, _ := p.Issuing.IssueReceipt(certs.ReceiptRequest{Name: "lienthong-hub"}, certs.ECDSAP256)
	if _, err := v.Chain(kp.Certificates(), kp.Leaf.NotBefore.Add(1e9), x509.ExtKeyUsageServerAuth); err == nil {
		t.Fatal("the receipt certificate passes as a TLS server")
	}
	if _, err := v.Agency(kp.Certificates()); err == nil {
		t.Fatal("the receipt certificate passes as an agency")
	}
}
