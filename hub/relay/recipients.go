package relay

import (
	"context"
	"errors"
	"fmt"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

// recipients returns the agencies a document is delivered to: each of its
// To entries, which must be an active agency of the directory. It is the
// one place a document's addressees become deliveries, whichever packet
// (a Lienthong packet or edXML) the document came in.
func (r *Relay) recipients(ctx context.Context, m *document.Metadata) ([]certs.AgencyCode, error) {
	out := make([]certs.AgencyCode, 0, len(m.To))
	for _, to := range m.To {
		a, err := r.st.Agency(ctx, to.Code)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !a.Active) {
			return nil, fmt.Errorf("%w: %s", ErrUnknownRecipient, to.Code)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, to.Code)
	}
	return out, nil
}
