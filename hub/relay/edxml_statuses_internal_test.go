package relay

import "testing"

// TestStoredEdXMLStatus: the stored form of a status posted as edXML
// reads back as posted, and nothing else is taken for one.
func TestStoredEdXMLStatus(t *testing.T) {
	for _, tc := range []struct {
		stored      string
		packet, sig string
	}{
		{`{"edxml_status":{"packet":"PGVkWE1MLz4="}}`, "<edXML/>", ""},
		{`{"edxml_status":{"packet":"PGVkWE1MLz4=","signature":"Y21z"}}`, "<edXML/>", "cms"},
	} {
		packet, sig, ok := storedEdXMLStatus([]byte(tc.stored))
		if !ok || string(packet) != tc.packet || string(sig) != tc.sig {
			t.Fatalf("storedEdXMLStatus(%s) = %q, %q, %v", tc.stored, packet, sig, ok)
		}
	}
	for _, signed := range []string{
		`{"payload":"e30=","signature":"AA=="}`, // a sealed packet or a receipt
		`{"edxml_status":{"packet":"","signature":"AA=="}}`,
		`{"edxml_status":{"packet":"PA==","other":1}}`,
		`{"edxml_status":`,
		`<edXML/>`,
		``,
	} {
		if _, _, ok := storedEdXMLStatus([]byte(signed)); ok {
			t.Errorf("storedEdXMLStatus(%s) took it as an edXML status", signed)
		}
	}
}
