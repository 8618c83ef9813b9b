package apicheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
)

// TestRecorder shows the checks bite: a handler whose answers break the
// document is reported, one that keeps to it is not.
func TestRecorder(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		status                   int
		answer                   string
		problem                  string // "" for none
	}{
		{"hello as documented", "GET", "/v1/hello", "", 200,
			`{"version":1,"agency":"000.00.00.H49","hub_time":"2026-12-05T01:00:00Z","max_attachment":100}`, ""},
		{"hello without its length", "GET", "/v1/hello", "", 200,
			`{"version":1,"agency":"000.00.00.H49","hub_time":"2026-12-05T01:00:00Z","max_attachment":100}`, "Content-Length"},
		{"hello missing a field", "GET", "/v1/hello", "", 200,
			`{"version":1,"agency":"000.00.00.H49","max_attachment":100}`, "hub_time"},
		{"hello with a lower-case agency code", "GET", "/v1/hello", "", 200,
			`{"version":1,"agency":"000.00.00.h49","hub_time":"2026-12-05T01:00:00Z","max_attachment":100}`, "/agency"},
		{"an error with the wrong HTTP status", "GET", "/v1/inbox", "", 404,
			`{"code":"bad_request","message":"x"}`, "HTTP 404"},
		{"an unknown error code", "GET", "/v1/inbox", "", 400,
			`{"code":"oops","message":"x"}`, "/code"},
		{"an accepted request that breaks its schema", "POST", "/v1/statuses/ack", `{"cursors":"1"}`, 204, "", "(request)"},
		{"a packet whose payload breaks its schema", "POST", "/v1/messages/" + strings.Repeat("a", 32) + "/ack", "", 200,
			`{"message_id":"` + strings.Repeat("a", 32) + `","existed":false,"receipt":"eyJwYXlsb2FkIjoiZXlKcmFXNWtJam9pY21WalpXbHdkQ0o5Iiwic2lnbmF0dXJlIjoiIn0="}`, "contentSchema"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := NewRecorder()
			if err != nil {
				t.Fatal(err)
			}
			h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Header().Set("X-Content-Type-Options", "nosniff")
				if c.answer != "" {
					w.Header().Set("Content-Type", "application/json")
					if !strings.Contains(c.name, "without its length") {
						w.Header().Set("Content-Length", strconv.Itoa(len(c.answer)))
					}
				}
				w.WriteHeader(c.status)
				io.WriteString(w, c.answer)
			}))
			req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			got := strings.Join(rec.Problems(), "\n")
			switch {
			case c.problem == "" && got != "":
				t.Errorf("problems reported: %s", got)
			case c.problem != "" && !strings.Contains(got, c.problem):
				t.Errorf("want a problem mentioning %q, got %q", c.problem, got)
			}
		})
	}
}

// TestCompile compiles every schema of the document and every body of
// every call, so that a broken reference anywhere fails.
func TestCompile(t *testing.T) {
	if err := Compile(); err != nil {
		t.Fatal(err)
	}
	ops, err := Operations()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ops); n < 25 {
		t.Fatalf("%d operations in the document", n)
	}
}

// BenchmarkLoad is the cost of reading the document, paid once per
// process; BenchmarkNewRecorder the cost of each hub's Recorder after it.
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := load(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewRecorder(b *testing.B) {
	if _, err := doc(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := NewRecorder(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExchange is the cost of checking one exchange, a hello.
func BenchmarkExchange(b *testing.B) {
	rec, err := NewRecorder()
	if err != nil {
		b.Fatal(err)
	}
	h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const hello = `{"version":1,"agency":"000.00.00.H49","hub_time":"2026-12-05T01:00:00Z","max_attachment":100}`
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(hello)))
		io.WriteString(w, hello)
	}))
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/hello", nil))
	}
	if p := rec.Problems(); len(p) > 0 {
		b.Fatal(p)
	}
}

// TestRecorderMultipart shows the checks of a multipart/form-data
// submission: the packet part against the packet's schema, the attachment
// parts as binary named by their SHA-256, and the hub's rules for them.
func TestRecorderMultipart(t *testing.T) {
	pdf := []byte("%PDF-1.7\n% a test file, not a readable PDF\n%%EOF\n")
	sum := sha256.Sum256(pdf)
	sha := hex.EncodeToString(sum[:])
	packet := documentPacket(t, sha, len(pdf))
	type part struct{ name, filename, contentType, body string }
	pkt := part{"packet", "", "application/vnd.lienthong.packet+json", packet}
	att := part{"attachment", sha, "application/pdf", string(pdf)}
	cases := []struct {
		name, path string
		parts      []part
		readTo     string // read the body only up to the first part of this name ("" for all of it)
		problem    string // "" for none
	}{
		{"a packet and its attachment", "/v1/messages", []part{pkt, att}, "", ""},
		{"the packet alone", "/v1/messages", []part{pkt}, "", ""},
		{"a packet part without a content type", "/v1/messages", []part{{"packet", "", "", packet}, att}, "", ""},
		{"an attachment part as octet-stream", "/v1/messages", []part{pkt, {"attachment", sha, "application/octet-stream", string(pdf)}}, "", ""},
		{"the attachment first", "/v1/messages", []part{att, pkt}, "", `the first part is "attachment"`},
		{"no packet", "/v1/messages", []part{att}, "", "missing property 'packet'"},
		{"a packet part that breaks its schema", "/v1/messages", []part{{"packet", "", "", `{"payload":"e30="}`}}, "", "'/packet/payload': 'contentSchema'"},
		{"a packet part that is no JSON", "/v1/messages", []part{{"packet", "", "", `{"payload"`}}, "", "not JSON"},
		{"a packet part of another type", "/v1/messages", []part{{"packet", "", "text/plain", packet}}, "", `of type "text/plain"`},
		{"two packets", "/v1/messages", []part{pkt, pkt}, "", `2 parts named "packet"`},
		{"a part of another name", "/v1/messages", []part{pkt, {"note", "", "", "x"}}, "", "note"},
		{"a filename that is no SHA-256", "/v1/messages", []part{pkt, {"attachment", "cong-van.pdf", "application/pdf", string(pdf)}}, "", "not a lower-case SHA-256"},
		{"an upper-case SHA-256", "/v1/messages", []part{pkt, {"attachment", strings.ToUpper(sha), "application/pdf", string(pdf)}}, "", "not a lower-case SHA-256"},
		{"bytes that do not match their filename", "/v1/messages", []part{pkt, {"attachment", sha, "", string(pdf) + " "}}, "", "holds bytes of SHA-256"},
		{"the same attachment twice", "/v1/messages", []part{pkt, att, att}, "", "two attachment parts"},
		{"an attachment the packet does not name", "/v1/messages", []part{pkt, att, {"attachment", hexSHA256("x"), "", "x"}}, "", "not one the packet names"},
		{"an attachment of another size than named", "/v1/messages", []part{{"packet", "", "", documentPacket(t, sha, len(pdf)+1)}, att}, "", "the packet says"},
		{"a handler that read only the packet", "/v1/messages", []part{pkt, {"attachment", sha, "", "not the file"}}, "attachment", ""},
		{"multipart to a call that takes JSON", "/v1/statuses/ack", []part{{"cursors", "", "", "[1]"}}, "", "the document takes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			stop := -1
			for _, p := range c.parts {
				h := textproto.MIMEHeader{}
				cd := fmt.Sprintf("form-data; name=%q", p.name)
				if p.filename != "" {
					cd += fmt.Sprintf("; filename=%q", p.filename)
				}
				h.Set("Content-Disposition", cd)
				if p.contentType != "" {
					h.Set("Content-Type", p.contentType)
				}
				w, err := mw.CreatePart(h)
				if err != nil {
					t.Fatal(err)
				}
				if p.name == c.readTo && stop < 0 {
					stop = body.Len() // the part's headers, not its body
				}
				io.WriteString(w, p.body)
			}
			mw.Close()
			rec, err := NewRecorder()
			if err != nil {
				t.Fatal(err)
			}
			h := rec.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if stop >= 0 {
					io.CopyN(io.Discard, r.Body, int64(stop))
				} else {
					io.Copy(io.Discard, r.Body)
				}
				w.Header().Set("X-Content-Type-Options", "nosniff")
				if r.URL.Path == "/v1/statuses/ack" {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				answer := submitted(t)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
				io.WriteString(w, answer)
			}))
			req := httptest.NewRequest("POST", c.path, &body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			h.ServeHTTP(httptest.NewRecorder(), req)
			got := strings.Join(rec.Problems(), "\n")
			switch {
			case c.problem == "" && got != "":
				t.Errorf("problems reported: %s", got)
			case c.problem != "" && !strings.Contains(got, c.problem):
				t.Errorf("want a problem mentioning %q, got %q", c.problem, got)
			}
		})
	}
}

// documentPacket is a document packet (its signature no CMS, which the
// schema does not read) naming one attachment.
func documentPacket(t *testing.T, sha string, size int) string {
	t.Helper()
	payload := map[string]any{
		"kind": "document", "message_id": strings.Repeat("a", 32), "created": "2026-12-05T01:22:37Z",
		"metadata": map[string]any{
			"version": 1, "from": map[string]any{"code": "000.00.00.H49", "name": "Ủy ban nhân dân tỉnh Quảng Ninh"},
			"code_number": "185264", "code_notation": "UBND-VP",
			"promulgation": map[string]any{"place": "Hạ Long", "date": "2026-12-05"},
			"type":         "cong_van", "subject": "Về việc thử nghiệm kết nối Trục liên thông văn bản",
			"signer":   map[string]any{"position": "CHỦ TỊCH", "full_name": "Nguyễn Văn Hùng"},
			"to":       []any{map[string]any{"code": "000.00.00.H41", "name": "Ủy ban nhân dân tỉnh Nghệ An"}},
			"priority": 0, "secrecy": 0, "steering_type": 0, "page_amount": 1, "promulgation_amount": 1,
			"business": map[string]any{"type": 0},
		},
		"attachments": []any{map[string]any{"name": "cong-van.pdf", "content_type": "application/pdf", "size": size, "sha256": sha}},
	}
	return packetOf(t, payload)
}

// submitted is a Submitted answer as the schema describes it.
func submitted(t *testing.T) string {
	t.Helper()
	receipt := packetOf(t, map[string]any{
		"kind": "receipt", "event": "accepted", "message_id": strings.Repeat("a", 32),
		"envelope_sha256": hexSHA256("packet"), "sender": "000.00.00.H49", "recipients": []string{"000.00.00.H41"},
		"at": "2026-12-05T01:22:38Z", "hub": "Lienthong hub receipts (lienthong-hub)", "log_index": 10,
	})
	b, err := json.Marshal(map[string]any{"message_id": strings.Repeat("a", 32), "existed": false, "receipt": []byte(receipt)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// packetOf is {"payload", "signature"} of payload's JSON and a stand-in
// signature.
func packetOf(t *testing.T, payload any) string {
	t.Helper()
	p, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string][]byte{"payload": p, "signature": []byte("not a CMS signature")})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
