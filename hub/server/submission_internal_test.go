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

// TestSubmissionFormPartsOwnTheirBytes: each part comes back in a buffer
// of its own length, which the next submission's reading (through the
// same scratch buffers) leaves as it was.
func TestSubmissionFormPartsOwnTheirBytes(t *testing.T) {
	digest := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	form := func(packet, pdf string) []byte {
		return []byte("--b\r\nContent-Disposition: form-data; name=\"packet\"\r\n\r\n" + packet +
			"\r\n--b\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"" + digest + "\"\r\n\r\n" + pdf + "\r\n--b--\r\n")
	}
	first, firstPDF := `{"payload":"e30="}`, "%PDF-1.7 "+string(bytes.Repeat([]byte("a"), 3000))
	packet, inline, err := parseSubmissionForm(form(first, firstPDF), "b")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := parseSubmissionForm(form(`{"payload":"ZZZZ"}`, "%PDF-1.7 "+string(bytes.Repeat([]byte("z"), 5000))), "b"); err != nil {
			t.Fatal(err)
		}
	}
	if string(packet) != first || string(inline[digest]) != firstPDF {
		t.Fatalf("the first submission's parts changed: %q, %.20q", packet, inline[digest])
	}
	if cap(packet) != len(packet) || cap(inline[digest]) != len(inline[digest]) {
		t.Fatalf("parts of %d and %d bytes in buffers of %d and %d", len(packet), len(inline[digest]), cap(packet), cap(inline[digest]))
	}
}
