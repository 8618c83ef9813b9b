package relay

import (
	"strings"
	"testing"
)

// TestEdXMLStatusForm: the stored form of a status posted as edXML
// reads back as posted, and nothing else is taken for one.
func TestEdXMLStatusForm(t *testing.T) {
	for _, tc := range []struct {
		stored      string
		packet, sig string
	}{
		{`{"edxml_status":{"packet":"PGVkWE1MLz4="}}`, "<edXML/>", ""},
		{`{"edxml_status":{"packet":"PGVkWE1MLz4=","signature":"Y21z"}}`, "<edXML/>", "cms"},
	} {
		packet, sig, ok := EdXMLStatus([]byte(tc.stored))
		if !ok || string(packet) != tc.packet || string(sig) != tc.sig {
			t.Fatalf("EdXMLStatus(%s) = %q, %q, %v", tc.stored, packet, sig, ok)
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
		if _, _, ok := EdXMLStatus([]byte(signed)); ok {
			t.Errorf("EdXMLStatus(%s) took it as an edXML status", signed)
		}
	}
}

// TestLimitWriter: a rendition that outgrows its estimate is stopped at
// the edXML limit, and says so.
func TestLimitWriter(t *testing.T) {
	var buf strings.Builder
	lw := &limitWriter{w: &buf, left: 5}
	if n, err := lw.Write([]byte("abc")); n != 3 || err != nil || lw.over {
		t.Fatalf("within the limit: %d, %v, over %v", n, err, lw.over)
	}
	if _, err := lw.Write([]byte("def")); err == nil || !lw.over || buf.String() != "abc" {
		t.Fatalf("past the limit: %v, over %v, wrote %q", err, lw.over, buf.String())
	}
}
