package ui

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"lienthong/desktop/clerk"
	"lienthong/hub/hubtest"
)

// TestWindowAnswersWhileSigning sends a document through a signer that
// waits for the test's word. The tap on Đồng ý must return while it waits
// (Issue runs off Fyne's goroutine), the window must answer meanwhile (a
// shortcut switches tabs, typing reaches the search box), the send button
// stays off so the document cannot be sent twice, and the result shows
// once the signer is released. Were Issue run on Fyne's goroutine again,
// the tap would return only after the signer's own deadline, and the test
// fails on that.
func TestWindowAnswersWhileSigning(t *testing.T) {
	h := hubtest.Start(t, hubtest.Options{})
	home := initHome(t, h, quangNinh)
	c, err := clerk.Open(home, testPass, clerk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	syncNow(t, c) // the directory, for the recipients' tree
	c.Close()
	a, w := startApp(t, home, Options{})
	ct := a.Compose

	release, started := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	var returned atomic.Bool
	issue := ct.issue
	ct.issue = func(ctx context.Context, d *clerk.Draft) (string, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		defer returned.Store(true)
		select {
		case <-release:
		case <-time.After(10 * time.Second):
			return "", errors.New("the test never released the signer")
		}
		return issue(ctx, d)
	}

	a.ShowTab(TabCompose)
	subject := "Về việc ký số khi máy đang bận"
	compose(t, a, testdata("cong-van.pdf"), subject, 0, "van phong chinh phu")
	test.Tap(ct.Send)
	test.Tap(findButton(w, "Đồng ý"))
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatalf("Issue never started: %q", ct.Problems.Text)
	}
	if returned.Load() {
		t.Fatal("the tap returned only after Issue did: Issue ran on Fyne's goroutine")
	}

	t.Run("progress shows and the send button is off", func(t *testing.T) {
		if !ct.Send.Disabled() {
			t.Error("send is enabled while the document is being signed")
		}
		if ct.Problems.Text != "Đang ký số và lưu văn bản…" {
			t.Errorf("problems line %q", ct.Problems.Text)
		}
		if !a.Status.Working() || a.Status.Activity.Text != "Đang ký số và lưu văn bản…" || !a.Status.Busy.Visible() {
			t.Errorf("status bar: working %v, %q", a.Status.Working(), a.Status.Activity.Text)
		}
		test.Tap(ct.Send)
		ct.Issue()                      // a second submit, as Enter or a script would
		test.Type(ct.Subject, " (sửa)") // typing keeps validating, not enabling send
		if !ct.Send.Disabled() {
			t.Error("typing enabled send while signing")
		}
	})
	t.Run("the window answers", func(t *testing.T) {
		w.Canvas().(fyne.Shortcutable).TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.Key1, Modifier: fyne.KeyModifierShortcutDefault})
		if a.Tabs.SelectedIndex() != 0 {
			t.Fatalf("Ctrl+1 did not switch to Văn bản đến: tab %d", a.Tabs.SelectedIndex())
		}
		test.Type(a.Incoming.List.Search, "bao cao")
		if a.Incoming.List.Search.Text != "bao cao" {
			t.Errorf("search box %q", a.Incoming.List.Search.Text)
		}
		a.Incoming.List.Wait()
		mainQueue.drain()
		if returned.Load() {
			t.Error("Issue returned before it was released")
		}
	})

	close(release)
	settle(t, a)
	if n := calls.Load(); n != 1 {
		t.Errorf("Issue ran %d times: the document was submitted twice", n)
	}
	if !strings.Contains(ct.Problems.Text, "Đã ký và đưa vào hàng gửi: "+subject) || ct.LastIssued == "" {
		t.Fatalf("after release: %q, id %q", ct.Problems.Text, ct.LastIssued)
	}
	if a.Status.Working() || a.Status.Busy.Visible() {
		t.Error("the status bar still shows work under way")
	}
	if a.Outgoing.List.Total() != 1 {
		t.Errorf("Văn bản đi has %d documents", a.Outgoing.List.Total())
	}
}
