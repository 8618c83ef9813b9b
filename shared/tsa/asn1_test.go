package tsa_test

import (
	"crypto/x509"
	"encoding/asn1"
)

type asn1OID = asn1.ObjectIdentifier

func asn1Marshal(v any) ([]byte, error) { return asn1.Marshal(v) }

func x509CertPool(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}
