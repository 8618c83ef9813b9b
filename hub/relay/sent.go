package relay

import (
	"context"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/document"
)

// SentItem is one message in its sender's sent list, with where it stands
// at each recipient.
type SentItem struct {
	Cursor     uint64
	MessageID  string
	Received   time.Time
	Recipients []RecipientState
}

// RecipientState is where a sent message stands at one recipient.
type RecipientState struct {
	Agency    certs.AgencyCode
	Delivery  store.DeliveryState
	AckedAt   time.Time
	LastCode  document.Status // the last status the recipient sent, "" for none
	UpdatedAt time.Time       // when it sent it
}

// Sent lists up to limit of agency's sent messages after cursor, and the
// cursor to ask from next.
func (r *Relay) Sent(ctx context.Context, agency certs.AgencyCode, after uint64, limit int) ([]SentItem, uint64, error) {
	records, err := r.st.Sent(ctx, agency, after, limit)
	if err != nil {
		return nil, after, err
	}
	items, next := []SentItem{}, after
	for _, rec := range records {
		item := SentItem{Cursor: rec.Cursor, MessageID: rec.MessageID, Received: rec.Received}
		deliveries, err := r.st.Deliveries(ctx, rec.MessageID)
		if err != nil {
			return nil, after, err
		}
		history, err := r.st.StatusHistory(ctx, rec.MessageID)
		if err != nil {
			return nil, after, err
		}
		for _, d := range deliveries {
			rs := RecipientState{Agency: d.Recipient, Delivery: d.State, AckedAt: d.AckedAt}
			for _, h := range history {
				if h.From == d.Recipient {
					rs.LastCode, rs.UpdatedAt = h.Code, h.At
				}
			}
			item.Recipients = append(item.Recipients, rs)
		}
		items = append(items, item)
		next = rec.Cursor
	}
	return items, next, nil
}
