package control

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Backuper is a store that writes a consistent copy of itself to w while
// it goes on serving (boltstore.Store.WriteBackup).
type Backuper interface {
	WriteBackup(ctx context.Context, w io.Writer) error
}

// serveBackup streams the store's backup. Once the first byte is sent an
// error can only cut the stream short, which the reader tells from a
// whole backup by its missing end (boltstore.Restore).
func serveBackup(w http.ResponseWriter, r *http.Request, b Backuper) {
	sw := &startedWriter{w: w}
	w.Header().Set("Content-Type", "application/x-tar")
	if err := b.WriteBackup(r.Context(), sw); err != nil && !sw.started {
		w.Header().Set("Content-Type", "application/json")
		reply(w, nil, err)
	}
}

type startedWriter struct {
	w       http.ResponseWriter
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	s.started = true
	return s.w.Write(p)
}

// Backup asks the running hub for a backup of its store and copies the
// stream to w. It takes as long as the copy does: no timeout but ctx's.
func (c *Client) Backup(ctx context.Context, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://hub/backup", nil)
	if err != nil {
		return err
	}
	long := &http.Client{Transport: c.http.Transport}
	resp, err := long.Do(req)
	if err != nil {
		return fmt.Errorf("the running hub: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode == http.StatusNotFound && len(data) > 0 && data[0] != '{' {
			return fmt.Errorf("the running hub's store takes no backup through its control socket (PostgreSQL: use pg_basebackup)")
		}
		return fmt.Errorf("the running hub answered %s: %s", resp.Status, data)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("the running hub's backup: %w", err)
	}
	return nil
}
