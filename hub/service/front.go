package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/control"
	"lienthong/hub/front"
	"lienthong/hub/server"
)

// Front is a long-poll front (package front) run from the hub's
// configuration, on the hub's machine: it holds agencies' long polls on
// front_listen, with the node's TLS identity and the same roots and CRLs,
// and asks the hub on the control socket in data_dir.
type Front struct {
	cfg      config.Config
	log      *slog.Logger
	verifier *certs.Verifier
	front    *front.Front
	endpoint *server.Endpoint
	ops      *opsServer // front_ops_listen; nil without one
}

// frontRetry is how long the front waits before it connects again to a
// hub that did not answer.
const frontRetry = time.Second

// OpenFront prepares the front of cfg.FrontListen from the files cfg
// names, then makes it with NewFront.
func OpenFront(cfg config.Config, log *slog.Logger) (*Front, error) {
	pass, err := passphrase(cfg)
	if err != nil {
		return nil, err
	}
	id, v, err := openTLS(cfg, pass)
	if err != nil {
		return nil, err
	}
	return NewFront(cfg, id, v, log)
}

// NewFront makes the front of cfg.FrontListen with the node's TLS identity
// and the verifier of agencies' certificates, reads the configured CRLs
// and binds the listener.
func NewFront(cfg config.Config, id *certs.KeyPair, v *certs.Verifier, log *slog.Logger) (*Front, error) {
	if cfg.FrontListen == "" {
		return nil, errors.New("front: front_listen is not set in the configuration")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Front{cfg: cfg, log: log, verifier: v}
	if err := f.ReloadCRLs(); err != nil {
		return nil, err
	}
	var err error
	if f.front, err = front.New(front.Options{
		Socket: filepath.Join(cfg.DataDir, control.SocketName), MaxPolls: cfg.FrontMaxPolls,
		MaxPollsPerClient: cfg.MaxInFlightPerAgency, Logger: log,
	}); err != nil {
		return nil, err
	}
	if f.endpoint, err = server.Listen(cfg.FrontListen, f.front, certs.ServerTLS(id, v), log); err != nil {
		return nil, fmt.Errorf("front: %w", err)
	}
	if f.ops, err = listenOps(cfg.FrontOpsListen, f.opsHandler()); err != nil {
		f.endpoint.Shutdown(context.Background())
		return nil, fmt.Errorf("front ops listener: %w", err)
	}
	return f, nil
}

// Addr is where agencies hold their long polls.
func (f *Front) Addr() string { return f.endpoint.Addr() }

// OpsAddr is where the front serves its operator's endpoints; empty
// without them.
func (f *Front) OpsAddr() string { return f.ops.Addr() }

// opsHandler serves the front's operator's listener: ready while it
// follows the hub's wake-ups.
func (f *Front) opsHandler() http.Handler {
	return opsHandler(func(context.Context) error {
		if !f.front.Up() {
			return errors.New("not following the hub's wake-ups")
		}
		return nil
	}, f.front.Metrics())
}

// Polls is how many long polls the front holds.
func (f *Front) Polls() int { return f.front.Polls() }

// Asked is how many answers the front has asked of the hub.
func (f *Front) Asked() int64 { return f.front.Asked() }

// Up reports whether the front follows the hub's wake-ups.
func (f *Front) Up() bool { return f.front.Up() }

// ReloadCRLs reads the configured CRLs again, for the handshakes; the hub
// checks every answer against its own.
func (f *Front) ReloadCRLs() error {
	if len(f.cfg.CRLs) == 0 {
		return nil
	}
	return loadCRLs(f.cfg.CRLs, f.verifier)
}

// Run serves until ctx is done, then ends the long polls within the
// configured grace.
func (f *Front) Run(ctx context.Context) error {
	errs := make(chan error, 1)
	go func() { errs <- f.endpoint.Serve() }()
	fctx, stop := context.WithCancel(context.Background())
	following := make(chan struct{})
	go func() { defer close(following); f.front.Run(fctx, frontRetry) }()
	f.ops.serve(f.log)
	f.log.Info("front listening", "addr", f.Addr(), "ops", f.OpsAddr())
	runErr := untilDone(ctx, errs, f.cfg.CRLReload.D(), f.ReloadCRLs, f.log)
	f.front.Drain() // long polls end now: their clients poll again
	sctx, cancel := context.WithTimeout(context.Background(), f.cfg.ShutdownGrace.D())
	defer cancel()
	if err := f.endpoint.Shutdown(sctx); err != nil {
		f.log.Warn("shutdown", "err", err)
	}
	f.ops.shutdown(sctx)
	stop()
	<-following
	return runErr
}

// Close releases a front that was opened but not run.
func (f *Front) Close() error {
	f.ops.close()
	return f.endpoint.Shutdown(context.Background())
}
