package service

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/store/storetest"
)

// TestRunCollectsStorage is the scheduling half of finding 7 of issue 14:
// a running hub removes, every storage_gc_interval, partial uploads idle
// past upload_ttl and attachments no message carries past
// unreferenced_ttl, and keeps an attachment a message carries.
func TestRunCollectsStorage(t *testing.T) {
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	if err := certs.Demo(pki, certs.ECDSAP256); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Listen, cfg.OpsListen, cfg.DataDir = "127.0.0.1:0", "", filepath.Join(dir, "data")
	cfg.TLSCert, cfg.TLSKey = filepath.Join(pki, "hub.crt"), filepath.Join(pki, "hub.key")
	cfg.ReceiptCert, cfg.ReceiptKey = filepath.Join(pki, "receipt.crt"), filepath.Join(pki, "receipt.key")
	cfg.Roots = filepath.Join(pki, "ca.crt")
	cfg.StorageGCInterval = config.Duration(20 * time.Millisecond) // below what Validate allows, for the test
	h, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := h.Store()
	long := time.Now().Add(-48 * time.Hour)

	// An abandoned partial upload, last written two days ago.
	part := storetest.RandomBytes(4000)
	up, err := st.BeginUpload(ctx, storetest.Quangninh, storetest.Digest(part), int64(len(part)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendUpload(ctx, up, 0, bytes.NewReader(part[:1000])); err != nil {
		t.Fatal(err)
	}
	parts, _ := filepath.Glob(filepath.Join(cfg.DataDir, "blobs", "uploads", "*.part"))
	for _, p := range parts {
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}
	// An attachment uploaded two days ago and never sent, and one sent.
	put := func() string {
		b := storetest.RandomBytes(3000)
		if _, err := st.PutBlob(ctx, storetest.Quangninh, storetest.Digest(b), bytes.NewReader(b), long); err != nil {
			t.Fatal(err)
		}
		return storetest.Digest(b)
	}
	unsent, sent := put(), put()
	sub := storetest.NewSubmission(storetest.Quangninh, 300, storetest.Govoffice)
	sub.BlobDigests = []string{sent}
	if _, _, err := st.Accept(ctx, sub, nil); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- h.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	present := func(d string) bool {
		info, err := st.StatBlob(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		return info.Present
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		u, err := st.UploadUsage(ctx, storetest.Quangninh)
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Partial) == 0 && !present(unsent) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s of a 20 ms collection interval: partial uploads %v, unsent attachment present %v", u.Partial, present(unsent))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !present(sent) {
		t.Fatal("the collection removed an attachment a message carries")
	}
}
