package server_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/hubtest"
	"lienthong/hub/server"
	"lienthong/shared/wire"
)

func TestLimits(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{Configure: func(o *server.Options) {
		o.Limits = server.Limits{RequestsPerSecond: 0.001, Burst: 3}
		o.AgencyLimits = map[certs.AgencyCode]server.Limits{ngheAn: {MaxAttachment: 1000, Burst: 50}}
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
		if err != nil || hello.MaxAttachment != 1000 {
			t.Fatalf("hello: %v %+v", err, hello)
		}
		pdf := readPDF(t, "cong-van.pdf")
		doc := compose(t, h, ngheAn, pdf, "301", quangNinh)
		err = na.Upload(ctx, doc.digest, bytes.NewReader(pdf), int64(len(pdf)), 0, nil)
		if wire.CodeOf(err) != wire.CodeTooLarge {
			t.Fatalf("upload over the agency's limit: %v", err)
		}
	})
}
