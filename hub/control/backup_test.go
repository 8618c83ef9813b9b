package control

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"lienthong/hub/store/boltstore"
)

// TestBackupThroughSocket: the hub streams its store's backup; the copy
// restored from the stream holds what the store held.
func TestBackupThroughSocket(t *testing.T) {
	dir, st := serve(t)
	ctx := context.Background()
	if _, err := st.UpsertAgency(ctx, &ubnd, t0); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := dial(t, dir).Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bk")
	info, err := boltstore.Restore(ctx, &buf, out)
	if err != nil || info.LogSize != 1 {
		t.Fatalf("restore: %+v, %v", info, err)
	}
	r, err := boltstore.Open(out, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if list, err := r.Agencies(ctx); err != nil || len(list) != 1 || list[0].Code != ubnd.Code {
		t.Fatalf("the restored directory: %+v, %v", list, err)
	}
}

// failingBackup is a store whose backup fails before writing anything.
type failingBackup struct{ Store }

func (failingBackup) WriteBackup(context.Context, io.Writer) error {
	return errors.New("disk on fire")
}

// TestBackupRefused: a store that fails at once answers an error, and a
// store that takes no backup (PostgreSQL's) says so.
func TestBackupRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		st   Store
		want string
	}{
		"failing":   {failingBackup{}, "disk on fire"},
		"no backup": {struct{ Store }{}, "takes no backup through its control socket"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			ln, err := Listen(dir)
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: Handler(tc.st)}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
			var buf bytes.Buffer
			err = dial(t, dir).Backup(context.Background(), &buf)
			if err == nil || !strings.Contains(err.Error(), tc.want) || buf.Len() != 0 {
				t.Fatalf("backup: %v (%d bytes), want %q", err, buf.Len(), tc.want)
			}
		})
	}
}
