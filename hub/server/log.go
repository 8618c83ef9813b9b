package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"lienthong/hub/store"
	"lienthong/shared/auditlog"
	"lienthong/shared/wire"
)

// SignCheckpoint returns the latest checkpoint, signing and keeping a new
// one first if the log grew since: "on demand". Without a log key it is
// an error.
func (s *Server) SignCheckpoint(ctx context.Context) (size int64, signed []byte, err error) {
	if s.opts.LogSigner == nil {
		return 0, nil, errNoLogKey
	}
	s.signing.Lock() // one signer at a time, so no size is signed twice
	defer s.signing.Unlock()
	size, err = s.opts.Store.LogSize(ctx)
	if err != nil {
		return 0, nil, err
	}
	last, lastSigned, err := s.opts.Store.LatestCheckpoint(ctx)
	if err != nil {
		return 0, nil, err
	}
	if last == size && lastSigned != nil {
		return size, lastSigned, nil
	}
	head, err := auditlog.Head(s.opts.LogOrigin, size, s.opts.Store)
	if err != nil {
		return 0, nil, fmt.Errorf("tree head of size %d: %w", size, err)
	}
	if signed, err = head.Sign(s.opts.LogSigner); err != nil {
		return 0, nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	if err := s.opts.Store.PutCheckpoint(ctx, size, signed); err != nil {
		return 0, nil, err
	}
	s.log.Info("checkpoint signed", "size", size)
	return size, signed, nil
}

// RunCheckpoints signs a checkpoint every interval while the log grows,
// until ctx ends.
func (s *Server) RunCheckpoints(ctx context.Context, interval time.Duration) {
	if s.opts.LogSigner == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, _, err := s.SignCheckpoint(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("sign checkpoint", "err", err)
			}
		}
	}
}

func (s *Server) logCheckpoint(w http.ResponseWriter, r *request) error {
	_, signed, err := s.SignCheckpoint(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err = w.Write(signed)
	return err
}

// int64Params reads named non-negative integer query parameters.
func int64Params(r *request, names ...string) ([]int64, error) {
	out := make([]int64, len(names))
	for i, n := range names {
		v, err := strconv.ParseInt(r.URL.Query().Get(n), 10, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("%w: %s must be a non-negative number", errBadRequest, n)
		}
		out[i] = v
	}
	return out, nil
}

// logSize checks that n is within the log.
func (s *Server) logSize(ctx context.Context, n int64) error {
	size, err := s.opts.Store.LogSize(ctx)
	if err != nil {
		return err
	}
	if n > size {
		return fmt.Errorf("the log has %d entries, not %d: %w", size, n, store.ErrNotFound)
	}
	return nil
}

func hashBytes(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}

func (s *Server) logInclusion(w http.ResponseWriter, r *request) error {
	v, err := int64Params(r, "index", "size")
	if err != nil {
		return err
	}
	index, size := v[0], v[1]
	if index >= size {
		return fmt.Errorf("%w: index %d is not below size %d", errBadRequest, index, size)
	}
	if err := s.logSize(r.Context(), size); err != nil {
		return err
	}
	p, err := auditlog.ProveInclusion(index, size, s.opts.Store)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.LogProof{Index: index, Size: size, Hashes: hashBytes(p.Hashes)})
}

func (s *Server) logConsistency(w http.ResponseWriter, r *request) error {
	v, err := int64Params(r, "old", "new")
	if err != nil {
		return err
	}
	old, n := v[0], v[1]
	if old > n {
		return fmt.Errorf("%w: old %d is beyond new %d", errBadRequest, old, n)
	}
	if err := s.logSize(r.Context(), n); err != nil {
		return err
	}
	out := wire.LogProof{Old: old, New: n, Hashes: [][]byte{}}
	if old > 0 && old < n {
		p, err := auditlog.ProveConsistency(old, n, s.opts.Store)
		if err != nil {
			return err
		}
		out.Hashes = hashBytes(p.Hashes)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) logEntries(w http.ResponseWriter, r *request) error {
	v, err := int64Params(r, "from", "to")
	if err != nil {
		return err
	}
	from, to := v[0], v[1]
	if to < from || to-from > wire.MaxLogEntries {
		return fmt.Errorf("%w: ask for 0 to %d entries, from <= to", errBadRequest, wire.MaxLogEntries)
	}
	if err := s.logSize(r.Context(), to); err != nil {
		return err
	}
	entries, err := s.opts.Store.LogEntries(r.Context(), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wire.LogEntries{From: from, Entries: entries})
}

func (s *Server) stats(w http.ResponseWriter, r *request) error {
	ctx := r.Context()
	// The size first: the counters below are at least as new as it.
	size, err := s.opts.Store.LogSize(ctx)
	if err != nil {
		return err
	}
	agencies, err := s.opts.Store.Agencies(ctx)
	if err != nil {
		return err
	}
	out := wire.Stats{LogSize: size, Agencies: []wire.AgencyStats{}}
	for _, a := range agencies {
		st, err := s.opts.Store.Stats(ctx, a.Code)
		if err != nil {
			return err
		}
		statuses := make(map[string]uint64, len(st.Statuses))
		for code, n := range st.Statuses {
			statuses[string(code)] = n
		}
		out.Agencies = append(out.Agencies, wire.AgencyStats{Agency: string(st.Agency), Sent: st.Sent, Received: st.Received,
			Acked: st.Acked, Withdrawn: st.Withdrawn, Statuses: statuses})
	}
	return writeJSON(w, http.StatusOK, out)
}
