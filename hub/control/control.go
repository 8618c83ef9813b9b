// Package control lets the operator's commands (lienthong-hub agency,
// stats and backup) work while the hub runs. bbolt lets one process at a time open
// the store, so the running hub serves the few store operations those
// commands need on a Unix socket in its data folder, open only to the
// hub's own system user (and root), and the commands go through it when a
// hub answers there. The same code does the work either way: the
// commands see a Store, the hub's or the socket's. A store that can copy
// itself while it serves (Backuper: bbolt's) also streams a backup there
// (backup.go).
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/shared/strictjson"
)

// SocketName is the control socket's name in the hub's data folder.
const SocketName = "control.sock"

// Store is what the operator's commands use of a store.
type Store interface {
	UpsertAgency(ctx context.Context, a *store.Agency, at time.Time) (changed bool, err error)
	CloseAgencies(ctx context.Context, succ []store.Succession, at time.Time) (changed int, err error)
	Agency(ctx context.Context, code certs.AgencyCode) (store.Agency, error)
	Agencies(ctx context.Context) ([]store.Agency, error)
	AgencyHistory(ctx context.Context, code certs.AgencyCode) ([]store.AgencyChange, error)
	Stats(ctx context.Context, agency certs.AgencyCode) (store.AgencyStats, error)
}

// maxBody bounds a request's body: one directory entry with its
// certificates, or a batch of successions.
const maxBody = 16 << 20

// ErrNoHub means that no hub answers on the data folder's control socket.
var ErrNoHub = errors.New("no hub answers on the control socket")

// Listen binds the control socket in dataDir, mode 0600. The caller holds
// the store, so no other hub serves dataDir: a socket file left by a hub
// that died is removed first.
func Listen(dataDir string) (net.Listener, error) {
	path := filepath.Join(dataDir, SocketName)
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("control socket: %s exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("control socket: remove the old one: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return sameUser{ln}, nil
}

// Handler serves st to the operator's commands.
func Handler(st Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /agencies", func(w http.ResponseWriter, r *http.Request) {
		list, err := st.Agencies(r.Context())
		reply(w, list, err)
	})
	mux.HandleFunc("GET /agencies/{code}", func(w http.ResponseWriter, r *http.Request) {
		a, err := st.Agency(r.Context(), certs.AgencyCode(r.PathValue("code")))
		reply(w, a, err)
	})
	mux.HandleFunc("POST /successions", func(w http.ResponseWriter, r *http.Request) {
		var req closeRequest
		err := decodeBody(w, r, &req)
		switch {
		case err != nil: // answered as it is
		case req.At.IsZero():
			err = fmt.Errorf("%w: no time given", errBadRequest)
		}
		var changed int
		if err == nil {
			changed, err = st.CloseAgencies(r.Context(), req.Successions, req.At)
		}
		reply(w, closeReply{Changed: changed}, err)
	})
	mux.HandleFunc("GET /agencies/{code}/history", func(w http.ResponseWriter, r *http.Request) {
		hist, err := st.AgencyHistory(r.Context(), certs.AgencyCode(r.PathValue("code")))
		reply(w, hist, err)
	})
	mux.HandleFunc("GET /agencies/{code}/stats", func(w http.ResponseWriter, r *http.Request) {
		s, err := st.Stats(r.Context(), certs.AgencyCode(r.PathValue("code")))
		reply(w, s, err)
	})
	mux.HandleFunc("PUT /agencies/{code}", func(w http.ResponseWriter, r *http.Request) {
		var req upsertRequest
		err := decodeBody(w, r, &req)
		switch {
		case err != nil: // answered as it is
		case string(req.Agency.Code) != r.PathValue("code"):
			err = fmt.Errorf("%w: the entry's code %q is not the path's %q", errBadRequest, req.Agency.Code, r.PathValue("code"))
		case req.At.IsZero():
			err = fmt.Errorf("%w: no time given", errBadRequest)
		}
		var changed bool
		if err == nil {
			changed, err = st.UpsertAgency(r.Context(), &req.Agency, req.At)
		}
		reply(w, upsertReply{Changed: changed}, err)
	})
	if b, ok := st.(Backuper); ok {
		mux.HandleFunc("POST /backup", func(w http.ResponseWriter, r *http.Request) { serveBackup(w, r, b) })
	}
	return mux
}

type upsertRequest struct {
	Agency store.Agency
	At     time.Time
}

type upsertReply struct{ Changed bool }

type closeRequest struct {
	Successions []store.Succession
	At          time.Time
}

type closeReply struct{ Changed int }

// errorReply carries a store's error across the socket.
type errorReply struct {
	Error    string
	NotFound bool `json:",omitempty"` // it was store.ErrNotFound
}

var errBadRequest = errors.New("bad request")

func reply(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		code := http.StatusInternalServerError
		switch {
		case errors.Is(err, store.ErrNotFound):
			code = http.StatusNotFound
		case errors.Is(err, errBadRequest), errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrCodeClosed),
			errors.Is(err, store.ErrSuccessionCycle):
			code = http.StatusBadRequest
		}
		w.WriteHeader(code)
		v = errorReply{Error: err.Error(), NotFound: errors.Is(err, store.ErrNotFound)}
	}
	_ = json.NewEncoder(w).Encode(v)
}

// Client is a Store reached through a running hub's control socket.
type Client struct {
	http *http.Client
}

// Dial connects to the hub that serves dataDir, or returns ErrNoHub when
// none answers there.
func Dial(ctx context.Context, dataDir string) (*Client, error) {
	path := filepath.Join(dataDir, SocketName)
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || isRefused(err) {
			return nil, ErrNoHub
		}
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	conn.Close()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConns: 1,
	}
	return &Client{http: &http.Client{Transport: tr, Timeout: time.Minute}}, nil
}

// Close releases the client's idle connection.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

func (c *Client) UpsertAgency(ctx context.Context, a *store.Agency, at time.Time) (bool, error) {
	body, err := json.Marshal(upsertRequest{Agency: *a, At: at})
	if err != nil {
		return false, err
	}
	var r upsertReply
	err = c.call(ctx, http.MethodPut, "/agencies/"+url.PathEscape(string(a.Code)), body, &r)
	return r.Changed, err
}

func (c *Client) CloseAgencies(ctx context.Context, succ []store.Succession, at time.Time) (int, error) {
	body, err := json.Marshal(closeRequest{Successions: succ, At: at})
	if err != nil {
		return 0, err
	}
	var r closeReply
	err = c.call(ctx, http.MethodPost, "/successions", body, &r)
	return r.Changed, err
}

func (c *Client) Agency(ctx context.Context, code certs.AgencyCode) (store.Agency, error) {
	var a store.Agency
	return a, c.call(ctx, http.MethodGet, "/agencies/"+url.PathEscape(string(code)), nil, &a)
}

func (c *Client) Agencies(ctx context.Context) ([]store.Agency, error) {
	var list []store.Agency
	return list, c.call(ctx, http.MethodGet, "/agencies", nil, &list)
}

func (c *Client) AgencyHistory(ctx context.Context, code certs.AgencyCode) ([]store.AgencyChange, error) {
	var hist []store.AgencyChange
	return hist, c.call(ctx, http.MethodGet, "/agencies/"+url.PathEscape(string(code))+"/history", nil, &hist)
}

func (c *Client) Stats(ctx context.Context, agency certs.AgencyCode) (store.AgencyStats, error) {
	var s store.AgencyStats
	return s, c.call(ctx, http.MethodGet, "/agencies/"+url.PathEscape(string(agency))+"/stats", nil, &s)
}

func (c *Client) call(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://hub"+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("the running hub: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("the running hub: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorReply
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			return fmt.Errorf("the running hub answered %s", resp.Status)
		}
		return &remoteError{msg: e.Error, notFound: e.NotFound}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("the running hub's answer: %w", err)
	}
	return nil
}

// remoteError is an error the running hub's store returned.
type remoteError struct {
	msg      string
	notFound bool
}

func (e *remoteError) Error() string { return e.msg }

// Is makes errors.Is(err, store.ErrNotFound) hold across the socket.
func (e *remoteError) Is(target error) bool { return e.notFound && target == store.ErrNotFound }

// decodeBody reads a request's JSON body, at most maxBody bytes, strictly
// into v; what cannot be read is errBadRequest.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		err = strictjson.Unmarshal(body, v)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	return nil
}
