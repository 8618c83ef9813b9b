package pgstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
)

// WakeChannel is the LISTEN/NOTIFY channel on which a transaction that
// queues something for an agency (a delivery, a status) names that agency.
const WakeChannel = "lienthong_wake"

// notify names agency on WakeChannel. PostgreSQL delivers the notification
// when tx commits, and never if it rolls back; notifications of one
// transaction with the same payload are delivered once.
func notify(ctx context.Context, tx dbtx, agency certs.AgencyCode) error {
	if lt, ok := tx.(*logTx); ok && lt.batched() {
		// In a batch of log appends: once per agency, at its commit.
		if !slices.Contains(lt.edge.wake, string(agency)) {
			lt.edge.wake = append(lt.edge.wake, string(agency))
		}
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, WakeChannel, string(agency))
	return err
}

// Listen calls wake with the agency of each notification on WakeChannel,
// the events committed by any hub node on this database, until ctx ends.
// It holds one connection of its own and, when that connection is lost,
// reconnects after retry (a second when 0), logging the loss: the
// notifications sent meanwhile are lost, so a long poll must also re-check
// the store now and then (relay.Options.Recheck). Each time it has begun
// listening, the first time too, it calls listening, which must wake every
// poll that began before: an event committed before then was not heard.
// It returns ctx's error.
func (s *Store) Listen(ctx context.Context, retry time.Duration, wake func(...certs.AgencyCode), listening func()) error {
	if retry <= 0 {
		retry = time.Second
	}
	for {
		err := s.listen(ctx, wake, listening)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Warn("wake-up listener lost its connection; long polls fall back to re-checking until it is back", "err", err, "retry", retry.String())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retry):
		}
	}
}

// listen runs one listening connection until it fails or ctx ends.
func (s *Store) listen(ctx context.Context, wake func(...certs.AgencyCode), listening func()) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+WakeChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		wake(certs.AgencyCode(n.Payload))
	}
}
