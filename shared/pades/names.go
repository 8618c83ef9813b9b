package pades

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
)

var attrNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "title",
	"2.5.4.42":                   "GN",
	"0.9.2342.19200300.100.1.1":  "UID",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"0.9.2342.19200300.100.1.25": "DC",
}

// dnString formats a distinguished name most specific first, naming the
// attributes Vietnamese CAs use (title, UID) that pkix.Name.String prints
// as bare OIDs.
func dnString(n pkix.Name) string {
	atvs := n.Names // as parsed, in certificate order
	if len(atvs) == 0 {
		for _, rdn := range n.ToRDNSequence() {
			atvs = append(atvs, rdn...)
		}
	}
	parts := make([]string, 0, len(atvs))
	for i := len(atvs) - 1; i >= 0; i-- {
		t, ok := attrNames[atvs[i].Type.String()]
		if !ok {
			t = atvs[i].Type.String()
		}
		parts = append(parts, t+"="+valueString(atvs[i].Value))
	}
	return strings.Join(parts, ", ")
}

func valueString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case asn1.RawValue:
		return fmt.Sprintf("#%x", v.FullBytes)
	}
	return fmt.Sprint(v)
}
