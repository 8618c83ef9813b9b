package hubtest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// recordingT is a test that keeps its errors and cleanups.
type recordingT struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (r *recordingT) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingT) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// TestCheckAPI shows that a hub's answer that breaks the API's schemas
// fails the test that started the hub, when the test cleans up, and that
// one that keeps to them does not.
func TestCheckAPI(t *testing.T) {
	for _, c := range []struct {
		name, answer string
		fails        bool
	}{
		{"as documented", `{"version":1,"agency":"000.00.00.H49","hub_time":"2026-12-05T01:00:00Z","max_attachment":100}`, false},
		{"missing hub_time", `{"version":1,"agency":"000.00.00.H49","max_attachment":100}`, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rt := &recordingT{TB: t}
			h := checkAPI(rt)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Content-Type-Options", "nosniff")
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, c.answer)
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/v1/hello", nil))
			if len(rt.errors) != 0 {
				t.Fatalf("errors before the cleanup: %q", rt.errors)
			}
			for _, f := range rt.cleanups {
				f()
			}
			got := strings.Join(rt.errors, "\n")
			if c.fails != strings.Contains(got, "hub_time") {
				t.Errorf("the test's errors: %q", got)
			}
		})
	}
}
