//go:build cgo

package token_test

import (
	"bytes"
	"slices"
	"testing"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/certs/token"
	"lienthong/certs/token/tokentest"
)

// TestList reads a SoftHSM2 token holding an RSA and an ECDSA key, each
// with its certificate, and a key without one: without a login both keys
// show through their certificates; logged in, all three; each URI opens
// the key it names.
func TestList(t *testing.T) {
	p := certstest.New(t)
	rsaKP := agency(t, p, "000.00.01.H01", certs.RSA2048)
	ecKP := agency(t, p, "000.00.01.H01", certs.ECDSAP256)
	bare := agency(t, p, "000.00.01.H01", certs.ECDSAP256)
	tok := tokentest.New(t, "Lanh dao; so 1")
	tok.Import(t, rsaKP, "ky-rsa", 1, true)
	tok.Import(t, ecKP, "ky ecdsa", 2, true)
	tok.Import(t, bare, "khong-chung-thu", 3, false)

	slots, err := token.List(tok.Module, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 1 || slots[0].Label != tok.Label || slots[0].Serial == "" || !slots[0].LoginRequired || slots[0].Err != nil {
		t.Fatalf("slots: %+v", slots)
	}
	want := map[string]*certs.KeyPair{"ky-rsa": rsaKP, "ky ecdsa": ecKP}
	if got := slots[0].Keys; len(got) != 2 {
		t.Fatalf("without a login: %d keys, want the 2 with certificates: %+v", len(got), got)
	}
	for _, k := range slots[0].Keys {
		kp := want[k.Label]
		if kp == nil || k.Certificate == nil || !k.Certificate.Equal(kp.Leaf) {
			t.Fatalf("key %q: certificate %v", k.Label, k.Certificate)
		}
		if len(k.Chain) != len(kp.Chain) || len(k.Chain) == 0 || !k.Chain[0].Equal(kp.Chain[0]) {
			t.Errorf("key %q: chain of %d from the token, want %d", k.Label, len(k.Chain), len(kp.Chain))
		}
		asked := 0
		opened, err := token.Open(k.URI, token.Options{PIN: pin(tok, &asked)})
		if err != nil {
			t.Fatalf("open %s: %v", k.URI, err)
		}
		if !opened.Leaf.Equal(kp.Leaf) {
			t.Errorf("%s opened the key of %q", k.URI, opened.Leaf.Subject)
		}
		opened.Key.(*token.Key).Close()
	}

	var uris []string
	for _, k := range slots[0].Keys {
		uris = append(uris, k.URI)
	}
	asked := 0
	slots, err = token.List(tok.Module, pin(tok, &asked))
	if err != nil {
		t.Fatal(err)
	}
	if asked != 1 || len(slots) != 1 || len(slots[0].Keys) != 3 {
		t.Fatalf("logged in (PIN asked %d times): %+v", asked, slots)
	}
	for _, k := range slots[0].Keys {
		if k.Certificate != nil && !slices.Contains(uris, k.URI) {
			t.Errorf("key %q: logged in, its URI %s is not the one listed without a login %q", k.Label, k.URI, uris)
		}
		if k.Hidden || (k.Label == "khong-chung-thu") != (k.Certificate == nil) {
			t.Errorf("key %q: hidden %v, certificate %v", k.Label, k.Hidden, k.Certificate != nil)
		}
		if k.Label == "khong-chung-thu" && !bytes.Equal(k.ID, []byte{3}) {
			t.Errorf("key without a certificate: id %x", k.ID)
		}
	}
}

// TestURIString writes URIs that ParseURI reads back unchanged, with
// the characters that separate attributes escaped.
func TestURIString(t *testing.T) {
	for _, u := range []token.URI{
		{},
		{Token: "Ban Cơ yếu; số 1", Serial: "a=b&c", Object: "con dấu?", ID: []byte{0, 1, 0xff}, Module: `C:\Windows\System32\eps2003csp11.dll`},
		{Module: "/usr/lib/softhsm/libsofthsm2.so", Object: "x/y"},
	} {
		s := u.String()
		back, err := token.ParseURI(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if back.Token != u.Token || back.Serial != u.Serial || back.Object != u.Object || !bytes.Equal(back.ID, u.ID) || back.Module != u.Module {
			t.Errorf("%s read back as %+v, want %+v", s, back, u)
		}
	}
}
