package server_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/cms"
	"lienthong/shared/envelope"
	"lienthong/shared/tsa"
	"lienthong/shared/wire"
)

// TestTimestampBehindTheWrapper: the RFC 3161 service counts against the
// agency's rate like every call, and in the metrics.
func TestTimestampBehindTheWrapper(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) {
		c.RequestsPerSecond, c.Burst = 0.001, 3
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := rawClient(t, h, quangNinh, false)
	digest := sha256.Sum256([]byte("công văn"))
	granted, limited := 0, 0
	for range 10 {
		_, err := tsa.Request(ctx, c, "https://"+h.Addr+wire.PathTimestamp, digest[:], crypto.SHA256)
		switch {
		case err == nil:
			granted++
		case strings.Contains(err.Error(), "429"):
			limited++
		default:
			t.Fatalf("timestamp: %v", err)
		}
	}
	if granted != 3 || limited != 7 {
		t.Fatalf("%d granted and %d rate limited, want 3 and 7 (burst 3)", granted, limited)
	}
	// Nor is a path the API does not have a way around the limit.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+h.Addr+"/v1/nothing", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("an unknown path with the bucket empty: %d, want 429", resp.StatusCode)
	}
	families, err := h.Server.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := 0.0
	for _, f := range families {
		if f.GetName() != "lienthong_hub_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && l.GetValue() == "POST "+wire.PathTimestamp {
					counted += m.GetCounter().GetValue()
				}
			}
		}
	}
	if counted != 10 {
		t.Fatalf("metrics counted %v timestamp requests, want 10", counted)
	}
}

// TestErrorsAreJSON: what no handler takes is answered like every other
// error, a wire.Error in JSON with the status the wire gives its code.
func TestErrorsAreJSON(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tcp := range []bool{false, true} {
		c := rawClient(t, h, quangNinh, tcp)
		for _, tt := range []struct {
			method, path, contentType string
			want                      wire.Code
			allow                     string
		}{
			{http.MethodGet, "/v1/nothing", "", wire.CodeNotFound, ""},
			{http.MethodGet, "/", "", wire.CodeNotFound, ""},
			{http.MethodDelete, wire.PathHello, "", wire.CodeBadRequest, "GET, HEAD"},
			{http.MethodPut, "/v1/messages", "", wire.CodeBadRequest, "POST"},
			{http.MethodPut, "/v1/uploads/" + strings.Repeat("ab", 32), "", wire.CodeBadRequest, "POST, PATCH"},
			{http.MethodPost, wire.PathTimestamp, "text/plain", wire.CodeBadRequest, ""},
			{http.MethodGet, "/v1/messages/not-an-id", "", wire.CodeBadRequest, ""},
		} {
			req, _ := http.NewRequestWithContext(ctx, tt.method, "https://"+h.Addr+tt.path, strings.NewReader("x"))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var we wire.Error
			err = json.NewDecoder(resp.Body).Decode(&we)
			resp.Body.Close()
			if err != nil || we.Code != tt.want || resp.StatusCode != tt.want.HTTPStatus() || resp.Header.Get("Content-Type") != wire.ContentJSON {
				t.Errorf("%s %s (tcp %v): %d %s %+v (%v), want %s", tt.method, tt.path, tcp, resp.StatusCode, resp.Header.Get("Content-Type"), we, err, tt.want)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
			}
		}
	}
}

// TestAttachedPacketRefused: a packet whose signature carries its payload
// (attached), signed by the right agency, is refused as docs/API.md says.
func TestAttachedPacketRefused(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	qn := h.Client(t, quangNinh, false)
	doc := compose(t, h, quangNinh, readPDF(t, "cong-van.pdf"), "401", ngheAn)
	var p envelope.Packet
	if err := json.Unmarshal(doc.packet, &p); err != nil {
		t.Fatal(err)
	}
	kp := h.Agencies[quangNinh].Key
	b, err := cms.NewEncapsulatedBuilder(cms.OIDData, p.Payload, crypto.SHA256, kp.Certificates())
	if err != nil {
		t.Fatal(err)
	}
	if p.Signature, err = b.SignWith(kp.Key); err != nil {
		t.Fatal(err)
	}
	attached, _ := json.Marshal(p)
	if err := qn.Upload(ctx, doc.digest, bytes.NewReader(doc.pdf), int64(len(doc.pdf)), 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := qn.Submit(ctx, attached); wire.CodeOf(err) != wire.CodeMalformed {
		t.Fatalf("attached signature: %v, want %s", err, wire.CodeMalformed)
	}
	if _, err := qn.Submit(ctx, doc.packet); err != nil {
		t.Fatalf("the same document signed as specified: %v", err)
	}
	// A range beyond the attachment is refused in JSON too.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+h.Addr+"/v1/messages/"+doc.id+"/attachments/"+doc.digest, nil)
	req.Header.Set("Range", "bytes=99999999-")
	resp, err := rawClient(t, h, quangNinh, true).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var we wire.Error
	if err := json.NewDecoder(resp.Body).Decode(&we); err != nil || we.Code != wire.CodeBadRequest || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("range beyond the file: %d %+v (%v)", resp.StatusCode, we, err)
	}
}

// TestAnswersDeclareTheirLength: a JSON answer, an error's as well, says
// how long it is, so that a client reads it into one buffer of that size.
func TestAnswersDeclareTheirLength(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	for _, path := range []string{wire.PathHello, wire.PathInbox + "?after=0&wait=0", "/v1/messages/no-such-message/receipts"} {
		w := call(t, h, quangNinh, http.MethodGet, path, nil, nil)
		if got, want := w.Header().Get("Content-Length"), strconv.Itoa(w.Body.Len()); got != want || w.Body.Len() == 0 {
			t.Errorf("GET %s: %d, Content-Length %q for %d bytes", path, w.Code, got, w.Body.Len())
		}
		if ct := w.Header().Get("Content-Type"); ct != wire.ContentJSON || !json.Valid(w.Body.Bytes()) {
			t.Errorf("GET %s: %q %q", path, ct, w.Body)
		}
	}
}
