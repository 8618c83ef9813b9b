package clerk

import (
	"encoding/json"
	"testing"

	"lienthong/certs/certstest"
	"lienthong/shared/pades"
)

// TestStoredReports: the stored form keeps each signer's certificate
// beside pades' JSON report, and a report stored before it (plain JSON,
// no certificates) still reads, marked as lacking them so that the view
// verifies the stored file instead.
func TestStoredReports(t *testing.T) {
	kp := certstest.New(t).Agency(t, "000.00.00.H49", "Ủy ban nhân dân tỉnh Quảng Ninh")
	reps := []*pades.Report{{Size: 10, Signatures: []*pades.SignatureReport{{Field: "Sig1", Signer: "CN=x", Certificate: kp.Leaf}}}, nil}
	raw, err := encodeReports(reps)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeReports(raw)
	if err != nil || len(got) != 2 || got[1] != nil || got[0].Size != 10 {
		t.Fatalf("decodeReports(encodeReports) = %+v, %v", got, err)
	}
	if c := got[0].Signatures[0].Certificate; c == nil || !c.Equal(kp.Leaf) || lacksCertificates(got[0]) {
		t.Errorf("the signer's certificate did not come back: %v", c)
	}
	old, err := json.Marshal(reps)
	if err != nil {
		t.Fatal(err)
	}
	got, err = decodeReports(old)
	if err != nil || len(got) != 2 || got[0].Signatures[0].Field != "Sig1" || !lacksCertificates(got[0]) {
		t.Errorf("a report stored before the certificates = %+v, %v; want it read, lacking them", got, err)
	}
}
