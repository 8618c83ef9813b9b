package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
	"lienthong/internal/cli"
)

// TestWatcherSyncFailed shows a failure to sync a document once per streak
// of failures, and again when it goes through.
func TestWatcherSyncFailed(t *testing.T) {
	var out, errb bytes.Buffer
	w := &watcher{stdout: &out, stderr: &errb}
	refused := errors.New("hub refused: recipient\n inactive")
	steps := []struct {
		ev   clerk.Event
		want string // what stderr gains
	}{
		{clerk.SyncFailed{ID: "doc-1", Err: refused}, "lienthong-clerk: sync failed: doc-1: hub refused: recipient inactive (retried on every sync; not shown again while it keeps failing)\n"},
		{clerk.SyncFailed{ID: "doc-1", Err: refused}, ""},
		{clerk.SyncFailed{ID: "doc-1", Err: refused}, ""},
		{clerk.SyncFailed{ID: "doc-2", Err: refused}, "lienthong-clerk: sync failed: doc-2: hub refused: recipient inactive (retried on every sync; not shown again while it keeps failing)\n"},
		{clerk.OutboxChanged{Pending: 0}, ""},
		{clerk.DocumentChanged{ID: "doc-1"}, "lienthong-clerk: sync recovered: doc-1 went through after 3 failed attempt(s)\n"},
		{clerk.DocumentChanged{ID: "doc-1"}, ""},
		{clerk.DocumentArrived{ID: "doc-2", From: "UBND tỉnh Nghệ An", Subject: "Về việc"}, "lienthong-clerk: sync recovered: doc-2 went through after 1 failed attempt(s)\n"},
		{clerk.SyncFailed{ID: "doc-1", Err: refused}, "lienthong-clerk: sync failed: doc-1: hub refused: recipient inactive (retried on every sync; not shown again while it keeps failing)\n"},
	}
	for i, s := range steps {
		before := errb.Len()
		w.show(s.ev)
		if got := errb.String()[before:]; got != s.want {
			t.Fatalf("step %d (%T): stderr gained %q, want %q", i, s.ev, got, s.want)
		}
	}
	if !strings.Contains(out.String(), "arrived doc-2 UBND tỉnh Nghệ An: Về việc") {
		t.Fatalf("stdout: %q", out.String())
	}
}

// lockedBuffer is a bytes.Buffer a command writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSyncWatchShowsReturned runs sync --watch against a real hub that
// refuses a queued document for good (its recipient is not in the
// directory): the document is returned, which shows on stderr once, and
// is never submitted again.
func TestSyncWatchShowsReturned(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	dir := t.TempDir()
	p12, err := certs.EncodePKCS12(h.Agencies["000.00.00.H49"].Key, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := os.ReadFile(filepath.Join(clerkPDFs, "cong-van.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"qn.p12": p12, "p12pass.txt": []byte("p12-pass\n"), "pass.txt": []byte("mật khẩu\n"),
		"roots.pem": h.PKI.RootPEM(), "cong-van.pdf": pdf,
		"meta.json": []byte(`{"to": [{"code": "000.00.00.H01", "name": "Ủy ban nhân dân thành phố Hà Nội"}]}`)}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	at := func(name string) string { return filepath.Join(dir, name) }
	home := []string{"--home", at("qn"), "--passphrase-file", at("pass.txt")}
	cmd := func(ctx context.Context, stdout, stderr io.Writer, args ...string) int {
		return program.Main(args, &cli.Env{Stdout: stdout, Stderr: stderr, Getenv: func(string) string { return "" }, Ctx: ctx})
	}
	var out, errb bytes.Buffer
	if code := cmd(t.Context(), &out, &errb, append([]string{"init", "--p12", at("qn.p12"), "--p12-passphrase-file", at("p12pass.txt"),
		"--hub", h.Addr, "--server-name", "localhost", "--roots", at("roots.pem")}, home...)...); code != 0 {
		t.Fatalf("init: exit %d: %s", code, errb.String())
	}
	out.Reset()
	if code := cmd(t.Context(), &out, &errb, append([]string{"send", "--no-sync", "--type", "cong_van", "--notation", "UBND-VP",
		"--subject", "Gửi cơ quan không có trong danh bạ", "--place", "Hạ Long", "--signer", "Nguyễn Văn Hùng", "--position", "CHỦ TỊCH",
		"--meta", at("meta.json"), at("cong-van.pdf")}, home...)...); code != 0 {
		t.Fatalf("send: exit %d: %s", code, errb.String())
	}
	id := strings.Fields(out.String())[0]

	ctx, cancel := context.WithCancel(t.Context())
	var wout, werr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- cmd(ctx, &wout, &werr, append([]string{"sync", "--watch"}, home...)...) }()
	want := "lienthong-clerk: returned " + id + ": "
	for deadline := time.Now().Add(time.Minute); !strings.Contains(werr.String(), want); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no %q on stderr within a minute; stderr: %s", want, werr.String())
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("sync --watch: exit %d: %s", code, werr.String())
	}
	t.Logf("stdout:\n%sstderr:\n%s", wout.String(), werr.String())
	if code := cmd(t.Context(), &out, &errb, append([]string{"sync"}, home...)...); code != 0 {
		t.Fatalf("sync: exit %d: %s", code, errb.String())
	}
	if n := strings.Count(werr.String()+errb.String(), "returned"); n != 1 {
		t.Fatalf("the return shows %d times, want once:\n%s%s", n, werr.String(), errb.String())
	}
	if n := h.Requests(t, "outcome", "unknown_recipient"); n != 1 {
		t.Fatalf("the hub refused the document %v times: it was submitted again", n)
	}
	if !strings.Contains(werr.String(), "unknown_recipient") {
		t.Errorf("the failure line does not say why: %s", werr.String())
	}
}
