package relay

import (
	"fmt"
	"io"
	"os"

	"lienthong/hub/store"
)

// spool holds the decoded attachments of one edXML packet in temporary
// files while they are checked, never in memory; remove deletes them.
type spool struct {
	dir   string
	max   int64 // bytes per attachment: the agency's limit
	files []*os.File
	over  error // why a sink refused more bytes
}

// sink is edxml.Options.Attachment: a new temporary file for the i-th
// attachment, which refuses more than max bytes.
func (s *spool) sink(i int) (io.Writer, error) {
	if i < 0 || i != len(s.files) {
		return nil, fmt.Errorf("attachment %d out of order", i)
	}
	f, err := os.CreateTemp(s.dir, "edxml-*.part")
	if err != nil {
		return nil, fmt.Errorf("spool an edXML attachment: %w", err)
	}
	s.files = append(s.files, f)
	return &capWriter{s: s, w: f, n: i}, nil
}

// file returns the i-th attachment's file, nil when there is none.
func (s *spool) file(i int) *os.File {
	if i < 0 || i >= len(s.files) {
		return nil
	}
	return s.files[i]
}

// remove closes and deletes every file.
func (s *spool) remove() {
	for _, f := range s.files {
		f.Close()
		os.Remove(f.Name())
	}
	s.files = nil
}

// capWriter writes an attachment to its file up to the spool's limit.
type capWriter struct {
	s       *spool
	w       io.Writer
	n       int
	written int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.s.max > 0 && c.written+int64(len(p)) > c.s.max {
		c.s.over = fmt.Errorf("%w: attachment %d is over the limit of %d bytes", store.ErrTooLarge, c.n+1, c.s.max)
		return 0, c.s.over
	}
	c.written += int64(len(p))
	return c.w.Write(p)
}
