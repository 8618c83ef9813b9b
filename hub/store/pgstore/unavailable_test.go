package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"lienthong/hub/store"
	"lienthong/hub/store/pgstore"
)

// TestUnavailable: a database out of reach is store.ErrUnavailable (the
// hub answers "unavailable" and the client asks again, perhaps another
// node); a refusal by the database or the store is not.
func TestUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, connErr := pgx.Connect(ctx, "host=127.0.0.1 port=1 user=x dbname=x connect_timeout=5 sslmode=disable")
	if connErr == nil {
		t.Fatal("connected to port 1")
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{connErr, true},
		{fmt.Errorf("accept: %w", &pgconn.PgError{Code: "57P01"}), true}, // terminated by an administrator
		{&pgconn.PgError{Code: "57P03"}, true},                           // starting up
		{&pgconn.PgError{Code: "08006"}, true},                           // connection failure
		{&pgconn.PgError{Code: "25006"}, true},                           // a standby now
		{&pgconn.PgError{Code: "23505"}, false},                          // unique violation
		{&pgconn.PgError{Code: "40001"}, false},                          // serialization failure: retried, not this
		{fmt.Errorf("ack: %w", store.ErrConflict), false},
		{context.Canceled, false},
		{nil, false},
	} {
		got := pgstore.Unavailable(tc.err)
		if errors.Is(got, store.ErrUnavailable) != tc.want {
			t.Errorf("unavailable(%v) = %v; want unavailable %v", tc.err, got, tc.want)
		}
		if tc.err != nil && !errors.Is(got, tc.err) {
			t.Errorf("unavailable(%v) lost its cause: %v", tc.err, got)
		}
	}
}

// TestBatchUnavailable: a batch of log appends that the database drops
// (here its COMMIT, as when the server is terminated) reaches its callers
// as store.ErrUnavailable.
func TestBatchUnavailable(t *testing.T) {
	s := openAt(t, cluster.NewDatabase(t)).Store
	pgstore.SetBeforeCommit(s, func(attempt, size int) error {
		return &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}
	})
	err := pgstore.InBatch(context.Background(), s, func(ctx context.Context, tx pgstore.Querier) error { return nil })
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("a batch whose commit the server dropped: %v; want store.ErrUnavailable", err)
	}
}
