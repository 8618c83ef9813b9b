package hubclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"lienthong/shared/wire"
)

// The edXML calls (wire.PathEdXML and the views under it), for document
// systems that speak edXML and for the clerk's documents that came as
// edXML. They follow the node failover of the rest of the client: each is
// safe to send twice (see each method).

// PostEdXML sends a signed edXML document or status packet. signature,
// when not nil, is a detached CMS signature over the packet's exact bytes,
// for a packet that has no XML signature of its own; regarding, when not
// empty, is the message id of the document a status packet answers. A
// repeat is safe: the hub knows a packet by its bytes and answers a
// repeat with the first answer (Existed).
func (c *Client) PostEdXML(ctx context.Context, packet, signature []byte, regarding string) (*wire.EdXMLAccepted, error) {
	var q url.Values
	if regarding != "" {
		q = url.Values{"regarding": {regarding}}
	}
	var hdr http.Header
	if len(signature) > 0 {
		hdr = http.Header{wire.HeaderSignature: {base64.StdEncoding.EncodeToString(signature)}}
	}
	var a wire.EdXMLAccepted
	return &a, c.doReader(ctx, repeatable, http.MethodPost, wire.PathEdXML, q, bytes.NewReader(packet), wire.ContentEdXML, hdr, &a)
}

// EdXMLPacket is what EdXMLMessage found besides the packet's bytes.
type EdXMLPacket struct {
	Origin string // wire.OriginSender or wire.OriginHub
	// Signature is the detached CMS signature over the packet that came
	// with it (HeaderSignature), nil when it carries its own XML
	// signature.
	Signature []byte
	Size      int64 // the bytes written
}

// EdXMLMessage writes the edXML packet of message id into w, at most max
// bytes (a longer packet is an error). A node that dies before the bytes
// begin is replaced by another; one that dies while they stream ends the
// call with an error, and the caller fetches again (a read changes
// nothing).
func (c *Client) EdXMLMessage(ctx context.Context, id string, w io.Writer, max int64) (*EdXMLPacket, error) {
	path := pathOf(wire.PathEdXMLMessage, "id", id)
	resp, n, err := c.send(ctx, exchange{retry: repeatable, build: func(base string) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	}})
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, decodeError(resp)
	}
	p := &EdXMLPacket{Origin: resp.Header.Get(wire.HeaderOrigin)}
	if s := resp.Header.Get(wire.HeaderSignature); s != "" {
		if p.Signature, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("GET %s: %s header: %w", path, wire.HeaderSignature, err)
		}
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("GET %s: a packet of %d bytes, more than %d", path, resp.ContentLength, max)
	}
	p.Size, err = io.Copy(w, io.LimitReader(resp.Body, max+1))
	if err != nil {
		if ctx.Err() == nil {
			c.nodeFailed(n, err)
		}
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if p.Size > max {
		return nil, fmt.Errorf("GET %s: a packet of more than %d bytes", path, max)
	}
	return p, nil
}

// EdXMLInbox lists documents queued to this agency after cursor as edXML
// inbox items, waiting up to wait for one, at most limit (0: the hub's
// default). Acknowledge or refuse them with Ack and Refuse.
func (c *Client) EdXMLInbox(ctx context.Context, after uint64, wait time.Duration, limit int) (*wire.EdXMLInbox, error) {
	var in wire.EdXMLInbox
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "wait": {strconv.Itoa(int(wait / time.Second))}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return &in, c.poll(ctx, wire.PathEdXMLInbox, q, wait, &in)
}

// EdXMLStatuses lists statuses about this agency's documents after cursor
// as edXML status packets, waiting up to wait for one. Remove them with
// AckStatuses.
func (c *Client) EdXMLStatuses(ctx context.Context, after uint64, wait time.Duration) (*wire.EdXMLStatuses, error) {
	var s wire.EdXMLStatuses
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "wait": {strconv.Itoa(int(wait / time.Second))}}
	return &s, c.poll(ctx, wire.PathEdXMLStatuses, q, wait, &s)
}
