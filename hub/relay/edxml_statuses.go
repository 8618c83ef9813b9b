package relay

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
	"lienthong/shared/xmlsig"
)

// EdXMLStatusItem is a status about one of the agency's documents as an
// edXML status packet.
type EdXMLStatusItem struct {
	Cursor    uint64
	MessageID string
	From      certs.AgencyCode
	Code      document.Status
	At        time.Time
	Origin    string // wire.OriginSender or wire.OriginHub
	EdXML     []byte // the edXML status packet
	Signature []byte // OriginSender: the detached CMS signature, if any
	// Packet is, for OriginHub, the signed status packet or the hub's
	// receipt (01, a refusal's 02) the edXML packet was built from.
	Packet []byte
}

// EdXMLStatuses lists the status updates waiting for agency after cursor,
// as Statuses does (the same queue, cursors and long poll), each as an
// edXML status packet: the recipient's own when it posted one, else built
// by the hub from the status and the document it is about and signed with
// the hub's receipt identity. An answer holds at most
// Options.MaxInboxBytes of packets (at least one item).
func (r *Relay) EdXMLStatuses(ctx context.Context, agency certs.AgencyCode, after uint64, limit int, wait time.Duration) ([]EdXMLStatusItem, uint64, error) {
	items, next := []EdXMLStatusItem{}, after
	err := r.longPoll(ctx, agency, wait, func() (int, error) {
		list, err := r.st.StatusInbox(ctx, agency, after, limit)
		if err != nil {
			return 0, err
		}
		items, next = items[:0], after
		size := 0
		docs := map[string]document.DocumentRef{}
		for _, st := range list {
			it, err := r.edxmlStatusItem(ctx, agency, &st, docs)
			if err != nil {
				return 0, err
			}
			if size += len(it.EdXML) + len(it.Signature) + len(it.Packet); len(items) > 0 && size > r.inboxMax {
				break
			}
			items = append(items, it)
			next = st.Cursor
		}
		return len(items), nil
	})
	return items, next, err
}

// edxmlStatusItem gives one stored status as an edXML status packet; docs
// caches the ids of the documents the page's statuses are about.
func (r *Relay) edxmlStatusItem(ctx context.Context, agency certs.AgencyCode, st *store.StatusUpdate, docs map[string]document.DocumentRef) (EdXMLStatusItem, error) {
	it := EdXMLStatusItem{Cursor: st.Cursor, MessageID: st.MessageID, From: st.From, Code: st.Code, At: st.At}
	if packet, sig, ok := EdXMLStatus(st.Signed); ok {
		it.Origin, it.EdXML, it.Signature = wire.OriginSender, packet, sig
		return it, nil
	}
	u, err := r.statusUpdate(ctx, agency, st, docs)
	if err != nil {
		return it, fmt.Errorf("status %d of %s as edXML: %w", st.Cursor, st.MessageID, err)
	}
	var buf bytes.Buffer
	if err := edxml.WriteStatus(&buf, &edxml.Status{Update: u}); err != nil {
		return it, fmt.Errorf("status %d of %s as edXML: %w", st.Cursor, st.MessageID, err)
	}
	signed, err := xmlsig.Sign(buf.Bytes(), r.identity)
	if err != nil {
		return it, fmt.Errorf("sign status %d of %s as edXML: %w", st.Cursor, st.MessageID, err)
	}
	it.Origin, it.EdXML, it.Packet = wire.OriginHub, signed, st.Signed
	return it, nil
}

// statusUpdate is what the hub writes as edXML of a status that came as a
// sealed packet (its signed update whole) or is the hub's own (01, a
// refusal's 02: the stored fields, about the message's document, at the
// hub's time). edXML has one Description: a refusal's carries its reason,
// and a description given with it stays in the signed packet handed out
// beside.
func (r *Relay) statusUpdate(ctx context.Context, agency certs.AgencyCode, st *store.StatusUpdate, docs map[string]document.DocumentRef) (document.StatusUpdate, error) {
	var u document.StatusUpdate
	if p, err := envelope.Decode(st.Signed); err == nil {
		if k, _ := envelope.Kind(p.Payload); k == envelope.KindStatus {
			s, err := envelope.ParseStatus(p.Payload)
			if err != nil {
				return u, err
			}
			u = s.Update
		}
	}
	if u.Code == "" {
		u = document.StatusUpdate{From: st.From, Code: st.Code, Reason: st.Reason, Staff: st.Staff, Time: st.At}
	}
	if u.Code == document.StatusRefused {
		u.Description = ""
	}
	if !u.Document.IsZero() {
		return u, nil
	}
	ref, ok := docs[st.MessageID]
	if !ok {
		m, _, err := r.st.MessageParty(ctx, st.MessageID, agency)
		if err != nil {
			return u, err
		}
		if ref, err = document.ParseDocumentID(m.DocumentID); err != nil {
			return u, fmt.Errorf("the document it is about: %w", err)
		}
		docs[st.MessageID] = ref
	}
	u.Document = ref
	return u, nil
}
