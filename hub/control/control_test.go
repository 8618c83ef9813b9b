package control

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lienthong/hub/store"
	"lienthong/hub/store/boltstore"
)

// serve opens a real store in a new folder and serves it on the control
// socket, as a running hub does.
func serve(t *testing.T) (dir string, st *boltstore.Store) {
	t.Helper()
	dir = t.TempDir()
	st, err := boltstore.Open(dir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(st)}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return dir, st
}

func dial(t *testing.T, dir string) *Client {
	t.Helper()
	cl, err := Dial(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

var (
	t0      = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
	ubnd    = store.Agency{Code: "000.00.00.H49", Name: "Ủy ban nhân dân tỉnh Quảng Ninh", Level: 1, Active: true}
	soKHCN  = store.Agency{Code: "000.00.12.H49", Name: "Sở Khoa học và Công nghệ tỉnh Quảng Ninh", Parent: "000.00.00.H49", Level: 2, Active: true}
	mergedK = store.Agency{Code: "000.00.12.H49", Name: "Sở Khoa học và Công nghệ tỉnh Quảng Ninh", Parent: "000.00.00.H49", Level: 2, SupersededBy: "000.00.13.H49"}
)

// TestThroughSocket: what the commands do through the socket lands in the
// hub's store, and what they read is what the store holds.
func TestThroughSocket(t *testing.T) {
	dir, st := serve(t)
	cl := dial(t, dir)
	ctx := context.Background()
	for _, step := range []struct {
		a    store.Agency
		at   time.Time
		want bool
	}{
		{ubnd, t0, true},
		{soKHCN, t0, true},
		{soKHCN, t0.Add(time.Hour), false}, // unchanged
		{mergedK, t0.Add(2 * time.Hour), true},
	} {
		changed, err := cl.UpsertAgency(ctx, &step.a, step.at)
		if err != nil || changed != step.want {
			t.Fatalf("upsert %s: changed %v, %v; want %v", step.a.Code, changed, err, step.want)
		}
	}
	direct, err := st.Agencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := cl.Agencies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(direct) != 2 || len(remote) != 2 {
		t.Fatalf("agencies: through the socket %+v, in the store %+v", remote, direct)
	}
	for i := range direct {
		if remote[i].Code != direct[i].Code || remote[i].Name != direct[i].Name || remote[i].Active != direct[i].Active || remote[i].SupersededBy != direct[i].SupersededBy {
			t.Fatalf("agency %d: through the socket %+v, in the store %+v", i, remote[i], direct[i])
		}
	}
	hist, err := cl.AgencyHistory(ctx, soKHCN.Code)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || !hist[0].At.Equal(t0) || hist[1].SupersededBy != "000.00.13.H49" || hist[1].Active {
		t.Fatalf("history: %+v", hist)
	}
	s, err := cl.Stats(ctx, ubnd.Code)
	if err != nil || s.Agency != ubnd.Code || s.Sent != 0 || s.Statuses == nil {
		t.Fatalf("stats: %+v, %v", s, err)
	}
}

func TestErrorsCrossTheSocket(t *testing.T) {
	dir, _ := serve(t)
	cl := dial(t, dir)
	ctx := context.Background()
	_, err := cl.AgencyHistory(ctx, "000.00.00.H14")
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("history of an unknown code: %v", err)
	}
	bad := store.Agency{Code: "000.00.00.H4", Name: "Lỗi", Level: 1, Active: true}
	if _, err := cl.UpsertAgency(ctx, &bad, t0); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a malformed code was stored: %v", err)
	}
	if list, err := cl.Agencies(ctx); err != nil || len(list) != 0 {
		t.Fatalf("after refusals: %+v, %v", list, err)
	}
}

// TestRefusesBadRequests sends what the client never sends.
func TestRefusesBadRequests(t *testing.T) {
	dir, _ := serve(t)
	cl := dial(t, dir)
	for _, tc := range []struct{ name, path, body, want string }{
		{"not JSON", "/agencies/000.00.00.H49", "{", "bad request"},
		{"unknown field", "/agencies/000.00.00.H49", `{"Agency":{"Code":"000.00.00.H49","Name":"x","Level":1},"At":"2025-07-01T08:00:00Z","Extra":1}`, "bad request"},
		{"code differs from the path", "/agencies/000.00.00.H01", `{"Agency":{"Code":"000.00.00.H49","Name":"x","Level":1},"At":"2025-07-01T08:00:00Z"}`, "is not the path's"},
		{"no time", "/agencies/000.00.00.H49", `{"Agency":{"Code":"000.00.00.H49","Name":"x","Level":1}}`, "no time given"},
		{"too large", "/agencies/000.00.00.H49", `{"Agency":{"Code":"000.00.00.H49","Name":"` + strings.Repeat("x", maxBody) + `"}}`, "bad request"},
	} {
		err := cl.call(context.Background(), http.MethodPut, tc.path, []byte(tc.body), new(upsertReply))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if list, err := cl.Agencies(context.Background()); err != nil || len(list) != 0 {
		t.Fatalf("after bad requests: %+v, %v", list, err)
	}
}

func TestDialWithoutHub(t *testing.T) {
	dir := t.TempDir()
	if _, err := Dial(context.Background(), dir); !errors.Is(err, ErrNoHub) {
		t.Fatalf("no socket: %v", err)
	}
	// A socket left by a hub that died: nobody listens.
	ln, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if _, err := Dial(context.Background(), dir); !errors.Is(err, ErrNoHub) {
		t.Fatalf("closed socket: %v", err)
	}
}

func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SocketName)
	// A stale socket file (its hub killed) is replaced.
	ln, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ln.(sameUser).Listener.(*net.UnixListener).SetUnlinkOnClose(false) // as after SIGKILL
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the stale socket is not there to test with: %v", err)
	}
	ln, err = Listen(dir)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	defer ln.Close()
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket mode %v, %v; want a socket with 0600", fi.Mode(), err)
	}
	// Anything else by that name is left alone.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, SocketName), []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(other); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("over a regular file: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(other, SocketName)); string(b) != "keep" {
		t.Fatal("the regular file was touched")
	}
}

// TestSuccessionsThroughSocket: a batch of successions lands whole in the
// hub's store through the socket, a refused one names its line, and a
// closed code reads back with its closure.
func TestSuccessionsThroughSocket(t *testing.T) {
	dir, st := serve(t)
	cl := dial(t, dir)
	ctx := context.Background()
	for _, a := range []store.Agency{ubnd, soKHCN} {
		if _, err := cl.UpsertAgency(ctx, &a, t0); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	_, err := cl.CloseAgencies(ctx, []store.Succession{{Code: soKHCN.Code, On: day, Successor: "000.00.13.H49", Line: 7}}, t0)
	if err == nil || !strings.Contains(err.Error(), "line 7 (000.00.12.H49)") || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a missing successor: %v", err)
	}
	n, err := cl.CloseAgencies(ctx, []store.Succession{{Code: soKHCN.Code, On: day, Successor: "000.00.13.H49",
		SuccessorName: "Sở Khoa học, Công nghệ và Chuyển đổi số tỉnh Quảng Ninh", Basis: "Nghị quyết 202/2025/QH15", Line: 2}}, t0)
	if err != nil || n != 2 {
		t.Fatalf("close: %d, %v", n, err)
	}
	remote, err := cl.Agency(ctx, soKHCN.Code)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := st.Agency(ctx, soKHCN.Code)
	if !remote.Closed() || !remote.ClosedOn.Equal(direct.ClosedOn) || remote.SupersededBy != "000.00.13.H49" || remote.ClosedBasis != direct.ClosedBasis {
		t.Fatalf("through the socket %+v, in the store %+v", remote, direct)
	}
	if _, err := cl.UpsertAgency(ctx, &soKHCN, t0); err == nil || !strings.Contains(err.Error(), "never reused") {
		t.Fatalf("a closed code was reused: %v", err)
	}
}
