package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/shared/wire"
)

func TestLimits(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Configure: func(c *config.Config) {
		c.RequestsPerSecond, c.Burst = 0.001, 3
		c.AgencyLimits = map[string]config.AgencyLimits{ngheAn: {MaxAttachmentMB: 1, Burst: 50}}
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	t.Run("requests beyond the burst are refused", func(t *testing.T) {
		qn := h.Client(t, quangNinh, false)
		for i := 0; i < 3; i++ {
			if _, err := qn.Hello(ctx); err != nil {
				t.Fatalf("request %d: %v", i+1, err)
			}
		}
		_, err := qn.Hello(ctx)
		if code := wire.CodeOf(err); code != wire.CodeRateLimited || !code.Retryable() {
			t.Fatalf("4th request: %v", err)
		}
		// Another agency has its own bucket.
		if _, err := h.Client(t, vpcp, false).Hello(ctx); err != nil {
			t.Fatalf("another agency was limited too: %v", err)
		}
	})
	t.Run("per-agency attachment limit", func(t *testing.T) {
		na := h.Client(t, ngheAn, false)
		hello, err := na.Hello(ctx)
		if err != nil || hello.MaxAttachment != 1<<20 {
			t.Fatalf("hello: %v %+v", err, hello)
		}
		big := bytes.Repeat([]byte("%PDF-1.7\n"), 1<<17+1) // just over 1 MiB
		sum := sha256.Sum256(big)
		err = na.Upload(ctx, hex.EncodeToString(sum[:]), bytes.NewReader(big), int64(len(big)), 0, nil)
		if wire.CodeOf(err) != wire.CodeTooLarge {
			t.Fatalf("upload over the agency's limit: %v", err)
		}
	})
}
