package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"lienthong/hub/hubtest"
	"lienthong/shared/wire"
)

// TestPatchFinishedUpload sends a chunk to an upload that is already
// done, again and again over HTTP/2 and HTTP/3: the hub answers done once
// it has read the chunk, so the stream ends cleanly. Answering first and
// resetting the stream that still sends (the server's right, RFC 9113
// 8.1) made clients that send the whole body before reading the answer
// lose it about half the time. Deterministic: while the hub has not read
// the body, the client cannot have sent all of it (the chunk is larger
// than the stream's flow-control window), so an answer that arrives before
// the whole body was sent is an answer given without reading it.
func TestPatchFinishedUpload(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	data := make([]byte, 4<<20)
	rand.Read(data)
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	const offset = 256 << 10
	if err := h.Client(t, quangNinh, true).Upload(ctx, digest, bytes.NewReader(data), int64(len(data)), offset, nil); err != nil {
		t.Fatal(err)
	}
	for _, tcp := range []bool{true, false} {
		c := rawClient(t, h, quangNinh, tcp)
		for i := range 20 {
			url := fmt.Sprintf("https://%s/v1/uploads/%s?size=%d&offset=%d", h.Addr, digest, len(data), offset)
			pr, pw := io.Pipe()
			var sent atomic.Bool
			go func() {
				_, err := pw.Write(data[offset:])
				sent.Store(err == nil)
				pw.CloseWithError(err)
			}()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, url, pr)
			req.ContentLength = int64(len(data) - offset)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("tcp %v, try %d: %v", tcp, i, err)
			}
			wholeBodySent := sent.Load()
			var st wire.UploadState
			err = json.NewDecoder(resp.Body).Decode(&st)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			pr.Close()
			if err != nil || resp.StatusCode != http.StatusOK || !st.Done || st.Offset != int64(len(data)) {
				t.Fatalf("tcp %v, try %d: %d %+v (%v)", tcp, i, resp.StatusCode, st, err)
			}
			if !wholeBodySent {
				t.Fatalf("tcp %v, try %d: the hub answered before reading the chunk", tcp, i)
			}
		}
	}
}
