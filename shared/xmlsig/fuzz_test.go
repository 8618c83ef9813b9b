package xmlsig

import (
	"os"
	"path/filepath"
	"testing"

	"lienthong/certs/certstest"
	"lienthong/shared/edxml"
)

// FuzzVerify feeds Verify arbitrary bytes: it must never panic, and
// whatever it accepts must carry a signer and be a packet edxml reads.
// The kept corpus (testdata/fuzz/FuzzVerify) holds signed packets, RSA and
// ECDSA, and the edxml fixtures.
func FuzzVerify(f *testing.F) {
	ca := certstest.New(f)
	signer, verifier := ca.Agency(f, "000.00.00.H49", "UBND tỉnh Quảng Ninh"), ca.Verifier(f)
	for _, packet := range [][]byte{documentPacket(f), statusPacket(f)} {
		signed, err := Sign(packet, signer)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(signed)
	}
	fixtures, _ := filepath.Glob("../edxml/testdata/*.edxml")
	for _, name := range fixtures {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Verify(data, Options{Verifier: verifier, Limits: edxml.Limits{MaxPacketSize: 1 << 20}})
		if err != nil {
			if res != nil {
				t.Fatal("a result with an error")
			}
			return
		}
		if res.Signer == nil || res.Packet == nil || res.Trust == "" {
			t.Fatalf("accepted without signer, packet or trust: %+v", res)
		}
	})
}
