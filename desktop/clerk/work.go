package clerk

import (
	"errors"
	"fmt"

	"lienthong/desktop/store"
	"lienthong/shared/document"
)

// incoming returns a stored incoming document.
func (c *Clerk) incoming(id string) (*store.Document, error) {
	doc, err := c.st.Get(id)
	if err != nil {
		return nil, err
	}
	if doc.Box != store.Incoming {
		return nil, ErrWrongBox
	}
	return doc, nil
}

// statusFor builds and signs this agency's status about an incoming
// document, and what the outbox sends of it: for a native document a
// sealed status packet (POST /v1/statuses); for one that came as edXML
// through the hub an edXML status packet signed with the agency's key
// (POST /v1/edxml), so that the sending system verifies the clerk's own
// signature; nothing for one imported from an edXML file that the hub never
// delivered (its statuses are exported with ExportEdXMLStatus).
func (c *Clerk) statusFor(doc *store.Document, code document.Status, staff, note, reason string) (store.StatusEntry, []store.OutboxItem, error) {
	u := document.StatusUpdate{Document: doc.Payload.Metadata.ID(), From: c.code, Code: code,
		Description: note, Reason: reason, Staff: staff, Time: c.now()}
	u.Normalize()
	if err := u.Validate(); err != nil {
		return store.StatusEntry{}, nil, err
	}
	rt, regarding := c.statusRoute(doc.ID)
	packet, queue, err := c.statusPacket(doc.ID, u, rt, regarding)
	if err != nil {
		return store.StatusEntry{}, nil, err
	}
	return store.StatusEntry{Copy: c.code, Update: u, Packet: packet}, queue, nil
}

// setStatus appends a status to an incoming document and queues it for
// the sender, in one transaction.
func (c *Clerk) setStatus(id string, code document.Status, staff, note, reason string) error {
	doc, err := c.incoming(id)
	if err != nil {
		return fmt.Errorf("status %s on %s: %w", code, id, err)
	}
	e, queue, err := c.statusFor(doc, code, staff, note, reason)
	if err != nil {
		return fmt.Errorf("status %s on %s: %w", code, id, err)
	}
	if err := c.st.AddStatus(store.StatusChange{Doc: id, Entry: e, Queue: queue}); err != nil {
		return fmt.Errorf("status %s on %s: %w", code, id, err)
	}
	c.emit(StatusChanged{ID: id, Agency: c.code, Code: code})
	c.emit(DocumentChanged{ID: id})
	c.wake()
	return nil
}

// Register records an incoming document in the incoming register (03) and
// returns its số đến.
func (c *Clerk) Register(id, staff string) (int, error) {
	doc, err := c.incoming(id)
	if err != nil {
		return 0, fmt.Errorf("register %s: %w", id, err)
	}
	e, queue, err := c.statusFor(doc, document.StatusReceived, staff, "", "")
	if err != nil {
		return 0, fmt.Errorf("register %s: %w", id, err)
	}
	n, err := c.st.Register(store.Registration{Doc: id, At: c.now(), Entry: e, Queue: queue})
	if err != nil {
		return 0, fmt.Errorf("register %s: %w", id, err)
	}
	c.emit(StatusChanged{ID: id, Agency: c.code, Code: document.StatusReceived})
	c.emit(DocumentChanged{ID: id})
	c.wake()
	return n, nil
}

// Assign records that the document was assigned to a unit or person (04).
func (c *Clerk) Assign(id, to, staff string) error {
	return c.setStatus(id, document.StatusAssigned, staff, to, "")
}

// Process records that the document is being processed (05).
func (c *Clerk) Process(id, staff, note string) error {
	return c.setStatus(id, document.StatusProcessing, staff, note, "")
}

// Complete records that processing is completed (06).
func (c *Clerk) Complete(id, staff, note string) error {
	return c.setStatus(id, document.StatusCompleted, staff, note, "")
}

// Refuse refuses the document (02); the reason is mandatory.
func (c *Clerk) Refuse(id, staff, reason string) error {
	if reason == "" {
		return fmt.Errorf("refuse %s: %w", id, ErrReasonNeeded)
	}
	return c.setStatus(id, document.StatusRefused, staff, "", reason)
}

// AnswerRecall accepts (15) or refuses (16) a recall or an update. id is
// the recall or update packet, or the recalled document. Accepting a
// recall closes this agency's copy of the document and destroys its files,
// keeping the metadata.
func (c *Clerk) AnswerRecall(id string, accept bool, staff, reason string) error {
	doc, err := c.incoming(id)
	if err != nil {
		return fmt.Errorf("answer recall %s: %w", id, err)
	}
	recallID := id
	if t := doc.Payload.Metadata.Business.Type; t != document.BusinessRecall && t != document.BusinessUpdate {
		r, err := c.st.RecallOf(id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("answer recall %s: %w", id, ErrNoRecall)
		}
		if err != nil {
			return fmt.Errorf("answer recall %s: %w", id, err)
		}
		recallID = r
	}
	code := document.StatusRejected
	if accept {
		code = document.StatusAccepted
	}
	if !accept && reason == "" {
		return fmt.Errorf("answer recall %s: %w", id, ErrReasonNeeded)
	}
	if err := c.setStatus(recallID, code, staff, "", reason); err != nil {
		return fmt.Errorf("answer recall: %w", err)
	}
	// The answer closes (15) or reopens (16) the recalled copy's history.
	rd, err := c.st.Get(recallID)
	if err != nil {
		return nil
	}
	recall := rd.Payload.Metadata.Business.Type == document.BusinessRecall
	for _, target := range rd.Payload.Targets {
		if td, err := c.incoming(target); err == nil {
			if accept && recall {
				// ND30: the recipient's copy is destroyed, its metadata kept.
				if err := c.st.DestroyAttachments(target); err != nil {
					return fmt.Errorf("answer recall: destroy the recalled copy: %w", err)
				}
			}
			u := document.StatusUpdate{Document: td.Payload.Metadata.ID(), From: c.code, Code: code, Reason: reason, Staff: staff, Time: c.now()}
			if err := c.st.AddStatus(store.StatusChange{Doc: target, Entry: store.StatusEntry{Copy: c.code, Update: u}}); err != nil && !errors.Is(err, document.ErrTransition) {
				c.log.Warn("record recall answer on the recalled copy", "doc", target, "err", err)
			}
			c.emit(DocumentChanged{ID: target})
		}
	}
	return nil
}
