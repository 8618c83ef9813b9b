package server

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"

	"lienthong/hub/relay"
	"lienthong/hub/store"
	"lienthong/shared/cms"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/wire"
)

// submitEdXML takes an edXML packet (POST wire.PathEdXML): the body, read
// whole under the relay's edXML memory budget, with the detached CMS
// signature of wire.HeaderSignature when the packet has no XML signature
// of its own, and ?regarding= naming the message a status packet is about
// when its DocumentId names several.
func (s *Server) submitEdXML(w http.ResponseWriter, r *request) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (mt != wire.ContentEdXML && mt != "text/xml") {
		return fmt.Errorf("%w: an edXML packet is sent as %s", errBadRequest, wire.ContentEdXML)
	}
	var sig []byte
	if h := r.Header.Get(wire.HeaderSignature); h != "" {
		var err error
		if sig, err = base64.StdEncoding.DecodeString(h); err != nil || len(sig) == 0 || len(sig) > cms.MaxSize {
			return fmt.Errorf("%w: %s must be a base64 CMS signature", errBadRequest, wire.HeaderSignature)
		}
	}
	regarding := r.URL.Query().Get("regarding")
	if regarding != "" && !envelope.ValidMessageID(regarding) {
		return fmt.Errorf("%w: regarding must be a message id", errBadRequest)
	}
	packet, release, err := s.relay.ReadEdXML(r.Body, r.ContentLength)
	switch {
	case errors.Is(err, relay.ErrEdXMLBusy):
		w.Header().Set("Retry-After", "1")
		return err
	case errors.Is(err, edxml.ErrTooLarge):
		return err
	case err != nil:
		return fmt.Errorf("%w: %w", errBadRequest, err)
	}
	defer release()
	res, err := s.relay.SubmitEdXML(r.Context(), r.agency, relay.EdXMLRequest{
		Packet: packet, Signature: sig, Regarding: regarding, MaxAttachment: s.limits.of(r.agency).MaxAttachment,
	})
	if err != nil {
		return err
	}
	out := wire.EdXMLAccepted{Kind: res.Kind, MessageID: res.MessageID, Existed: res.Existed, Warnings: res.Warnings}
	if sub := res.Submitted; sub != nil {
		out.Receipt = sub.Receipt
		for _, o := range sub.Recalls {
			out.Recalls = append(out.Recalls, wire.RecallOutcome{MessageID: o.Target, Withdrawn: store.CodeStrings(o.Withdrawn), AlreadyAcked: store.CodeStrings(o.AlreadyAcked)})
		}
	}
	return writeJSON(w, http.StatusOK, out)
}
