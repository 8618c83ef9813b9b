package apicheck

import (
	"io"
	"net/http"
	"net/http/httptest"
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
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"version":1,"agency":"000.00.00.H49","hub_time":"2026-12-05T01:00:00Z","max_attachment":100}`)
	}))
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/hello", nil))
	}
	if p := rec.Problems(); len(p) > 0 {
		b.Fatal(p)
	}
}
