package relay

import (
	"errors"
	"testing"

	"lienthong/shared/wire"
)

func TestEdXMLRefRoundTrip(t *testing.T) {
	in := wire.EdXMLRef{SHA256: "ab12", Size: 42, Signature: []byte{1, 2, 3}}
	got, ok := parseEdXMLRef(edxmlRef{EdXML: in}.encode())
	if !ok || got.SHA256 != in.SHA256 || got.Size != in.Size || string(got.Signature) != string(in.Signature) {
		t.Fatalf("parseEdXMLRef(encode(%+v)) = %+v, %v", in, got, ok)
	}
	for _, env := range []string{
		`{"payload":"e30=","signature":"AA=="}`, // a sealed envelope
		`{"edxml":{"sha256":"ab","size":1},"payload":"e30="}`,
		`{"edxml":{"size":1}}`,
		`{"edxml":`,
	} {
		if _, ok := parseEdXMLRef([]byte(env)); ok {
			t.Errorf("parseEdXMLRef(%s) took it as an edXML reference", env)
		}
	}
}

func TestEdXMLBudget(t *testing.T) {
	o := EdXMLOptions{MaxPacket: 100, Memory: 2 * edXMLCost * 100}
	if err := o.defaults(); err != nil {
		t.Fatal(err)
	}
	b := newEdXMLBudget(o)
	r1, err := b.take(100)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := b.take(100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.take(1); !errors.Is(err, ErrEdXMLBusy) {
		t.Fatalf("a third packet over the budget: %v, want ErrEdXMLBusy", err)
	}
	r1()
	r3, err := b.take(100)
	if err != nil {
		t.Fatalf("after a release: %v", err)
	}
	r2()
	r3()
	bad := EdXMLOptions{MaxPacket: 100, Memory: 100}
	if err := bad.defaults(); err == nil {
		t.Fatal("a memory budget smaller than one packet's cost was accepted")
	}
}
