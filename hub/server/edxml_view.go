package server

import (
	"encoding/base64"
	"io"
	"net/http"
	"strconv"

	"lienthong/shared/wire"
)

// The edXML view: the inbox and the statuses as edXML, and a document as
// an edXML packet (package relay's EdXMLInbox, EdXMLMessage,
// EdXMLStatuses).

func (s *Server) edxmlInbox(w http.ResponseWriter, r *request) error {
	after, limit, wait, err := pollParams(r)
	if err != nil {
		return err
	}
	items, next, err := s.relay.EdXMLInbox(r.Context(), r.agency, after, limit, wait)
	if err != nil {
		return err
	}
	out := wire.EdXMLInbox{Items: make([]wire.EdXMLInboxItem, 0, len(items)), Next: next}
	for _, it := range items {
		out.Items = append(out.Items, wire.EdXMLInboxItem{Cursor: it.Cursor, MessageID: it.MessageID, Sender: string(it.Sender),
			Origin: it.Origin, SHA256: it.Ref.SHA256, Size: it.Ref.Size, Signature: it.Ref.Signature, Packet: it.Packet})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) edxmlMessage(w http.ResponseWriter, r *request) error {
	id, err := messageID(r)
	if err != nil {
		return err
	}
	p, err := s.relay.EdXMLMessage(r.Context(), r.agency, id)
	if err != nil {
		return err
	}
	defer p.Body.Close()
	h := w.Header()
	h.Set("Content-Type", wire.ContentEdXML)
	// Saved, never shown inline, under a name the hub chooses: the
	// message id, which messageID checked is hexadecimal or a UUID.
	h.Set("Content-Disposition", `attachment; filename="`+id+`.edxml"`)
	h.Set("Content-Length", strconv.FormatInt(p.Size, 10))
	h.Set(wire.HeaderOrigin, p.Origin)
	if len(p.Signature) > 0 {
		h.Set(wire.HeaderSignature, base64.StdEncoding.EncodeToString(p.Signature))
	}
	if p.SHA256 != "" {
		h.Set("ETag", `"`+p.SHA256+`"`)
	}
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(w, io.LimitReader(p.Body, p.Size))
	return err
}

func (s *Server) edxmlStatuses(w http.ResponseWriter, r *request) error {
	after, limit, wait, err := pollParams(r)
	if err != nil {
		return err
	}
	list, next, err := s.relay.EdXMLStatuses(r.Context(), r.agency, after, limit, wait)
	if err != nil {
		return err
	}
	out := wire.EdXMLStatuses{Items: make([]wire.EdXMLStatusItem, 0, len(list)), Next: next}
	for _, st := range list {
		out.Items = append(out.Items, wire.EdXMLStatusItem{Cursor: st.Cursor, MessageID: st.MessageID, From: string(st.From),
			Code: string(st.Code), At: st.At, Origin: st.Origin, EdXML: st.EdXML, Signature: st.Signature, Packet: st.Packet})
	}
	return writeJSON(w, http.StatusOK, out)
}
