package pgstore

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"lienthong/hub/store"
)

// unavailable marks err as store.ErrUnavailable when it says the database
// could not be reached or went away, rather than refusing the operation:
// a connection that fails or breaks, a server shutting down or starting,
// one that has just become a standby (a failover), or one out of
// connections. The caller's request may have taken effect or not; the
// hub answers "unavailable" and the client asks again, here or on
// another node.
func unavailable(err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) || !unreachable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

func unreachable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "08": // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutdown, crash, starting
			return true
		case pe.Code == "25006": // read-only transaction: the server is a standby now
			return true
		case pe.Code == "53300": // too many connections
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || pgconn.SafeToRetry(err)
}
