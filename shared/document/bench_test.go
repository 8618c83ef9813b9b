package document

import (
	"encoding/json"
	"testing"
)

func BenchmarkValidate(b *testing.B) {
	m := validMetadata()
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseMetadata(b *testing.B) {
	data, err := json.Marshal(validMetadata())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMetadata(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseDocumentID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseDocumentID("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"); err != nil {
			b.Fatal(err)
		}
	}
}
