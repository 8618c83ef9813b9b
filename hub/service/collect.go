package service

import (
	"context"
	"errors"
	"time"
)

// Collect removes what the storage settings expire, once: partial uploads
// idle longer than upload_ttl, attachments no message carries uploaded
// longer than unreferenced_ttl ago and, with delivered_retention set, the
// bytes of attachments delivered longer than that ago. Run calls it every
// storage_gc_interval. It runs against this hub's own store; several hub
// nodes over one store (a later issue) must elect one collector.
func (h *Hub) Collect(ctx context.Context) error {
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
			if err := h.Collect(ctx); err != nil && !errors.Is(err, context.Canceled) {
				h.log.Error("storage collection failed; trying again at the next interval", "err", err)
			}
		}
	}
}
