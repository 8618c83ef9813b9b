package server

import (
	"fmt"
	"net/http"

	"lienthong/shared/strictjson"
	"lienthong/shared/wire"
)

// maxRefusalBody bounds a refusal's body: a reason of 500 characters of up
// to 4 bytes each, escaped, with room to spare.
const maxRefusalBody = 8 << 10

// refuse is POST /v1/messages/{id}/refuse: the caller, a recipient, could
// not take the document (see relay.Refuse).
func (s *Server) refuse(w http.ResponseWriter, r *request) error {
	id, err := messageID(r)
	if err != nil {
		return err
	}
	body, err := s.readBody(r, maxRefusalBody)
	if err != nil {
		return err
	}
	var req wire.Refusal
	if err := strictjson.Unmarshal(body, &req); err != nil {
		return fmt.Errorf("%w: want {\"reason\": \"...\"}: %v", errBadRequest, err)
	}
	res, err := s.relay.Refuse(r.Context(), r.agency, id, req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.Refused{MessageID: res.MessageID, Existed: res.Existed, Reason: res.Reason, Receipt: res.Receipt})
}
