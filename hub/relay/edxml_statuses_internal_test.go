package relay

import (
	"bytes"
	"testing"
)

// TestEdXMLStatusStored: the stored form of a status posted as edXML reads
// back as posted, and nothing else is taken for one.
func TestEdXMLStatusStored(t *testing.T) {
	packet := []byte("\uFEFF<?xml version=\"1.0\"?>\n<edXML:edXML/>")
	for _, sig := range [][]byte{nil, []byte("cms")} {
		stored := encodeEdXMLStatus(packet, sig)
		if sig == nil && !bytes.Equal(stored, packet) {
			t.Fatalf("an XML-signed packet is not stored as it is: %q", stored)
		}
		got, gotSig, ok := EdXMLStatusPacket(stored)
		if !ok || !bytes.Equal(got, packet) || !bytes.Equal(gotSig, sig) {
			t.Fatalf("EdXMLStatusPacket(encode(%q)) = %q, %q, %v", sig, got, gotSig, ok)
		}
	}
	for _, signed := range []string{
		`{"payload":"e30=","signature":"AA=="}`, // a sealed packet or a receipt
		`{"edxml_status":{"packet":"","signature":"AA=="}}`,
		`{"edxml_status":{"packet":"PA==","other":1}}`,
		`{"edxml_status":`,
		``,
	} {
		if _, _, ok := EdXMLStatusPacket([]byte(signed)); ok {
			t.Errorf("EdXMLStatusPacket(%s) took it as an edXML status", signed)
		}
	}
}
