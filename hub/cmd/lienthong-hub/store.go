package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/control"
	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
	"lienthong/hub/store/pgstore"
)

// upsert writes an agency's entry from an import, keeping the
// certificates registered for it (agency register), which imports do not
// carry.
func upsert(st control.Store, code certs.AgencyCode, name string, active bool, supersededBy string, at time.Time) (bool, error) {
	ctx := context.Background()
	parent, _ := code.Parent()
	a := &store.Agency{Code: code, Name: name, Parent: parent, Level: code.Level(), Active: active, SupersededBy: certs.AgencyCode(supersededBy)}
	cur, err := st.Agency(ctx, code)
	switch {
	case err == nil:
		a.Certificates = cur.Certificates
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	return st.UpsertAgency(ctx, a, at)
}

// openStore opens, for the operator's commands, the store named by a
// configuration: through the control socket of the hub that runs on it,
// or, when none runs, the store itself.
func openStore(path string) (control.Store, func() error, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	cl, err := control.Dial(context.Background(), cfg.DataDir)
	if err == nil {
		return cl, cl.Close, nil
	}
	if !errors.Is(err, control.ErrNoHub) {
		return nil, nil, err
	}
	if cfg.Store == config.StorePostgres {
		// PostgreSQL takes any number of clients: no hub need be asked.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		st, err := pgstore.Open(ctx, cfg.PostgresURL, pgstore.Options{})
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}
	st, err := boltstore.Open(cfg.DataDir, boltstore.Options{OpenTimeout: 2 * time.Second})
	if err != nil {
		// A hub that was starting holds the store before it listens.
		if cl, err := control.Dial(context.Background(), cfg.DataDir); err == nil {
			return cl, cl.Close, nil
		}
		return nil, nil, fmt.Errorf("open store %s (another process holds it, and no hub answers on its control socket): %w", cfg.DataDir, err)
	}
	return st, st.Close, nil
}

// configFlag defines --config for the operator's commands.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "the hub's configuration `file`; the store is the one in its data_dir")
}
