package clerk

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"lienthong/certs"
	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// How this agency's statuses about an incoming document reach its
// sender, and the rule that keeps a document to one số đến when the hub
// delivers a paper the clerk imported from an edXML file.

// route is how the statuses of an incoming document travel.
type route int

const (
	// routeNative: sealed status packets (POST /v1/statuses), for a
	// document the hub delivered as a Lienthong packet.
	routeNative route = iota
	// routeEdXML: edXML status packets signed with the agency's key (POST
	// /v1/edxml), for a document the hub delivered as an edXML packet, so
	// that the sending system verifies the clerk's own signature.
	routeEdXML
	// routeFile: none, for a document imported from an edXML file that
	// the hub never delivered; the clerk exports its statuses
	// (ExportEdXMLStatus) and hands them over the way the paper came.
	routeFile
)

// settingHubCopy prefixes the setting that links a document imported from
// an edXML file to the hub's delivery of the same document
// (heldDelivered): "native:ID" or "edxml:ID", ID the hub's message id.
const settingHubCopy = "hub_copy:"

var routePrefix = map[route]string{routeNative: "native:", routeEdXML: "edxml:"}

// statusRoute returns how the statuses of incoming document id travel and
// the hub's message id they are about.
func (c *Clerk) statusRoute(id string) (route, string) {
	p, err := c.st.Packet(id)
	if err != nil || !isEdXML(p) {
		return routeNative, id
	}
	if hubMessageID(p) == id {
		return routeEdXML, id // delivered by the hub as this packet
	}
	link, _ := c.st.Setting(settingHubCopy + id)
	for rt, prefix := range routePrefix {
		if regarding, ok := strings.CutPrefix(link, prefix); ok {
			return rt, regarding
		}
	}
	return routeFile, ""
}

// statusPacket signs u as the packet its route takes (regarding: the
// hub's message id it is about) and returns the outbox items that send
// it, none for routeFile.
func (c *Clerk) statusPacket(doc string, u document.StatusUpdate, rt route, regarding string) ([]byte, []store.OutboxItem, error) {
	if rt == routeEdXML {
		packet, err := c.edxmlStatusPacket(u)
		if err != nil {
			return nil, nil, err
		}
		return packet, []store.OutboxItem{{Kind: store.SendEdXMLStatus, Doc: doc, Message: regarding, Packet: packet}}, nil
	}
	if regarding == "" {
		regarding = doc
	}
	s := envelope.Status{Kind: envelope.KindStatus, MessageID: envelope.NewMessageID(), Regarding: regarding, Update: u}
	payload, err := json.Marshal(s)
	if err != nil {
		return nil, nil, err
	}
	packet, err := envelope.Seal(payload, c.signer())
	if err != nil {
		return nil, nil, fmt.Errorf("seal status: %w", err)
	}
	if rt == routeFile {
		return packet, nil, nil
	}
	return packet, []store.OutboxItem{{Kind: store.SendStatus, Doc: doc, Message: s.MessageID, Packet: packet}}, nil
}

// importedCopy returns the document imported from an edXML file that m,
// delivered by the hub, is: the same DocumentId and business type, found
// by the id the import filed it under.
func (c *Clerk) importedCopy(m *document.Metadata) (string, bool) {
	id := edxmlMessageID(m)
	d, err := c.st.Get(id)
	if err != nil || d.Box != store.Incoming || d.Payload.Metadata.From.Code != m.From.Code {
		return "", false
	}
	return id, true
}

// heldDelivered answers the hub's delivery (over rt) of a document this
// store holds already: ND30 gives a document one số đến, so it is
// acknowledged, since this agency has it, and not filed again. A document
// imported from a file is linked to the delivery: the statuses this
// agency recorded on it go to the sender through the hub after the
// acknowledgement's 01, and its later ones follow (statusRoute). The
// clerk is told (DocumentDuplicate).
func (c *Clerk) heldDelivered(held string, from certs.AgencyCode, hub *wire.InboxItem, rt route) error {
	queue := []store.OutboxItem{{Kind: store.Ack, Doc: held, Message: hub.MessageID}}
	cur, _ := c.statusRoute(held)
	link := cur == routeFile
	if link {
		hist, err := c.st.History(held)
		if err != nil {
			return err
		}
		for _, h := range hist {
			if h.Copy != c.code {
				continue
			}
			for _, e := range h.Entries {
				if e.Update.Code == document.StatusArrived {
					continue // the acknowledgement's receipt says it
				}
				_, items, err := c.statusPacket(held, e.Update, rt, hub.MessageID)
				if err != nil {
					return err
				}
				queue = append(queue, items...)
			}
		}
	}
	// Queued before the link is kept and the cursor moves (the store has
	// no transaction for the three): a crash in between delivers it again,
	// the repeated acknowledgement is answered as the first, and a status
	// queued twice is refused by the hub the second time rather than lost.
	if err := c.st.Enqueue(queue...); err != nil {
		return err
	}
	if link {
		if err := c.st.SetSetting(settingHubCopy+held, routePrefix[rt]+hub.MessageID); err != nil {
			return err
		}
	}
	if err := c.st.SetCursor(store.CursorInbox, strconv.FormatUint(hub.Cursor, 10)); err != nil {
		return err
	}
	c.log.Warn("the hub delivered a document held already; acknowledged, not filed again",
		"doc", hub.MessageID, "held", held, "peer", hub.Sender)
	c.emit(DocumentDuplicate{Message: hub.MessageID, Existing: held, From: from})
	c.emit(DocumentChanged{ID: held})
	c.wake()
	return nil
}
