package server

import (
	"bytes"
	"mime/multipart"
	"net/textproto"
	"testing"

	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// FuzzSubmissionForm feeds arbitrary multipart bodies to the reader of a
// submission's form: it never panics, and what it accepts keeps its
// rules: a packet, attachments named by a SHA-256, within the limits.
func FuzzSubmissionForm(f *testing.F) {
	form := func(parts ...[3]string) []byte {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.SetBoundary("b0undary")
		for _, p := range parts {
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", p[0])
			if p[1] != "" {
				h.Set("Content-Transfer-Encoding", p[1])
			}
			w, _ := mw.CreatePart(h)
			w.Write([]byte(p[2]))
		}
		mw.Close()
		return buf.Bytes()
	}
	digest := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	f.Add(form([3]string{`form-data; name="packet"`, "", `{"payload":"e30=","signature":"AA=="}`},
		[3]string{`form-data; name="attachment"; filename="` + digest + `"`, "", "%PDF-1.7"}), "b0undary")
	f.Add(form([3]string{`form-data; name="packet"`, "quoted-printable", "a=3Db"}), "b0undary")
	f.Add(form([3]string{`form-data; name="attachment"; filename="` + digest + `"`, "", "x"}), "b0undary")
	f.Add([]byte("--b0undary\r\nContent-Disposition: form-data; name=\"packet\"\r\n\r\n"), "b0undary")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		packet, inline, err := parseSubmissionForm(body, boundary)
		if err != nil {
			return
		}
		if packet == nil || len(packet) > envelope.MaxPacketSize {
			t.Fatalf("accepted a packet of %d bytes (nil: %v)", len(packet), packet == nil)
		}
		total := 0
		for d, b := range inline {
			if !envelope.ValidSHA256(d) {
				t.Fatalf("accepted an attachment named %q", d)
			}
			total += len(b)
		}
		if total > wire.MaxInline {
			t.Fatalf("accepted %d attachment bytes", total)
		}
	})
}

// TestSubmissionFormRaw: the packet is taken as sent, not decoded as its
// part's Content-Transfer-Encoding would say.
func TestSubmissionFormRaw(t *testing.T) {
	body := "--b\r\nContent-Disposition: form-data; name=\"packet\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db\r\n--b--\r\n"
	packet, inline, err := parseSubmissionForm([]byte(body), "b")
	if err != nil || string(packet) != "a=3Db" || len(inline) != 0 {
		t.Fatalf("got %q, %d inline, %v", packet, len(inline), err)
	}
}
