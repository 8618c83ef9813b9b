package ui

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
)

const (
	vpcp      = "000.00.00.G22"
	quangNinh = "000.00.00.H49"
	ngheAn    = "000.00.00.H41"
)

var testPass = []byte("mat-khau-cua-van-thu")

// writePKI writes agency code's .p12 and the hub's roots into dir and
// returns their paths.
func writePKI(t testing.TB, h *hubtest.Hub, code, dir string) (p12Path, rootsPath string) {
	t.Helper()
	p12, err := certs.EncodePKCS12(h.Agencies[code].Key, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	p12Path = filepath.Join(dir, code+".p12")
	rootsPath = filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(p12Path, p12, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rootsPath, h.PKI.RootPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p12Path, rootsPath
}

// initHome creates a clerk store for an agency of h, as the wizard does.
func initHome(t testing.TB, h *hubtest.Hub, code string) string {
	t.Helper()
	return initHomeAt(t, h, code, filepath.Join(t.TempDir(), "home-"+code))
}

// initHomeAt is initHome in the folder home.
func initHomeAt(t testing.TB, h *hubtest.Hub, code, home string) string {
	t.Helper()
	p12, err := certs.EncodePKCS12(h.Agencies[code].Key, "p12-pass")
	if err != nil {
		t.Fatal(err)
	}
	if err := clerk.Init(clerk.InitOptions{Home: home, Passphrase: testPass, P12: p12, P12Passphrase: "p12-pass",
		HubAddr: h.Addr, ServerName: "localhost", RootsPEM: h.PKI.RootPEM()}); err != nil {
		t.Fatalf("init %s: %v", code, err)
	}
	return home
}

// startApp opens the app over home in a headless window, unlocked.
func startApp(t *testing.T, home string, opts Options) (*App, fyne.Window) {
	t.Helper()
	return startAppWith(t, home, opts, nil)
}

// startAppWith is startApp with prep run on the Fyne app before the app
// starts (to set its preferences).
func startAppWith(t *testing.T, home string, opts Options, prep func(fyne.App)) (*App, fyne.Window) {
	t.Helper()
	fa := test.NewTempApp(t)
	if prep != nil {
		prep(fa)
	}
	w := fa.NewWindow("test")
	w.Resize(fyne.NewSize(1280, 800))
	opts.Home = home
	opts.NoSync = true
	opts.Dispatch = mainQueue.dispatch
	a := New(fa, w, opts)
	a.Start()
	t.Cleanup(a.Close)
	if a.Unlock != nil {
		test.Type(a.Unlock.Passphrase, string(testPass))
		test.Tap(a.Unlock.Button)
		settle(t, a)
	}
	if a.Clerk() == nil {
		t.Fatalf("app not unlocked: %q", a.Unlock.Message.Text)
	}
	w.Show()
	return a, w
}

// uiQueue stands for Fyne's goroutine in tests: background work queues
// its widget updates, and the test runs them on its own goroutine when it
// waits (eventually), as the event loop would between two user actions.
type uiQueue struct {
	mu sync.Mutex
	fs []func()
}

func (q *uiQueue) dispatch(f func()) {
	q.mu.Lock()
	q.fs = append(q.fs, f)
	q.mu.Unlock()
}

// drain runs the queued functions, and those they queue, and reports
// whether there were any.
func (q *uiQueue) drain() bool {
	ran := false
	for {
		q.mu.Lock()
		fs := q.fs
		q.fs = nil
		q.mu.Unlock()
		if len(fs) == 0 {
			return ran
		}
		ran = true
		for _, f := range fs {
			f()
		}
	}
}

// settle waits for the background work the apps started (a tap that
// signs, writes or exports) and runs what it queued for Fyne's goroutine,
// until nothing is left: the result of the tap is then on screen.
func settle(t testing.TB, apps ...*App) {
	t.Helper()
	for range 1000 {
		for _, a := range apps {
			a.WaitIdle()
		}
		if !mainQueue.drain() {
			return
		}
	}
	t.Fatal("the app never settled")
}

var mainQueue = &uiQueue{}

// eventually runs the queued widget updates and polls cond until it holds
// or ten seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for mainQueue.drain(); !cond(); mainQueue.drain() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// texts returns every label, button and entry text in a widget tree.
func texts(o fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			out = append(out, w.Text)
		case *widget.Button:
			out = append(out, w.Text)
		case *widget.Select:
			out = append(out, w.Selected)
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, ch := range c.Objects {
				walk(ch)
			}
			return
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, ch := range test.WidgetRenderer(w).Objects() {
				walk(ch)
			}
		}
	}
	walk(o)
	return out
}

// findButton finds a visible button by its text in the window, overlays
// (dialogs) first.
func findButton(w fyne.Window, text string) *widget.Button {
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil || o == nil || !o.Visible() {
			return
		}
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = b
			return
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, ch := range c.Objects {
				walk(ch)
			}
			return
		}
		if wd, ok := o.(fyne.Widget); ok {
			for _, ch := range test.WidgetRenderer(wd).Objects() {
				walk(ch)
			}
		}
	}
	for _, o := range w.Canvas().Overlays().List() {
		walk(o)
	}
	if found == nil {
		walk(w.Content())
	}
	return found
}

func containsText(list []string, want string) bool {
	for _, s := range list {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}

func testdata(name string) string {
	p, _ := filepath.Abs(filepath.Join("testdata", name))
	return p
}

func tableCell(row int) widget.TableCellID { return widget.TableCellID{Row: row, Col: int(ColSubject)} }

func certsCode(s string) certs.AgencyCode { return certs.AgencyCode(s) }
