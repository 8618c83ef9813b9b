package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/sync/semaphore"

	"lienthong/shared/edxml"
	"lienthong/shared/wire"
)

// edXML at the hub. A document an agency's system sends as an edXML packet
// (SubmitEdXML) is stored as that packet, byte for byte: the packet is a
// blob of the message, content-addressed by its SHA-256 like an
// attachment, and the message's stored envelope is an edxmlRef naming it.
// Recipients fetch the sender's own packet and verify the sender
// themselves; nobody has to trust the hub's reading of it.
//
// Reading and verifying a packet holds it whole in memory, several times
// over for its XML signature, so edXML work of all agencies shares one
// memory budget (EdXMLOptions.Memory).

// ErrEdXMLBusy: the edXML memory budget is taken by packets in progress;
// the caller may try again shortly.
var ErrEdXMLBusy = errors.New("the hub is reading as many edXML packets as its memory allows: try again shortly")

// EdXMLOptions tune edXML at the hub.
type EdXMLOptions struct {
	// MaxPacket bounds an edXML packet taken or handed out, in bytes;
	// 0 means edxml.DefaultMaxPacketSize (50 MB).
	MaxPacket int64
	// RefuseSHA1 refuses packets signed with SHA-1 (RSA-SHA1 is common in
	// circulation); by default they are taken with a warning.
	RefuseSHA1 bool
	// Memory bounds the bytes of edXML packets the hub holds at once,
	// each counted at edXMLCost times its size; 0 means 512 MiB. It must
	// be at least edXMLCost × MaxPacket, so that one packet of the
	// largest size can always be read.
	Memory int64
	// TempDir holds the decoded attachments of a packet while they are
	// checked (removed before SubmitEdXML returns); "" means os.TempDir.
	TempDir string
}

// edXMLCost is how many times its size a packet counts against
// EdXMLOptions.Memory: the bytes, the parsed tree of its XML signature's
// check, canonical forms and decoded attachments.
const edXMLCost = 8

func (o *EdXMLOptions) defaults() error {
	if o.MaxPacket <= 0 {
		o.MaxPacket = edxml.DefaultMaxPacketSize
	}
	if o.Memory <= 0 {
		o.Memory = 512 << 20
	}
	if o.Memory < edXMLCost*o.MaxPacket {
		return fmt.Errorf("relay: edXML memory %d is less than %d times the largest packet (%d)", o.Memory, edXMLCost, o.MaxPacket)
	}
	return nil
}

// edxmlBudget is the memory edXML packets in progress may hold.
type edxmlBudget struct {
	sem *semaphore.Weighted
}

func newEdXMLBudget(o EdXMLOptions) *edxmlBudget {
	return &edxmlBudget{sem: semaphore.NewWeighted(o.Memory)}
}

// take reserves room for a packet of size bytes, without waiting: a hub
// short of memory answers ErrEdXMLBusy rather than queueing requests that
// each hold their body. release gives it back.
func (b *edxmlBudget) take(size int64) (release func(), err error) {
	n := edXMLCost * max(size, 1)
	if !b.sem.TryAcquire(n) {
		return nil, ErrEdXMLBusy
	}
	return func() { b.sem.Release(n) }, nil
}

// edxmlRef is what the store keeps as the envelope of a message sent as an
// edXML packet: the packet itself is a blob of the message. It is JSON
// whose one top-level key, "edxml", no sealed envelope has.
type edxmlRef struct {
	EdXML wire.EdXMLRef `json:"edxml"`
}

// encode returns the bytes stored as the message's envelope.
func (r edxmlRef) encode() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // a struct of strings and bytes always marshals
	}
	return b
}

// parseEdXMLRef returns the reference a stored envelope holds, and false
// for a sealed envelope (a document sent as a Lienthong packet).
func parseEdXMLRef(envelope []byte) (wire.EdXMLRef, bool) {
	if !bytes.HasPrefix(envelope, []byte(`{"edxml":`)) {
		return wire.EdXMLRef{}, false
	}
	var r edxmlRef
	d := json.NewDecoder(bytes.NewReader(envelope))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil || r.EdXML.SHA256 == "" {
		return wire.EdXMLRef{}, false
	}
	return r.EdXML, true
}
