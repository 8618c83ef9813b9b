package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lienthong/hub/store/pgstore"
)

// Collect removes what the storage settings expire, once: partial uploads
// idle longer than upload_ttl, attachments no message carries uploaded
// longer than unreferenced_ttl ago and, with delivered_retention set, the
// bytes of attachments delivered longer than that ago. Run calls it every
// storage_gc_interval. On a store shared by several hub nodes it runs
// only while holding the store's lock for it: when another node is
// collecting, it returns ErrSkipped.
func (h *Hub) Collect(ctx context.Context) error {
	if l, ok := h.store.(singleton); ok {
		err := l.RunAlone(ctx, "collect", h.collectOnce)
		if errors.Is(err, pgstore.ErrLocked) {
			return fmt.Errorf("%w: %w", ErrSkipped, err)
		}
		return err
	}
	return h.collectOnce(ctx)
}

// ErrSkipped is returned by a singleton job that another hub node is
// running.
var ErrSkipped = errors.New("skipped")

// singleton is a store shared by several hub nodes that runs a job on one
// of them at a time (pgstore.Store.RunAlone).
type singleton interface {
	RunAlone(ctx context.Context, job string, fn func(context.Context) error) error
}

func (h *Hub) collectOnce(ctx context.Context) error {
	now := time.Now()
	parts, err := h.store.GCUploads(ctx, now, h.cfg.UploadTTL.D())
	if err != nil {
		return err
	}
	res, err := h.store.GCBlobs(ctx, now, h.cfg.UnreferencedTTL.D(), h.cfg.DeliveredRetention.D())
	if err != nil {
		return err
	}
	if parts > 0 || res.Unreferenced > 0 || res.Expired > 0 {
		h.log.Info("storage collected", "partial_uploads", parts, "unreferenced", res.Unreferenced, "expired", res.Expired, "bytes", res.Bytes)
	}
	return nil
}

// collect runs Collect every storage_gc_interval until ctx ends, the
// hub's lifetime.
func (h *Hub) collect(ctx context.Context) {
	t := time.NewTicker(h.cfg.StorageGCInterval.D())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := h.Collect(ctx)
			if errors.Is(err, ErrSkipped) {
				h.log.Debug("storage collection skipped: another hub node is collecting")
				continue
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				h.log.Error("storage collection failed; trying again at the next interval", "err", err)
			}
		}
	}
}
