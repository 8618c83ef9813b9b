package hubclient_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"lienthong/certs/certstest"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// TestEdXMLCalls: PostEdXML sends the packet's bytes with their detached
// signature and ?regarding, and is sent again to the next node when one
// cannot serve; EdXMLMessage streams the packet with its origin and
// signature and refuses one over its limit; the two edXML views send
// their cursor, wait and limit.
func TestEdXMLCalls(t *testing.T) {
	pki := certstest.New(t)
	hub := pki.Hub(t)
	packet := []byte(`<?xml version="1.0"?><edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>`)
	sig := []byte{0x30, 0x82, 0x01, 0x02}
	var got struct {
		body          []byte
		ct, sig, regd string
	}
	node := func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == wire.PathEdXML:
			got.body, _ = io.ReadAll(r.Body)
			got.ct, got.sig, got.regd = r.Header.Get("Content-Type"), r.Header.Get(wire.HeaderSignature), r.URL.Query().Get("regarding")
			w.Header().Set("Content-Type", wire.ContentJSON)
			json.NewEncoder(w).Encode(wire.EdXMLAccepted{Kind: "status", MessageID: got.regd})
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/edxml/messages/"):
			w.Header().Set("Content-Type", wire.ContentEdXML)
			w.Header().Set(wire.HeaderOrigin, wire.OriginSender)
			w.Header().Set(wire.HeaderSignature, base64.StdEncoding.EncodeToString(sig))
			w.Write(packet)
		case r.Method == http.MethodGet && r.URL.Path == wire.PathEdXMLInbox:
			q := r.URL.Query()
			json.NewEncoder(w).Encode(wire.EdXMLInbox{Items: []wire.EdXMLInboxItem{{Cursor: 8, Origin: q.Get("after") + "/" + q.Get("wait") + "/" + q.Get("limit")}}, Next: 8})
		case r.Method == http.MethodGet && r.URL.Path == wire.PathEdXMLStatuses:
			q := r.URL.Query()
			json.NewEncoder(w).Encode(wire.EdXMLStatuses{Items: []wire.EdXMLStatusItem{{Cursor: 9, Origin: q.Get("after") + "/" + q.Get("wait")}}, Next: 9})
		default:
			http.NotFound(w, r)
		}
	}
	busy := startNode(t, pki, hub, nil, answer(wire.CodeUnavailable))
	good := startNode(t, pki, hub, nil, node)
	c := newClient(t, pki, busy.addr+", "+good.addr, hubclient.Options{})
	ctx := testContext(t)

	a, err := c.PostEdXML(ctx, packet, sig, "0123456789abcdef0123456789abcdef")
	if err != nil || a.MessageID != "0123456789abcdef0123456789abcdef" {
		t.Fatalf("post: %+v, %v", a, err)
	}
	if busy.hits.Load() != 1 {
		t.Errorf("the busy node got %d requests", busy.hits.Load())
	}
	if !bytes.Equal(got.body, packet) || got.ct != wire.ContentEdXML || got.sig != base64.StdEncoding.EncodeToString(sig) {
		t.Errorf("the hub got %q (%s), signature %q", got.body, got.ct, got.sig)
	}
	if _, err := c.PostEdXML(ctx, packet, nil, ""); err != nil || got.sig != "" || got.regd != "" {
		t.Errorf("post without signature: signature %q, regarding %q, %v", got.sig, got.regd, err)
	}

	var buf bytes.Buffer
	p, err := c.EdXMLMessage(ctx, "0123456789abcdef0123456789abcdef", &buf, int64(len(packet)))
	if err != nil || p.Origin != wire.OriginSender || !bytes.Equal(p.Signature, sig) || !bytes.Equal(buf.Bytes(), packet) || p.Size != int64(len(packet)) {
		t.Fatalf("message: %+v %q, %v", p, buf.Bytes(), err)
	}
	if _, err := c.EdXMLMessage(ctx, "0123456789abcdef0123456789abcdef", io.Discard, int64(len(packet))-1); err == nil {
		t.Error("a packet over the limit was taken")
	}

	in, err := c.EdXMLInbox(ctx, 7, 2*time.Second, 10)
	if err != nil || len(in.Items) != 1 || in.Items[0].Origin != "7/2/10" || in.Next != 8 {
		t.Errorf("inbox: %+v, %v", in, err)
	}
	st, err := c.EdXMLStatuses(ctx, 5, 0)
	if err != nil || len(st.Items) != 1 || st.Items[0].Origin != "5/0" || st.Next != 9 {
		t.Errorf("statuses: %+v, %v", st, err)
	}
}
