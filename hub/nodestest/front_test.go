package nodestest

import (
	"context"
	"os"
	"testing"
	"time"

	"lienthong/shared/hubclient"
)

// TestFrontAcrossNodes: a long poll held by node 2's long-poll front is
// woken by a document node 1 accepts: node 2 hears of it by NOTIFY, and its
// relay's wake-up reaches its front.
func TestFrontAcrossNodes(t *testing.T) {
	n1, n2 := twoNodes(t)
	f2 := n2.StartFront(t, nil)
	for deadline := time.Now().Add(10 * time.Second); !f2.Up(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node 2's front does not follow its wake-ups")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	qn := n1.Client(t, quangNinh, false)
	na, err := hubclient.New(n2.Addr, n2.Agencies[ngheAn].Key, n2.Verifier(), hubclient.Options{ServerName: "localhost", PollAddr: f2.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer na.Close()

	type answer struct {
		ids []string
		err error
		d   time.Duration
	}
	got := make(chan answer, 1)
	go func() {
		start := time.Now()
		u, err := na.Updates(ctx, 0, 0, 25*time.Second)
		a := answer{err: err, d: time.Since(start)}
		if err == nil {
			for _, it := range u.Inbox.Items {
				a.ids = append(a.ids, it.MessageID)
			}
		}
		got <- a
	}()
	for deadline := time.Now().Add(10 * time.Second); f2.Polls() != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("node 2's front holds no poll")
		}
	}
	time.Sleep(300 * time.Millisecond) // past the poll's first asks of node 2
	pdf, err := os.ReadFile("../server/testdata/cong-van.pdf")
	if err != nil {
		t.Fatal(err)
	}
	doc := send(t, ctx, qn, n1, quangNinh, pdf, ngheAn)
	a := <-got
	if a.err != nil || len(a.ids) != 1 || a.ids[0] != doc.id {
		t.Fatalf("the poll at node 2's front: %v, %v", a.ids, a.err)
	}
	if a.d > woken {
		t.Fatalf("the poll at node 2's front returned after %v, not when node 1 accepted the document", a.d)
	}
	t.Logf("the poll at node 2's front answered %v after it began", a.d)
}
