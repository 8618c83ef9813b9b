//go:build linux

package clustertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lienthong/certs"
	"lienthong/hub/bench"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// attemptTimeout bounds one request. A hub node answers within
// milliseconds when the database is up and fails fast while it is down; a
// commit waits for the synchronous standby, which a killed standby delays
// until Patroni names another (seconds). A QUIC client of a killed hub
// node learns of it only by this timeout.
const attemptTimeout = 5 * time.Second

// span is a request that succeeded: when it began and ended.
type span struct {
	agency     string
	start, end time.Time
	write      bool
}

// statusKey names a status a recipient posted about a document.
type statusKey struct{ id, from, code string }

// ledger is what the agencies saw, for the final checks.
type ledger struct {
	mu sync.Mutex
	// ok: documents whose submission a node answered, with their
	// recipients and sender; submitted: every message id submitted.
	ok        map[string][]string
	from      map[string]string
	submitted map[string]bool
	// stored: per recipient, the documents it stored and acknowledged;
	// first: how many acks of each were answered as the first;
	// uncertain: an ack attempt failed, so the first may have been lost.
	stored    map[string]map[string]int
	first     map[string]map[string]int
	uncertain map[string]map[string]bool
	// receipts handed out, by message id; posted: statuses the hub
	// accepted; seen: statuses the sender listed.
	receipts map[string][][]byte
	posted   map[statusKey]bool
	seen     map[statusKey]int
	spans    []span
	problems []string
}

func newLedger() *ledger {
	return &ledger{ok: map[string][]string{}, from: map[string]string{}, submitted: map[string]bool{},
		stored: map[string]map[string]int{}, first: map[string]map[string]int{}, uncertain: map[string]map[string]bool{},
		receipts: map[string][][]byte{}, posted: map[statusKey]bool{}, seen: map[statusKey]int{}}
}

func (l *ledger) problem(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.problems) < 50 {
		l.problems = append(l.problems, fmt.Sprintf(format, args...))
	}
}

// wrote records sp as a request that committed a change: with
// synchronous replication, one that waited for the standby. Called with
// l.mu held.
func (l *ledger) wrote(sp span) {
	sp.write = true
	l.spans = append(l.spans, sp)
}

// resumed returns how long after at the first request begun after at
// succeeded: writes only, or any request of the agencies named (all when
// none is); -1 if none did.
func (l *ledger) resumed(at time.Time, writes bool, agencies ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	best := time.Duration(-1)
	for _, s := range l.spans {
		if s.start.Before(at) || (writes && !s.write) || (len(agencies) > 0 && !slices.Contains(agencies, s.agency)) {
			continue
		}
		if d := s.end.Sub(at); best < 0 || d < best {
			best = d
		}
	}
	return best
}

// agency is a simulated agency with its client of the hub: one
// shared/hubclient.Client given both nodes, its home node first, which
// moves to the other node by itself when one does not answer.
type agency struct {
	demo  certs.DemoAgency
	kp    *certs.KeyPair
	tcp   bool
	addrs []string
	led   *ledger
	c     *hubclient.Client

	mu       sync.Mutex
	node     string // the node of the last answer
	switches int    // how often that changed
}

func (a *agency) code() string { return string(a.demo.Code) }

// retry calls fn until it succeeds or ctx ends: a node or the database
// may be down. Each attempt has its own deadline.
func (a *agency) retry(ctx context.Context, fn func(ctx context.Context, c *hubclient.Client) error) error {
	_, err := a.try(ctx, fn)
	return err
}

// try is retry returning the attempt that succeeded.
func (a *agency) try(ctx context.Context, fn func(ctx context.Context, c *hubclient.Client) error) (span, error) {
	for {
		start := time.Now()
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := fn(actx, a.c)
		cancel()
		if err == nil {
			sp := span{agency: a.code(), start: start, end: time.Now()}
			a.led.mu.Lock()
			a.led.spans = append(a.led.spans, sp)
			a.led.mu.Unlock()
			a.mu.Lock()
			if node := a.c.Node(); node != a.node {
				if a.node != "" {
					a.switches++
				}
				a.node = node
			}
			a.mu.Unlock()
			return sp, nil
		}
		var answer *wire.Error
		if errors.As(err, &answer) && !answer.Code.Retryable() {
			return span{}, err // an answer, not an outage
		}
		select {
		case <-ctx.Done():
			return span{}, fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// load is agencies exchanging documents through both hub nodes.
type load struct {
	t        *testing.T
	led      *ledger
	agencies []*agency
	ctx      context.Context // the whole test
	cancel   context.CancelFunc
	stopSend context.CancelFunc
	stopRecv context.CancelFunc
	senders  sync.WaitGroup
	others   sync.WaitGroup
}

// newAgency is demo agency i, at home on node 1 or 2 (i even, odd), on
// QUIC or TCP (i%4 < 2, >= 2), recording what it does in led.
func newAgency(t *testing.T, i int, led *ledger) *agency {
	t.Helper()
	d := certs.DemoAgencies[i]
	base := filepath.Join(env.pki, "agencies", string(d.Code))
	kp, err := certs.LoadKeyPair(base+".crt", base+".key", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &agency{demo: d, kp: kp, tcp: i%4 >= 2, addrs: []string{env.nodes[i%2].addr, env.nodes[(i+1)%2].addr}, led: led}
	a.c, err = hubclient.New(strings.Join(a.addrs, ","), kp, env.verifier, hubclient.Options{
		ServerName: "localhost", DisableQUIC: a.tcp, QUICHandshakeTimeout: time.Second, RetryQUICAfter: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.c.Close() })
	return a
}

// senders is how many of the demo agencies send, one document after
// another with sendPause between, which keeps the load light on a shared
// CI machine while still writing every few tens of milliseconds, so that
// the moment writes resume is seen; all agencies receive.
const (
	senders   = 3
	sendPause = 50 * time.Millisecond
)

// startLoad starts the agencies: half at home on node 1, half on node 2,
// half on QUIC and half on TCP; the first three send documents to two
// others each, one after another; every agency downloads, acknowledges
// and answers with status 03 what it receives; the senders read their
// statuses.
func startLoad(t *testing.T) *load {
	t.Helper()
	l := &load{t: t, led: newLedger()}
	l.ctx, l.cancel = context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(l.cancel)
	for i := range certs.DemoAgencies {
		a := newAgency(t, i, l.led)
		l.agencies = append(l.agencies, a)
		code := a.code()
		l.led.stored[code], l.led.first[code], l.led.uncertain[code] = map[string]int{}, map[string]int{}, map[string]bool{}
	}
	sendCtx, stopSend := context.WithCancel(l.ctx)
	recvCtx, stopRecv := context.WithCancel(l.ctx)
	l.stopSend, l.stopRecv = stopSend, stopRecv
	for i, a := range l.agencies[:senders] {
		l.senders.Add(1)
		go func() {
			defer l.senders.Done()
			for n := 1; sendCtx.Err() == nil; n++ {
				to := []*agency{l.agencies[(i+1+n%3)%len(l.agencies)], l.agencies[(i+4+n%2)%len(l.agencies)]}
				if to[0] == to[1] {
					to = to[:1]
				}
				l.send(a, to, i*100000+n)
				time.Sleep(sendPause)
			}
		}()
	}
	for _, a := range l.agencies {
		l.others.Add(1)
		go func() { defer l.others.Done(); l.receive(recvCtx, a) }()
	}
	for _, a := range l.agencies[:senders] {
		l.others.Add(1)
		go func() { defer l.others.Done(); l.readStatuses(recvCtx, a) }()
	}
	return l
}

// send pushes one document through, whatever the outages: once begun, a
// document is retried until a node answers, since stopping halfway would
// leave its fate unknown.
func (l *load) send(a *agency, to []*agency, number int) {
	led := l.led
	d, err := compose(l.ctx, a, to, number)
	if err != nil {
		led.problem("compose: %v", err)
		return
	}
	id, digest, pdf, packet := d.id, d.digest, d.pdf, d.packet
	var rcpts []string
	for _, r := range to {
		rcpts = append(rcpts, r.code())
	}
	led.mu.Lock()
	led.submitted[id] = true
	led.mu.Unlock()
	err = a.retry(l.ctx, func(ctx context.Context, c *hubclient.Client) error {
		return c.Upload(ctx, digest, bytes.NewReader(pdf), int64(len(pdf)), 16<<10, nil)
	})
	var sub *wire.Submitted
	var sp span
	if err == nil {
		sp, err = a.try(l.ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
			sub, err = c.Submit(ctx, packet)
			return err
		})
	}
	if err != nil {
		led.problem("send %s: %v", id, err)
		return
	}
	led.mu.Lock()
	defer led.mu.Unlock()
	if !sub.Existed {
		led.wrote(sp)
	}
	led.ok[id], led.from[id] = rcpts, a.code()
	led.receipts[id] = append(led.receipts[id], sub.Receipt)
}

// doc is a signed document packet and its attachment.
type doc struct {
	id, digest  string
	pdf, packet []byte
}

// compose makes a's document number to the agencies to, with a signed
// PDF of about 4 KB attached.
func compose(ctx context.Context, a *agency, to []*agency, number int) (*doc, error) {
	id := envelope.NewMessageID()
	pdf, err := bench.SignedPDF(ctx, a.kp, "cluster "+id, 0)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pdf)
	digest := hex.EncodeToString(sum[:])
	meta := &document.Metadata{
		Version:    document.SchemaVersion,
		From:       document.Organ{Code: a.demo.Code, Name: a.demo.Name},
		CodeNumber: strconv.Itoa(number), CodeNotation: "VP", Type: document.TypeCongVan,
		Promulgation: document.Promulgation{Place: "Hà Nội", Date: document.DateOf(time.Now())},
		Subject:      "Về việc kiểm thử Trục khi máy chủ cơ sở dữ liệu hỏng",
		Signer:       document.Signer{Position: "CHÁNH VĂN PHÒNG", FullName: "Nguyễn Văn Bền"},
	}
	for _, r := range to {
		meta.To = append(meta.To, document.Recipient{Code: r.demo.Code, Name: r.demo.Name})
	}
	payload, err := json.Marshal(&envelope.Document{
		Kind: envelope.KindDocument, MessageID: id, Created: time.Now(), Metadata: meta,
		Attachments: []envelope.Attachment{{Name: "cong-van.pdf", ContentType: "application/pdf", Size: int64(len(pdf)), SHA256: digest}},
	})
	if err != nil {
		return nil, err
	}
	packet, err := envelope.Seal(payload, a.kp)
	if err != nil {
		return nil, err
	}
	return &doc{id: id, digest: digest, pdf: pdf, packet: packet}, nil
}

// receive stores (downloads and checks), acknowledges and answers with
// status 03 what arrives for a, until ctx ends.
func (l *load) receive(ctx context.Context, a *agency) {
	led, me := l.led, a.code()
	for ctx.Err() == nil {
		var in *wire.Inbox
		err := a.retry(ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
			in, err = c.Inbox(ctx, 0, time.Second) // from the start: an acknowledged document must never come back
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				led.problem("%s: inbox: %v", me, err)
			}
			return
		}
		for _, item := range in.Items {
			led.mu.Lock()
			seen := led.stored[me][item.MessageID]
			led.mu.Unlock()
			if seen > 0 {
				led.problem("%s: %s listed again after it was acknowledged", me, item.MessageID)
				continue
			}
			d, _, err := envelope.OpenDocument(item.Packet, env.verifier, 0)
			if err != nil {
				led.problem("%s: packet %s: %v", me, item.MessageID, err)
				continue
			}
			for _, att := range d.Attachments {
				var buf bytes.Buffer
				if err := a.retry(ctx, func(ctx context.Context, c *hubclient.Client) error {
					buf.Reset()
					_, err := c.Download(ctx, item.MessageID, att.SHA256, 0, &buf)
					return err
				}); err != nil {
					return // stopping
				}
				if sum := sha256.Sum256(buf.Bytes()); hex.EncodeToString(sum[:]) != att.SHA256 {
					led.problem("%s: attachment of %s does not match its digest", me, item.MessageID)
				}
			}
			var first, uncertain bool
			var acked *wire.Acked
			sp, err := a.try(ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
				before := c.Node()
				acked, err = c.Ack(ctx, item.MessageID)
				switch {
				case err != nil:
					uncertain = true
				case c.Node() != before:
					// The client sent the ack again to another node by
					// itself: the first may have been taken by the node
					// that died.
					uncertain = true
					first = first || !acked.Existed
				case !a.tcp && c.Transport() == "h2":
					// The client fell back to TCP and sent the ack again by
					// itself: the first may have been the one taken.
					uncertain = true
					first = first || !acked.Existed
				case !acked.Existed:
					first = true
				}
				return err
			})
			if err != nil {
				return
			}
			led.mu.Lock()
			if !acked.Existed {
				led.wrote(sp)
			}
			led.stored[me][item.MessageID]++
			if first {
				led.first[me][item.MessageID]++
			}
			if uncertain {
				led.uncertain[me][item.MessageID] = true
			}
			led.receipts[item.MessageID] = append(led.receipts[item.MessageID], acked.Receipt)
			led.mu.Unlock()

			status, err := statusPacket(a, d)
			if err != nil {
				led.problem("%s: status of %s: %v", me, item.MessageID, err)
				continue
			}
			var accepted *wire.StatusAccepted
			sp, err = a.try(ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
				accepted, err = c.PostStatus(ctx, status)
				return err
			})
			if err != nil {
				return
			}
			led.mu.Lock()
			if !accepted.Existed {
				led.wrote(sp)
			}
			led.posted[statusKey{item.MessageID, me, string(document.StatusReceived)}] = true
			led.mu.Unlock()
		}
	}
}

// statusPacket is a's status 03 (received) about document d.
func statusPacket(a *agency, d *envelope.Document) ([]byte, error) {
	s := envelope.Status{Kind: envelope.KindStatus, MessageID: envelope.NewMessageID(), Regarding: d.MessageID, Update: document.StatusUpdate{
		Document: d.Metadata.ID(), From: a.demo.Code, Code: document.StatusReceived, Staff: "Lê Văn Thư", Time: time.Now(),
	}}
	payload, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return envelope.Seal(payload, a.kp)
}

// readStatuses lists and acknowledges the statuses about a's documents
// until ctx ends.
func (l *load) readStatuses(ctx context.Context, a *agency) {
	var after uint64
	for ctx.Err() == nil {
		var st *wire.Statuses
		if err := a.retry(ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
			st, err = c.Statuses(ctx, after, time.Second)
			return err
		}); err != nil {
			return
		}
		var cursors []uint64
		l.led.mu.Lock()
		for _, it := range st.Items {
			l.led.seen[statusKey{it.MessageID, it.From, it.Code}]++
			cursors = append(cursors, it.Cursor)
		}
		l.led.mu.Unlock()
		if len(cursors) > 0 {
			if err := a.retry(ctx, func(ctx context.Context, c *hubclient.Client) error {
				return c.AckStatuses(ctx, cursors)
			}); err != nil {
				return
			}
		}
		after = st.Next
	}
}

// answered is how many documents were answered so far.
func (l *load) answered() int {
	l.led.mu.Lock()
	defer l.led.mu.Unlock()
	return len(l.led.ok)
}

// waitAnswered waits until n more documents are answered than now, so
// that a failure strikes a loaded hub.
func (l *load) waitAnswered(n int) {
	l.t.Helper()
	want := l.answered() + n
	for l.answered() < want {
		if l.ctx.Err() != nil {
			l.t.Fatalf("only %d documents answered: the load stalled", l.answered())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// finish stops sending, waits for every answered document to be
// delivered and its statuses to reach the sender, stops the agencies and
// checks what they saw.
func (l *load) finish() {
	t, led := l.t, l.led
	t.Helper()
	l.stopSend()
	l.senders.Wait()
	deadline := time.Now().Add(90 * time.Second)
	for {
		missing, unseen := 0, 0
		led.mu.Lock()
		for id, rcpts := range led.ok {
			for _, r := range rcpts {
				if led.stored[r][id] == 0 {
					missing++
				}
				if led.seen[statusKey{id, r, string(document.StatusReceived)}] == 0 {
					unseen++
				}
			}
		}
		led.mu.Unlock()
		if missing == 0 && unseen == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%d deliveries of answered documents and %d of their statuses still missing", missing, unseen)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.stopRecv()
	l.others.Wait()

	led.mu.Lock()
	defer led.mu.Unlock()
	for _, p := range led.problems {
		t.Error(p)
	}
	if len(led.ok) < 10 {
		t.Errorf("only %d documents went through: the test exercised too little", len(led.ok))
	}
	for id, rcpts := range led.ok {
		for _, r := range rcpts {
			if n := led.stored[r][id]; n != 1 {
				t.Errorf("%s stored %s %d times", r, id, n)
			}
			if n := led.first[r][id]; n > 1 || (n == 0 && !led.uncertain[r][id]) {
				t.Errorf("the hub answered %d acknowledgements of %s by %s as the first", n, id, r)
			}
			if n := led.seen[statusKey{id, r, string(document.StatusArrived)}]; n == 0 {
				t.Errorf("the sender of %s never listed status 01 from %s", id, r)
			}
		}
	}
	for k := range led.posted {
		if led.seen[k] == 0 {
			t.Errorf("status %s of %s by %s accepted but never listed to the sender", k.code, k.id, k.from)
		}
	}
	for r, docs := range led.stored {
		for id := range docs {
			if !led.submitted[id] {
				t.Errorf("%s received %s, which nobody sent", r, id)
			}
		}
	}
	switches := 0
	for _, a := range l.agencies {
		a.mu.Lock()
		switches += a.switches
		a.mu.Unlock()
	}
	var writes int
	var took, longest time.Duration
	for _, sp := range led.spans {
		if sp.write {
			writes++
			took += sp.end.Sub(sp.start)
			longest = max(longest, sp.end.Sub(sp.start))
		}
	}
	t.Logf("%d documents answered (%d submitted), %d statuses posted; the agencies' clients changed node %d times; %d writes took %v on average, %v at most",
		len(led.ok), len(led.submitted), len(led.posted), switches, writes, took/time.Duration(max(writes, 1)), longest)
}

// checkReceipts checks, after finish, that every receipt handed out is
// still served by the hub, and names the log entry of its event, included
// in the tree of the checkpoint final (whose entries it downloads and
// hashes again).
func (l *load) checkReceipts(final auditlog.Checkpoint) {
	t, led := l.t, l.led
	t.Helper()
	var entries [][]byte
	for from := int64(0); from < final.Size; {
		to := min(from+wire.MaxLogEntries, final.Size)
		var got [][]byte
		if err := l.agencies[0].retry(l.ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
			got, err = c.LogEntries(ctx, from, to)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			t.Fatalf("the log has no entries from %d", from)
		}
		entries = append(entries, got...)
		from += int64(len(got))
	}
	var mem auditlog.Memory
	for _, e := range entries {
		if _, err := mem.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	head, err := auditlog.Head(logOrigin, final.Size, &mem)
	if err != nil {
		t.Fatal(err)
	}
	if head.Root != final.Root {
		t.Fatalf("the log's %d entries hash to another root than its checkpoint's", final.Size)
	}
	byAgency := map[string]*agency{}
	for _, a := range l.agencies {
		byAgency[a.code()] = a
	}
	checked := 0
	for id, got := range led.receipts {
		sender := byAgency[led.from[id]]
		var served [][]byte
		if err := sender.retry(l.ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
			served, err = c.Receipts(ctx, id)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, packet := range got {
			r, _, err := receipt.Verify(packet, env.verifier, certs.DefaultReceiptSigner)
			if err != nil {
				t.Errorf("receipt for %s: %v", id, err)
				continue
			}
			if !slices.ContainsFunc(served, func(b []byte) bool { return bytes.Equal(b, packet) }) {
				t.Errorf("the %s receipt for %s handed out is no longer served", r.Event, id)
			}
			if r.LogIndex >= final.Size {
				t.Errorf("the %s receipt for %s names log entry %d, beyond the final checkpoint (%d)", r.Event, id, r.LogIndex, final.Size)
				continue
			}
			e, err := auditlog.DecodeEntry(entries[r.LogIndex])
			if err != nil || e.MessageID != id || e.Kind != r.Event {
				t.Errorf("the %s receipt for %s names log entry %d, which is %+v (%v)", r.Event, id, r.LogIndex, e, err)
			}
			checked++
		}
	}
	t.Logf("%d receipts served and in the log of %d entries", checked, final.Size)
}

// consistent checks that the checkpoint older is a prefix of newer
// through the hub's consistency proof.
func (l *load) consistent(older, newer auditlog.Checkpoint) {
	l.t.Helper()
	var p auditlog.ConsistencyProof
	if older.Size < newer.Size && older.Size > 0 {
		if err := l.agencies[0].retry(l.ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
			p, err = c.Consistency(ctx, older.Size, newer.Size)
			return err
		}); err != nil {
			l.t.Fatal(err)
		}
	}
	if err := auditlog.VerifyConsistency(older, newer, p); err != nil {
		l.t.Errorf("checkpoint of size %d to %d: %v", older.Size, newer.Size, err)
	}
}

// checkpoint returns the log's signed checkpoint, verified, through the
// first agency, retrying through outages.
func (l *load) checkpoint() auditlog.Checkpoint {
	l.t.Helper()
	var signed []byte
	if err := l.agencies[0].retry(l.ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
		signed, err = c.Checkpoint(ctx)
		return err
	}); err != nil {
		l.t.Fatal(err)
	}
	cp, err := auditlog.OpenCheckpoint(signed, env.logKey, logOrigin)
	if err != nil {
		l.t.Fatal(err)
	}
	return cp
}

// waitResumed waits until a request begun after at succeeded (a write,
// or any request of the agencies named) and returns how long after at it
// ended.
func (l *load) waitResumed(at time.Time, writes bool, agencies ...string) time.Duration {
	l.t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if d := l.led.resumed(at, writes, agencies...); d >= 0 {
			return d
		}
	}
	l.t.Fatalf("no request succeeded in the 3 minutes after the failure")
	return 0
}
