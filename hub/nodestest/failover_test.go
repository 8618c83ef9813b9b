package nodestest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"lienthong/hub/hubtest"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// nodesClient is a client of agency code that knows both nodes, node 1
// first.
func nodesClient(t *testing.T, n1, n2 *hubtest.Hub, code string, tcp bool) *hubclient.Client {
	t.Helper()
	c, err := hubclient.New(n1.Addr+","+n2.Addr, n1.Agencies[code].Key, n1.Verifier(),
		hubclient.Options{ServerName: "localhost", DisableQUIC: tcp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// counter sums a counter of node n's metrics.
func counter(t *testing.T, n *hubtest.Hub, name string) float64 {
	t.Helper()
	mfs, err := n.Server.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestClientsFailOver: node 1 stops while an agency sends documents
// through it and another long-polls it for them. Both move to node 2
// without an error reaching them: the long poll waiting on node 1 is asked
// again on node 2, and every document is accepted once and delivered once.
func TestClientsFailOver(t *testing.T) {
	pdf, err := os.ReadFile("../server/testdata/cong-van.pdf")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	pdfDigest := hex.EncodeToString(sum[:])
	for _, tcp := range []bool{false, true} {
		t.Run(map[bool]string{false: "QUIC", true: "TCP"}[tcp], func(t *testing.T) {
			const docs, beforeStop = 12, 4
			n1, n2 := twoNodes(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			qn := nodesClient(t, n1, n2, quangNinh, tcp)
			na := nodesClient(t, n1, n2, ngheAn, tcp)

			// The recipient long-polls, downloads and acknowledges until
			// the test ends.
			var (
				mu     sync.Mutex
				listed = map[string]int{}
				acked  = map[string]int{}
			)
			ackedCount := func() int {
				mu.Lock()
				defer mu.Unlock()
				return len(acked)
			}
			recvCtx, stopRecv := context.WithCancel(ctx)
			received := make(chan struct{})
			defer func() { stopRecv(); <-received }()
			go func() {
				defer close(received)
				var after uint64
				for {
					in, err := na.Inbox(recvCtx, after, 20*time.Second)
					if recvCtx.Err() != nil {
						return
					}
					if err != nil {
						t.Errorf("inbox: %v", err)
						return
					}
					for _, it := range in.Items {
						var buf bytes.Buffer
						if _, err := na.Download(ctx, it.MessageID, pdfDigest, 0, &buf); err != nil || !bytes.Equal(buf.Bytes(), pdf) {
							t.Errorf("download %s: %v", it.MessageID, err)
							return
						}
						a, err := na.Ack(ctx, it.MessageID)
						if err != nil {
							t.Errorf("ack %s: %v", it.MessageID, err)
							return
						}
						if a.Existed {
							t.Logf("acknowledgement of %s answered as a repeat: its first answer was lost with node 1", it.MessageID)
						}
						mu.Lock()
						listed[it.MessageID]++
						acked[it.MessageID]++
						mu.Unlock()
					}
					after = in.Next
				}
			}()
			waitAcked := func(n int) {
				t.Helper()
				for ackedCount() < n {
					select {
					case <-received:
						t.Fatalf("the recipient stopped after %d documents", ackedCount())
					case <-ctx.Done():
						t.Fatalf("the recipient got %d documents of %d", ackedCount(), n)
					case <-time.After(20 * time.Millisecond):
					}
				}
			}

			// The sender sends; node 1 stops while the recipient's poll
			// waits on it and while the sender goes on sending.
			sent := map[string]bool{}
			send := func() {
				doc := compose(t, n1, quangNinh, pdf, ngheAn)
				if err := qn.Upload(ctx, doc.digest, bytes.NewReader(pdf), int64(len(pdf)), 16<<10, nil); err != nil {
					t.Errorf("upload: %v", err)
					return
				}
				s, err := qn.Submit(ctx, doc.packet)
				if err != nil {
					t.Errorf("submit: %v", err)
					return
				}
				if s.Existed {
					t.Logf("submission of %s answered as a repeat: its first answer was lost with node 1", doc.id)
				}
				sent[doc.id] = true
			}
			waitPolling(t, n1)
			for range beforeStop {
				send()
			}
			waitAcked(beforeStop)
			waitPolling(t, n1)
			if qn.Node() != n1.Addr || na.Node() != n1.Addr {
				t.Fatalf("before the stop: sender on %s, recipient on %s, want node 1 (%s)", qn.Node(), na.Node(), n1.Addr)
			}
			sending := make(chan struct{})
			go func() {
				defer close(sending)
				for range docs - beforeStop {
					send()
				}
			}()
			start := time.Now()
			n1.Stop()
			waitPolling(t, n2)
			t.Logf("the recipient's long poll resumed on node 2 %v after node 1 began to stop", time.Since(start))
			<-sending
			if t.Failed() {
				t.FailNow()
			}
			waitAcked(docs)
			waitPolling(t, n2)
			if qn.Node() != n2.Addr || na.Node() != n2.Addr {
				t.Fatalf("after the stop: sender on %s, recipient on %s, want node 2 (%s)", qn.Node(), na.Node(), n2.Addr)
			}

			mu.Lock()
			defer mu.Unlock()
			for id := range sent {
				if listed[id] != 1 || acked[id] != 1 {
					t.Errorf("document %s listed %d times, acknowledged %d times", id, listed[id], acked[id])
				}
			}
			if len(listed) != len(sent) {
				t.Errorf("%d documents listed, %d sent", len(listed), len(sent))
			}
			accepted := counter(t, n1, "lienthong_hub_documents_accepted_total") + counter(t, n2, "lienthong_hub_documents_accepted_total")
			delivered := counter(t, n1, "lienthong_hub_deliveries_acked_total") + counter(t, n2, "lienthong_hub_deliveries_acked_total")
			if accepted != docs || delivered != docs {
				t.Errorf("the nodes accepted %v and delivered %v documents, want %d each", accepted, delivered, docs)
			}
			var states []wire.RecipientState
			for after := uint64(0); ; {
				s, err := qn.Sent(ctx, after)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range s.Items {
					states = append(states, it.Recipients...)
				}
				if len(s.Items) == 0 {
					break
				}
				after = s.Next
			}
			if len(states) != docs {
				t.Fatalf("the sender's sent list has %d deliveries, want %d", len(states), docs)
			}
			for _, st := range states {
				if st.Delivery != "acked" {
					t.Errorf("a delivery is %q", st.Delivery)
				}
			}
		})
	}
}

// TestRefusalStaysOnItsNode: a node's refusal is the hub's answer; the
// client does not send the request on to the other node.
func TestRefusalStaysOnItsNode(t *testing.T) {
	n1, n2 := twoNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	qn := nodesClient(t, n1, n2, quangNinh, false)
	before := counter(t, n2, "lienthong_hub_requests_total")
	if _, err := qn.Submit(ctx, []byte("not a packet")); wire.CodeOf(err) != wire.CodeMalformed {
		t.Fatalf("submit of a malformed packet: %v", err)
	}
	if _, err := qn.Ack(ctx, envelope.NewMessageID()); wire.CodeOf(err) != wire.CodeNotFound {
		t.Fatalf("ack of an unknown message: %v", err)
	}
	if n := counter(t, n2, "lienthong_hub_requests_total") - before; n != 0 {
		t.Fatalf("node 2 got %v requests refused by node 1", n)
	}
	if qn.Node() != n1.Addr {
		t.Fatalf("after refusals the client uses %s, not node 1", qn.Node())
	}
}
