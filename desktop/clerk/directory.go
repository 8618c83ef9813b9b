package clerk

import (
	"context"
	"fmt"
	"time"

	"lienthong/desktop/store"
)

// directoryInterval is how often the engine refreshes the cached directory
// (the national list changes rarely, and is large).
const directoryInterval = time.Hour

// refreshDirectoryEvery refreshes the directory if this process has not
// done so within interval.
func (c *Clerk) refreshDirectoryEvery(ctx context.Context, interval time.Duration) error {
	c.mu.Lock()
	due := c.dirRefreshed.IsZero() || time.Since(c.dirRefreshed) > interval
	c.mu.Unlock()
	if !due {
		return nil
	}
	if err := c.refreshDirectory(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	c.dirRefreshed = time.Now()
	c.mu.Unlock()
	return nil
}

// refreshDirectory replaces the cached agency directory with the hub's.
func (c *Clerk) refreshDirectory(ctx context.Context) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	d, err := cl.Directory(ctx)
	c.noteResult(cl, err)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	out := make([]store.Agency, 0, len(d.Agencies))
	for _, a := range d.Agencies {
		code, err := parseCode(a.Code)
		if err != nil {
			continue
		}
		parent, _ := parseCode(a.Parent)
		successor, _ := parseCode(a.SupersededBy)
		out = append(out, store.Agency{Code: code, Name: a.Name, Parent: parent, Level: a.Level, Active: a.Active,
			SupersededBy: successor, ClosedOn: a.ClosedOn})
	}
	return c.st.ReplaceDirectory(out)
}
