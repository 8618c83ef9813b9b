package nodestest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/certs/certstest"
	"lienthong/hub/config"
	"lienthong/hub/hubtest"
	"lienthong/hub/store/pgstore"
	"lienthong/hub/store/pgstore/pgtest"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/receipt"
)

const (
	quangNinh = "000.00.00.H49"
	ngheAn    = "000.00.00.H41"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) {
	pgtest.Main(m, func(url string) error { return pgstore.Migrate(context.Background(), url) },
		func(c *pgtest.Cluster) { cluster = c })
}

// twoNodes starts two hub nodes of one service (one PKI, one receipt
// identity, one log key) on one fresh database. Their long polls re-check
// the store only every 30 s, so that a poll answered sooner was woken by
// the other node's notification.
func twoNodes(t *testing.T) (*hubtest.Hub, *hubtest.Hub) {
	t.Helper()
	url := cluster.NewDatabase(t)
	configure := func(c *config.Config) {
		c.Store, c.PostgresURL, c.LongPollRecheck = config.StorePostgres, url, config.Duration(30*time.Second)
	}
	pki := certstest.New(t)
	n1 := hubtest.Start(t, hubtest.Options{PKI: pki, Configure: configure})
	n2 := hubtest.Start(t, hubtest.Options{PKI: pki, Configure: configure, Receipts: n1.Receipts, LogSignerKey: n1.LogSignerKey})
	return n1, n2
}

// waitPolling waits until n has a long poll waiting, so that what follows
// happens while it waits.
func waitPolling(t *testing.T, n *hubtest.Hub) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mfs, err := n.Server.Metrics().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "lienthong_hub_long_polls" && mf.GetMetric()[0].GetGauge().GetValue() > 0 {
				return
			}
		}
	}
	t.Fatal("no long poll started waiting")
}

// woken bounds how long a poll woken by another node may take on a loaded
// machine; the poll's wait (25 s) and re-check (30 s) are far longer.
const woken = 10 * time.Second

// TestExchangeAcrossNodes: an agency long-polling node 2 gets a document
// submitted on node 1 as soon as it is accepted, acknowledges it on node
// 2, and the sender, long-polling its statuses on node 1, gets the
// "delivered" status and then the recipient's own status as soon as they
// are stored.
func TestExchangeAcrossNodes(t *testing.T) {
	n1, n2 := twoNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	qn := n1.Client(t, quangNinh, false)
	na := n2.Client(t, ngheAn, false)

	// A document submitted on node 1 wakes the inbox poll on node 2.
	type answer struct {
		n   int
		id  string
		err error
		d   time.Duration
	}
	inbox := make(chan answer, 1)
	go func() {
		start := time.Now()
		in, err := na.Inbox(ctx, 0, 25*time.Second)
		a := answer{err: err, d: time.Since(start)}
		if err == nil {
			a.n = len(in.Items)
			if a.n > 0 {
				a.id = in.Items[0].MessageID
			}
		}
		inbox <- a
	}()
	waitPolling(t, n2)
	pdf, err := os.ReadFile("../server/testdata/cong-van.pdf")
	if err != nil {
		t.Fatal(err)
	}
	doc := send(t, ctx, qn, n1, quangNinh, pdf, ngheAn)
	a := <-inbox
	if a.err != nil || a.n != 1 || a.id != doc.id {
		t.Fatalf("inbox on node 2: %d items (%s), %v", a.n, a.id, a.err)
	}
	if a.d > woken {
		t.Fatalf("the poll on node 2 returned after %v, not when node 1 accepted the document", a.d)
	}
	t.Logf("inbox poll on node 2 answered %v after it began", a.d)
	var buf bytes.Buffer
	if _, err := na.Download(ctx, doc.id, doc.digest, 0, &buf); err != nil || !bytes.Equal(buf.Bytes(), pdf) {
		t.Fatalf("download on node 2 of what was uploaded on node 1: %v", err)
	}

	// The acknowledgement on node 2 wakes the sender's status poll on node 1.
	statuses := func(after uint64) chan answer {
		ch := make(chan answer, 1)
		go func() {
			start := time.Now()
			st, err := qn.Statuses(ctx, after, 25*time.Second)
			a := answer{err: err, d: time.Since(start)}
			if err == nil {
				a.n = len(st.Items)
				if a.n > 0 {
					a.id = st.Items[0].Code
				}
			}
			ch <- a
		}()
		return ch
	}
	st := statuses(0)
	waitPolling(t, n1)
	acked, err := na.Ack(ctx, doc.id)
	if err != nil {
		t.Fatalf("ack on node 2: %v", err)
	}
	if r, _, err := receipt.Verify(acked.Receipt, n2.Verifier(), certs.DefaultReceiptSigner); err != nil || r.Event != receipt.EventDelivered {
		t.Fatalf("delivered receipt from node 2: %v", err)
	}
	a = <-st
	if a.err != nil || a.n != 1 || a.id != string(document.StatusArrived) {
		t.Fatalf("statuses on node 1 after the ack: %d items (first %s), %v", a.n, a.id, a.err)
	}
	if a.d > woken {
		t.Fatalf("the status poll on node 1 returned after %v, not at the ack on node 2", a.d)
	}

	// A status posted on node 2 wakes the sender's status poll on node 1.
	first, err := qn.Statuses(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	st = statuses(first.Next)
	waitPolling(t, n1)
	if _, err := na.PostStatus(ctx, statusPacket(t, n2, ngheAn, doc, document.StatusReceived)); err != nil {
		t.Fatalf("status on node 2: %v", err)
	}
	a = <-st
	if a.err != nil || a.n != 1 || a.id != string(document.StatusReceived) {
		t.Fatalf("statuses on node 1 after the status: %d items (first %s), %v", a.n, a.id, a.err)
	}
	if a.d > woken {
		t.Fatalf("the status poll on node 1 returned after %v, not at the status on node 2", a.d)
	}
}

type sentDoc struct {
	id, digest string
	packet     []byte
}

// compose signs a document from agency from to agency to on node n's
// PKI, attaching pdf.
// send composes a document from one agency to another with pdf, and
// uploads and submits it through c, a client of node n.
func send(t *testing.T, ctx context.Context, c *hubclient.Client, n *hubtest.Hub, from string, pdf []byte, to string) *sentDoc {
	t.Helper()
	doc := compose(t, n, from, pdf, to)
	if err := c.Upload(ctx, doc.digest, bytes.NewReader(pdf), int64(len(pdf)), 16<<10, nil); err != nil {
		t.Fatalf("upload through %s: %v", c.Node(), err)
	}
	if _, err := c.Submit(ctx, doc.packet); err != nil {
		t.Fatalf("submit through %s: %v", c.Node(), err)
	}
	return doc
}

func compose(t *testing.T, n *hubtest.Hub, from string, pdf []byte, to string) *sentDoc {
	t.Helper()
	sum := sha256.Sum256(pdf)
	digest := hex.EncodeToString(sum[:])
	d := &envelope.Document{
		Kind: envelope.KindDocument, MessageID: envelope.NewMessageID(), Created: time.Now(),
		Metadata: &document.Metadata{
			Version:    document.SchemaVersion,
			From:       document.Organ{Code: certs.AgencyCode(from), Name: n.Agencies[from].Name},
			CodeNumber: "15", CodeNotation: "UBND-VP", Type: document.TypeCongVan,
			Promulgation: document.Promulgation{Place: "Hạ Long", Date: document.DateOf(time.Now())},
			Subject:      "Về việc vận hành Trục liên thông trên nhiều máy chủ",
			Signer:       document.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Hùng"},
			To:           []document.Recipient{{Code: certs.AgencyCode(to), Name: n.Agencies[to].Name}},
		},
		Attachments: []envelope.Attachment{{Name: "cong-van.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: digest}},
	}
	payload, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	packet, err := envelope.Seal(payload, n.Agencies[from].Key)
	if err != nil {
		t.Fatal(err)
	}
	return &sentDoc{id: d.MessageID, digest: digest, packet: packet}
}

// statusPacket signs a status of doc from its recipient from, with from's
// key on node n.
func statusPacket(t *testing.T, n *hubtest.Hub, from string, doc *sentDoc, code document.Status) []byte {
	t.Helper()
	d, _, err := envelope.OpenDocument(doc.packet, n.Verifier(), 0)
	if err != nil {
		t.Fatal(err)
	}
	s := envelope.Status{Kind: envelope.KindStatus, MessageID: envelope.NewMessageID(), Regarding: doc.id, Update: document.StatusUpdate{
		Document: d.Metadata.ID(), From: certs.AgencyCode(from), Code: code, Staff: "Lê Văn Thư", Time: time.Now(),
	}}
	payload, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	p, err := envelope.Seal(payload, n.Agencies[from].Key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
