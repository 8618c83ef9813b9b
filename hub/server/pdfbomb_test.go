package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"lienthong/hub/hubtest"
	"lienthong/shared/hubclient"
	"lienthong/shared/pades/padestest"
	"lienthong/shared/wire"
)

// TestPDFBombsRefused is issue 14's finding 1 on a real hub: each crafted
// PDF (bombs by streams, fields, cross-reference sections and nesting) is
// uploaded and refused at submission with pdf_too_complex, which the
// client maps to hubclient.ErrPDFTooComplex. Before the reader's budget,
// the stream bomb was accepted and delivered after the hub decoded 448 MiB
// of zeros. Submitted again in a new packet, the same blob gets the same
// answer (from the remembered outcome).
func TestPDFBombsRefused(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	qn := h.Client(t, quangNinh, false)
	for i, b := range padestest.Bombs() {
		t.Run(b.Name, func(t *testing.T) {
			// A bound per bomb, generous: under the race detector on a
			// loaded 2-core machine one bomb's check takes tens of seconds.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			for try := range 2 {
				doc := compose(t, h, quangNinh, b.PDF, fmt.Sprintf("9%d%d", i, try), ngheAn)
				if err := qn.Upload(ctx, doc.digest, bytes.NewReader(b.PDF), int64(len(b.PDF)), 0, nil); err != nil {
					t.Fatalf("upload: %v", err)
				}
				_, err := qn.Submit(ctx, doc.packet)
				if wire.CodeOf(err) != wire.CodePDFTooComplex || !errors.Is(err, hubclient.ErrPDFTooComplex) {
					t.Fatalf("submission %d: %v; want pdf_too_complex", try+1, err)
				}
			}
		})
	}
	na := h.Client(t, ngheAn, false)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if docs, _ := receive(t, ctx, na, h, 0, 0); len(docs) != 0 {
		t.Errorf("Nghệ An received %d documents; every bomb should have been refused", len(docs))
	}
}
