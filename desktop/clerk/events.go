package clerk

import (
	"lienthong/certs"
	"lienthong/desktop/store"
	"lienthong/shared/document"
)

// Event is something front ends react to. The concrete types are below.
type Event interface{ isEvent() }

// DocumentArrived: a new incoming document is stored.
type DocumentArrived struct {
	ID      string
	Urgency document.Urgency
	Secrecy document.Secrecy
	Subject string
	From    string // the issuing agency's name
}

// StatusChanged: a recipient (or the sender, for a recall) set a status on
// a document of this store.
type StatusChanged struct {
	ID     string
	Agency certs.AgencyCode
	Code   document.Status
}

// ConnectionChanged: the hub became reachable or unreachable.
type ConnectionChanged struct {
	Online    bool
	Transport string // "h3" or "h2"
	Err       error  // why it went offline
}

// OutboxChanged: the number of actions waiting for the hub changed.
type OutboxChanged struct{ Pending int }

// TransferProgress: bytes of an attachment uploaded or downloaded.
type TransferProgress struct {
	ID          string // the document
	Done, Total int64
	Upload      bool
}

// DocumentChanged: a stored document changed (sent, read, registered...).
type DocumentChanged struct{ ID string }

// SyncFailed: the hub refused an outbox action for good; the item stays in
// the outbox and is retried on the next sync. A document the hub refuses
// for good is returned instead (DocumentReturned).
type SyncFailed struct {
	ID  string // the document
	Err error
}

// DocumentRefused: an incoming document this clerk cannot take was set
// aside as refused (see Clerk.Refusals), or the hub recorded that refusal
// and told the sender (Told).
type DocumentRefused struct {
	ID    string // the message id
	From  certs.AgencyCode
	Cause store.RefusalCause
	Told  bool
}

// DocumentDuplicate: the hub delivered a document this store holds
// already (the same DocumentId and business type from the same sender,
// imported from an edXML file or delivered before): it was acknowledged
// and not filed again, so that the document keeps one số đến. Message is
// the hub's message id, Existing the document held.
type DocumentDuplicate struct {
	Message  string
	Existing string
	From     certs.AgencyCode
}

// DocumentReturned: the hub refused an outgoing document for good (see
// wire.Code.Returns): it left the outbox, is recorded as returned
// (store.Document.Returned) and is never retried; Resend sends it again
// re-addressed. Err is the hub's answer: RecipientClosedOf names the
// successors of closed recipients, Explain says it to the clerk.
type DocumentReturned struct {
	ID  string // the document
	Err error
}

func (DocumentReturned) isEvent()  {}
func (DocumentRefused) isEvent()   {}
func (DocumentDuplicate) isEvent() {}
func (DocumentArrived) isEvent()   {}
func (StatusChanged) isEvent()     {}
func (ConnectionChanged) isEvent() {}
func (OutboxChanged) isEvent()     {}
func (TransferProgress) isEvent()  {}
func (DocumentChanged) isEvent()   {}
func (SyncFailed) isEvent()        {}

// subscriberBuffer is the size of a subscriber's channel.
const subscriberBuffer = 256

// Subscribe returns a channel of events and a function that ends the
// subscription. The channel is buffered; the engine never waits for a
// subscriber, so one that falls more than the buffer behind loses events
// (it should re-read what it shows from the store). The channel is closed
// by the cancel function or by Close.
func (c *Clerk) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, subscriberBuffer)
	c.mu.Lock()
	id := c.nsub
	c.nsub++
	c.subs[id] = ch
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if ch, ok := c.subs[id]; ok {
			close(ch)
			delete(c.subs, id)
		}
	}
}

func (c *Clerk) emit(ev Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (c *Clerk) emitOutbox() {
	n, err := c.st.OutboxLen()
	if err == nil {
		c.emit(OutboxChanged{Pending: n})
	}
}

// wake tells Run to push the outbox now.
func (c *Clerk) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
	c.emitOutbox()
}
