package clerk_test

import (
	"encoding/json"
	"mime"
	"net/http"
	"sync/atomic"
	"testing"

	"lienthong/hub/hubtest"
	"lienthong/shared/wire"
)

// TestHubRefusingTheForm sends documents through a hub node of a release
// before 2026-12-05, which says it takes files with their packet no more
// than it knows the form: it reads the form's body as a packet and
// refuses it as malformed. The clerk uploads the files instead, and
// sends the next document's so at once.
func TestHubRefusingTheForm(t *testing.T) {
	var forms atomic.Int64
	h := hubtest.Start(t, hubtest.Options{Observe: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method == http.MethodPost && r.URL.Path == wire.PathMessages && mt == "multipart/form-data" {
				forms.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Content-Type-Options", "nosniff")
				w.WriteHeader(http.StatusBadRequest)
				json.NewEncoder(w).Encode(wire.Errorf(wire.CodeMalformed, "envelope: invalid character '-' in numeric literal"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}})
	ctx := ctxT(t)
	qn, na := newClerk(t, h, quangNinh), newClerk(t, h, ngheAn)
	mustSync(t, ctx, qn, na)

	var ids []string
	for _, file := range []string{"cong-van.pdf", "quyet-dinh.pdf"} {
		id, err := qn.Issue(ctx, draft(t, file, ngheAn))
		if err != nil {
			t.Fatalf("issue %s: %v", file, err)
		}
		ids = append(ids, id)
		mustSync(t, ctx, qn)
	}
	if qn.OutboxLen() != 0 {
		t.Fatalf("outbox after sync: %d", qn.OutboxLen())
	}
	if n := forms.Load(); n != 1 {
		t.Fatalf("the clerk sent %d forms to a hub that refused the first", n)
	}
	if up, sub := h.Requests(t, "route", "PATCH "+wire.PathUpload), h.Requests(t, "route", "POST "+wire.PathMessages, "outcome", "ok"); up < 2 || sub != 2 {
		t.Fatalf("%v uploads and %v submissions for two documents", up, sub)
	}
	mustSync(t, ctx, na)
	rows := inbox(t, na)
	if len(rows) != 2 {
		t.Fatalf("inbox %+v", rows)
	}
	for _, id := range ids {
		if _, err := na.Document(id); err != nil {
			t.Fatalf("received %s: %v", id, err)
		}
	}
}
