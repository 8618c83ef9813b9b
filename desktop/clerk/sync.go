package clerk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"lienthong/desktop/store"
	"lienthong/shared/document"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/pades"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// permanentError marks a failure that retrying unchanged will not fix (a
// packet that does not verify, say).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

func isRetryable(err error) bool {
	var pe *permanentError
	if errors.As(err, &pe) {
		return false
	}
	return retryable(err)
}

// Sync runs one round: pushes the outbox, pulls the inbox and the statuses
// of sent documents, pushes what receiving queued (the acknowledgements),
// and refreshes the directory (at most hourly within one process). It returns the first error that stopped a
// step; the steps that could run did.
func (c *Clerk) Sync(ctx context.Context) error {
	errs := []error{c.push(ctx)}
	errs = append(errs, c.pullInbox(ctx, 0), c.pullStatuses(ctx, 0), c.push(ctx), c.collectProofs(ctx), c.refreshDirectoryEvery(ctx, directoryInterval))
	for _, err := range errs {
		if err != nil {
			return fmt.Errorf("sync: %w", err)
		}
	}
	return nil
}

// Run syncs until ctx ends, then returns nil: it long-polls the inbox and
// the statuses together, one request held at a time (a new document shows
// within a second of reaching the hub),
// pushes the outbox as soon as an action queues something, refreshes the
// directory hourly, and after a failure (the hub unreachable, say) retries
// with exponential backoff and jitter, emitting ConnectionChanged as it
// goes offline and back.
func (c *Clerk) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { c.waitForUpdates(ctx) })
	wg.Go(func() { c.repeat(ctx, c.pushRound, c.idleUntilKicked) })
	wg.Wait()
	return nil
}

// pushRound is Run's other loop: the outbox, proofs and the directory.
func (c *Clerk) pushRound(ctx context.Context) error {
	if err := c.push(ctx); err != nil {
		return err
	}
	if err := c.collectProofs(ctx); err != nil {
		return err
	}
	return c.refreshDirectoryEvery(ctx, directoryInterval)
}

// idleUntilKicked waits until an action queues something, a minute
// passes, or ctx ends (false).
func (c *Clerk) idleUntilKicked(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-c.kick:
		return true
	case <-time.After(time.Minute):
		return true
	}
}

// repeat runs step until ctx ends. After a success it waits for idle (if
// any; false ends it); after a failure, retryable or not, it waits with
// backoff: retried at once, a failure that recurs (a document the clerk
// cannot take, a refusing hub) would spin.
func (c *Clerk) repeat(ctx context.Context, step func(context.Context) error, idle func(context.Context) bool) {
	fails := 0
	for ctx.Err() == nil {
		err := step(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			fails++
			if isRetryable(err) {
				c.log.Debug("sync step failed", "err", err, "attempt", fails)
			} else {
				c.log.Warn("sync step refused", "err", err, "attempt", fails)
			}
			if !sleep(ctx, c.backoff(fails)) {
				return
			}
			continue
		}
		fails = 0
		if idle != nil && !idle(ctx) {
			return
		}
	}
}

// backoff is the wait before attempt n+1: doubling from half a second up
// to MaxBackoff, with ±50 % jitter so that clerks do not retry in step.
func (c *Clerk) backoff(n int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < n && d < c.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.opts.MaxBackoff)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// push does the outbox items in order. A transport failure or a retryable
// answer stops the round; a document the hub refuses for good is returned
// (returned.go); another item the hub refuses stays in the outbox, is
// reported with SyncFailed and skipped.
func (c *Clerk) push(ctx context.Context) error {
	c.pushMu.Lock()
	defer c.pushMu.Unlock()
	items, err := c.st.Outbox(0)
	if err != nil || len(items) == 0 {
		return err
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	defer c.emitOutbox()
	for _, it := range items {
		err := c.do(ctx, cl, it)
		c.noteResult(cl, err)
		if err == nil {
			continue
		}
		if isRetryable(err) {
			return fmt.Errorf("push %s %s: %w", it.Kind, it.Doc, err)
		}
		if wire.CodeOf(err) == wire.CodeRecipientClosed {
			c.forgetDirectory() // it is older than the hub's: fetch it again
		}
		if it.Kind == store.SendDocument && wire.CodeOf(err).Returns() {
			if err := c.returnDocument(ctx, cl, it, err); err != nil {
				return fmt.Errorf("push %s %s: %w", it.Kind, it.Doc, err)
			}
			continue
		}
		c.log.Warn("hub refused an outbox item", "doc", it.Doc, "kind", string(it.Kind), "err", err)
		c.emit(SyncFailed{ID: it.Doc, Err: err})
	}
	return nil
}

func (c *Clerk) done(id uint64, comp store.Completion) error {
	if err := c.st.Done(id, comp); err != nil && !errors.Is(err, store.ErrNotFound) {
		return permanent(err)
	}
	return nil
}

// doneWithReceipt completes an outbox item whose answer is a hub receipt,
// and notes that the receipt's log proof is to be fetched and kept.
func (c *Clerk) doneWithReceipt(it store.OutboxItem, comp store.Completion) error {
	if err := c.done(it.ID, comp); err != nil {
		return err
	}
	c.awaitProof(it.Doc)
	return nil
}

func (c *Clerk) do(ctx context.Context, cl *hubclient.Client, it store.OutboxItem) error {
	switch it.Kind {
	case store.SendDocument:
		return c.sendDocument(ctx, cl, it)
	case store.SendStatus:
		if _, err := cl.PostStatus(ctx, it.Packet); err != nil {
			return err
		}
		return c.done(it.ID, store.Completion{At: c.now()})
	case store.SendEdXMLStatus:
		if _, err := cl.PostEdXML(ctx, it.Packet, nil, it.Message); err != nil {
			return err
		}
		return c.done(it.ID, store.Completion{At: c.now()})
	case store.Ack:
		acked, err := cl.Ack(ctx, it.Message)
		if wire.CodeOf(err) == wire.CodeWithdrawn {
			return c.done(it.ID, store.Completion{At: c.now()})
		}
		if err != nil {
			return err
		}
		return c.doneWithReceipt(it, store.Completion{At: c.now(), Receipt: acked.Receipt})
	case store.Refuse:
		return c.tellRefusal(ctx, cl, it)
	default:
		return permanent(fmt.Errorf("unknown outbox item %q", it.Kind))
	}
}

func (c *Clerk) sendDocument(ctx context.Context, cl *hubclient.Client, it store.OutboxItem) error {
	doc, err := c.st.Get(it.Doc)
	if err != nil {
		return permanent(err)
	}
	packet, err := c.st.Packet(it.Doc)
	if err != nil {
		return permanent(err)
	}
	res, err := c.submitInline(ctx, cl, it.Doc, doc.Payload.Attachments, packet)
	if res == nil && err == nil {
		res, err = c.uploadAndSubmit(ctx, cl, it.Doc, doc.Payload.Attachments, packet)
	}
	if err != nil {
		return err
	}
	// A recall: the recipients that already had the document get 13 on
	// their copy of it, in this store too.
	for _, ro := range res.Recalls {
		target, err := c.st.Get(ro.MessageID)
		if err != nil {
			continue
		}
		for _, ag := range ro.AlreadyAcked {
			code, err := parseCode(ag)
			if err != nil {
				continue
			}
			u := document.StatusUpdate{Document: target.Payload.Metadata.ID(), From: c.code, Code: document.StatusRecalled,
				Reason: doc.Payload.Metadata.Business.Reason, Time: c.now()}
			if err := c.st.AddStatus(store.StatusChange{Doc: ro.MessageID, Entry: store.StatusEntry{Copy: code, Update: u}}); err != nil && !errors.Is(err, document.ErrTransition) {
				c.log.Warn("record recall", "doc", ro.MessageID, "agency", ag, "err", err)
			}
		}
		c.emit(DocumentChanged{ID: ro.MessageID})
	}
	if err := c.doneWithReceipt(it, store.Completion{At: c.now(), Receipt: res.Receipt}); err != nil {
		return err
	}
	c.log.Info("document sent", "doc", it.Doc, "existed", res.Existed)
	c.emit(DocumentChanged{ID: it.Doc})
	return nil
}

// submitInline sends the packet of document id with its attachments in
// one request, when the hub takes that many bytes so (wire.Hello.MaxInline):
// a small document then costs one request, not one more per file. It
// returns nil and no error when they are to be uploaded instead, also
// when a hub node of an older release refused the form for a packet; the
// clerk then uploads every document's files through cl.
func (c *Clerk) submitInline(ctx context.Context, cl *hubclient.Client, id string, atts []envelope.Attachment, packet []byte) (*wire.Submitted, error) {
	var total int64
	for _, a := range atts {
		total += a.Size
	}
	if total > c.hubMaxInline(ctx, cl) {
		return nil, nil
	}
	files := make([]hubclient.InlineFile, len(atts))
	for i, a := range atts {
		rc, _, err := c.st.OpenAttachment(id, i)
		if err != nil {
			return nil, permanent(err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, a.Size+1))
		rc.Close()
		if err != nil {
			return nil, permanent(err)
		}
		files[i] = hubclient.InlineFile{SHA256: a.SHA256, Data: data}
	}
	res, err := cl.SubmitInline(ctx, packet, files)
	if code := wire.CodeOf(err); code == wire.CodeMalformed || code == wire.CodeBadRequest {
		c.log.Info("the hub did not take the files with the packet; uploading them", "doc", id, "code", code)
		c.mu.Lock()
		if c.inlineOf == cl {
			c.maxInline = 0 // nor will it take the next document's
		}
		c.mu.Unlock()
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	for _, a := range atts {
		c.emit(TransferProgress{ID: id, Done: a.Size, Total: a.Size, Upload: true})
	}
	return res, nil
}

// uploadAndSubmit uploads each attachment of document id, resumably,
// then sends its packet.
func (c *Clerk) uploadAndSubmit(ctx context.Context, cl *hubclient.Client, id string, atts []envelope.Attachment, packet []byte) (*wire.Submitted, error) {
	for i, a := range atts {
		ra := &streamReaderAt{open: func() (io.ReadCloser, error) {
			rc, _, err := c.st.OpenAttachment(id, i)
			return rc, err
		}}
		err := cl.Upload(ctx, a.SHA256, ra, a.Size, c.opts.UploadChunk, func(done, total int64) {
			c.emit(TransferProgress{ID: id, Done: done, Total: total, Upload: true})
		})
		ra.Close()
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", a.SHA256[:12], err)
		}
	}
	res, err := cl.Submit(ctx, packet)
	if err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	return res, nil
}

// hubMaxInline is wire.Hello.MaxInline as the hub behind cl answered it,
// asked once per client; 0 (upload everything) when it cannot be asked.
func (c *Clerk) hubMaxInline(ctx context.Context, cl *hubclient.Client) int64 {
	c.mu.Lock()
	if c.inlineOf == cl {
		defer c.mu.Unlock()
		return c.maxInline
	}
	c.mu.Unlock()
	h, err := cl.Hello(ctx)
	if err != nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxInline, c.inlineOf = h.MaxInline, cl
	return h.MaxInline
}

// lockOrSkip takes mu for a long poll (wait > 0), or only if it is free for
// a one-off pull: Sync called while Run long-polls must not wait for the
// poll to end, and need not, since the poll returns anything new at once.
func lockOrSkip(mu *sync.Mutex, wait time.Duration) bool {
	if wait > 0 {
		mu.Lock()
		return true
	}
	return mu.TryLock()
}

// waitForUpdates runs Run's long poll until ctx ends: one request that
// waits for documents and statuses alike (GET /v1/updates). A hub that
// predates it answers not_found; then the inbox and the statuses are
// long-polled apart, each in a loop of its own, as before.
func (c *Clerk) waitForUpdates(ctx context.Context) {
	var unsupported bool
	c.repeat(ctx, func(ctx context.Context) error {
		err := c.pullUpdates(ctx, c.opts.PollWait)
		if errors.Is(err, errNoUpdates) {
			unsupported = true
			return nil
		}
		return err
	}, func(context.Context) bool { return !unsupported })
	if !unsupported || ctx.Err() != nil {
		return
	}
	c.log.Info("the hub long-polls the inbox and the statuses apart only")
	var statuses sync.WaitGroup
	statuses.Go(func() {
		c.repeat(ctx, func(ctx context.Context) error { return c.pullStatuses(ctx, c.opts.PollWait) }, nil)
	})
	c.repeat(ctx, func(ctx context.Context) error { return c.pullInbox(ctx, c.opts.PollWait) }, nil)
	statuses.Wait()
}

// errNoUpdates says that the hub has no GET /v1/updates.
var errNoUpdates = errors.New("the hub has no combined long poll")

// pullUpdates waits up to wait for documents or statuses, in one request,
// and takes what came: the documents first, then the statuses.
func (c *Clerk) pullUpdates(ctx context.Context, wait time.Duration) error {
	c.pullMu.Lock()
	defer c.pullMu.Unlock()
	c.statMu.Lock()
	defer c.statMu.Unlock()
	cl, err := c.client()
	if err != nil {
		return err
	}
	inboxAfter, err := c.cursor(store.CursorInbox)
	if err != nil {
		return err
	}
	statusesAfter, err := c.cursor(store.CursorStatus)
	if err != nil {
		return err
	}
	u, err := cl.Updates(ctx, inboxAfter, statusesAfter, wait)
	if wire.CodeOf(err) == wire.CodeNotFound {
		c.noteResult(cl, nil) // the hub answered: it is online
		return errNoUpdates
	}
	c.noteResult(cl, err)
	if err != nil {
		return fmt.Errorf("updates: %w", err)
	}
	return errors.Join(c.takeInbox(ctx, cl, inboxAfter, &u.Inbox), c.takeStatuses(ctx, cl, statusesAfter, &u.Statuses))
}

// pullInbox fetches what waits in the inbox, waiting up to wait for
// something to arrive.
func (c *Clerk) pullInbox(ctx context.Context, wait time.Duration) error {
	if !lockOrSkip(&c.pullMu, wait) {
		return nil // Run's long poll is at it already
	}
	defer c.pullMu.Unlock()
	cl, err := c.client()
	if err != nil {
		return err
	}
	after, err := c.cursor(store.CursorInbox)
	if err != nil {
		return err
	}
	in, err := cl.Inbox(ctx, after, wait)
	c.noteResult(cl, err)
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	return c.takeInbox(ctx, cl, after, in)
}

// takeInbox receives the documents of an inbox answer asked from after,
// in order, and moves the inbox cursor past them. The caller holds pullMu.
func (c *Clerk) takeInbox(ctx context.Context, cl *hubclient.Client, after uint64, in *wire.Inbox) error {
	for _, item := range in.Items {
		err := c.receive(ctx, cl, item)
		var (
			ref *refusal
			pe  *permanentError
		)
		if err != nil && !errors.As(err, &ref) && errors.As(err, &pe) {
			// Marked permanent without a cause: a document that breaks
			// the rules all the same.
			ref = &refusal{cause: store.CauseInvalid, err: err}
			err = ref
		}
		switch {
		case err == nil:
		case errors.As(err, &ref):
			// A document this clerk can never take is set aside and
			// refused, and later documents come in.
			if err := c.setAside(item, ref); err != nil {
				return fmt.Errorf("receive %s: %w", item.MessageID, err)
			}
		case wire.CodeOf(err) == wire.CodeWithdrawn:
			// Recalled while it was fetched: the hub lists it no more.
			c.log.Info("incoming document withdrawn by its sender", "doc", item.MessageID, "peer", item.Sender)
		default:
			// The network, the hub or the disk: the cursor stays before
			// the document, and the engine tries again with backoff.
			return fmt.Errorf("receive %s from %s: %w", item.MessageID, item.Sender, err)
		}
	}
	if len(in.Items) == 0 && in.Next > after {
		return c.st.SetCursor(store.CursorInbox, strconv.FormatUint(in.Next, 10))
	}
	return nil
}

func (c *Clerk) cursor(name string) (uint64, error) {
	s, err := c.st.Cursor(name)
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cursor %s: %w", name, err)
	}
	return n, nil
}

// receive verifies, downloads, checks and stores one incoming document
// with its 01 and the acknowledgement queued, in one transaction.
func (c *Clerk) receive(ctx context.Context, cl *hubclient.Client, item wire.InboxItem) error {
	cursor := strconv.FormatUint(item.Cursor, 10)
	if _, err := c.st.Get(item.MessageID); err == nil {
		// Stored before (a retry): never twice. The acknowledgement and
		// a recall's effects were stored with it.
		return c.st.SetCursor(store.CursorInbox, cursor)
	}
	if item.EdXML != nil {
		return c.receiveEdXML(ctx, cl, item)
	}
	// Attachment sizes are checked against this clerk's limit below, for
	// a refusal that says so.
	env, signer, err := envelope.OpenDocument(item.Packet, c.v, math.MaxInt64)
	if err != nil {
		return packetRefusal(err)
	}
	if env.MessageID != item.MessageID || string(signer.Agency) != item.Sender {
		return refuse(store.CauseMismatch, env, errors.New("packet does not match its inbox entry"))
	}
	if held, ok := c.importedCopy(env.Metadata); ok {
		return c.heldDelivered(held, env.Metadata.From.Code, &item, routeNative)
	}
	if err := c.checkLimits(env); err != nil {
		return err
	}
	if err := c.checkTypes(env); err != nil {
		return err
	}
	var blobs []store.Blob
	var reports []*pades.Report
	var parts []string
	for _, a := range env.Attachments {
		part := "in-" + item.MessageID + "-" + a.SHA256 + ".part"
		parts = append(parts, part)
		inline, _ := item.Inlined(a.SHA256)
		b, rep, err := c.fetch(ctx, cl, item.MessageID, a, part, inline)
		if err != nil {
			return attachmentRefusal(env, a, err)
		}
		blobs = append(blobs, b)
		reports = append(reports, rep)
	}
	reportJSON, err := encodeReports(reports)
	if err != nil {
		return err
	}
	now := c.now()
	first := store.StatusEntry{Copy: c.code, Update: document.StatusUpdate{Document: env.Metadata.ID(), From: c.code, Code: document.StatusArrived, Time: now}}
	recalls := c.recallTargets(env, now)
	err = c.st.SaveIncoming(store.NewDocument{
		Packet: item.Packet, Payload: env, Blobs: blobs, Report: reportJSON, Statuses: []store.StatusEntry{first},
		Queue:       []store.OutboxItem{{Kind: store.Ack, Doc: env.MessageID, Message: env.MessageID}},
		InboxCursor: cursor, Recalls: recalls, Now: now,
	})
	switch {
	case err == nil, errors.Is(err, store.ErrExists):
	case errors.Is(err, document.ErrInvalid), errors.Is(err, document.ErrTransition):
		return refuse(store.CauseInvalid, env, fmt.Errorf("save: %w", err))
	default:
		// The disk, not the document: keep it in the inbox and try again.
		return fmt.Errorf("save: %w", err)
	}
	for _, p := range parts {
		c.removeSpool(p)
	}
	c.log.Info("document received", "doc", env.MessageID, "agency", string(env.Metadata.From.Code))
	for _, r := range recalls {
		c.emit(StatusChanged{ID: r.Doc, Agency: c.code, Code: document.StatusRecalled})
	}
	c.emit(DocumentArrived{ID: env.MessageID, Urgency: env.Metadata.Priority, Secrecy: env.Metadata.Secrecy,
		Subject: env.Metadata.Subject, From: env.Metadata.From.Name})
	c.wake()
	return nil
}

// fetch downloads one attachment into the spool file part, resuming from
// what it already holds, or writes there the bytes its inbox item carried
// (inline, nil when none), checks its SHA-256 and its content against its
// type (envelope.CheckFile), verifies a PDF's signatures and stages it in
// the store.
func (c *Clerk) fetch(ctx context.Context, cl *hubclient.Client, id string, a envelope.Attachment, part string, inline []byte) (store.Blob, *pades.Report, error) {
	f, err := c.spoolFile(part)
	if err != nil {
		return store.Blob{}, nil, err
	}
	defer f.Close()
	have := f.Size()
	if inline != nil && have < a.Size {
		// Checked below like a download: a hub that sent other bytes
		// is caught by the digest.
		if err := f.Truncate(); err != nil {
			return store.Blob{}, nil, err
		}
		if _, err := f.Write(inline); err != nil {
			return store.Blob{}, nil, err
		}
		have = f.Size()
	}
	if have > a.Size {
		if err := f.Truncate(); err != nil {
			return store.Blob{}, nil, err
		}
		have = 0
	}
	if have < a.Size {
		pw := &progressWriter{w: f, done: have, total: a.Size, report: func(done, total int64) {
			c.emit(TransferProgress{ID: id, Done: done, Total: total})
		}}
		if _, err := cl.Download(ctx, id, a.SHA256, have, pw); err != nil {
			return store.Blob{}, nil, fmt.Errorf("download: %w", err)
		}
	}
	size := f.Size()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
		return store.Blob{}, nil, err
	}
	if size != a.Size || hex.EncodeToString(h.Sum(nil)) != a.SHA256 {
		f.Truncate()
		return store.Blob{}, nil, errors.New("downloaded attachment does not match its SHA-256; fetching again")
	}
	if err := envelope.CheckFile(a.ContentType, f, size); err != nil {
		return store.Blob{}, nil, permanent(err)
	}
	rep, err := c.verifyAttachment(ctx, a.ContentType, f, size)
	switch {
	case errors.Is(err, pades.ErrBudget):
		// A decompression or object bomb (which a hub should have
		// refused): never stored, never opened on this computer.
		return store.Blob{}, nil, permanent(fmt.Errorf("attachment %q: %w", a.Name, err))
	case err != nil:
		c.log.Warn("attachment is not a readable PDF", "doc", id, "err", err)
		rep = nil
	}
	w, err := c.st.NewAttachment()
	if err != nil {
		return store.Blob{}, nil, err
	}
	if _, err := io.Copy(w, io.NewSectionReader(f, 0, size)); err != nil {
		w.Abort()
		return store.Blob{}, nil, err
	}
	b, err := w.Close()
	return b, rep, err
}

type progressWriter struct {
	w           io.Writer
	done, total int64
	last        int64
	report      func(done, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.done-p.last >= 256<<10 || p.done == p.total {
		p.last = p.done
		p.report(p.done, p.total)
	}
	return n, err
}

// recallTargets returns, for an incoming recall, the sender's 13 on this
// agency's copy of each recalled document it holds, stored with the recall
// in one transaction (which also makes the recall the copy's open recall,
// for AnswerRecall).
func (c *Clerk) recallTargets(p *envelope.Document, at time.Time) []store.RecallTarget {
	m := p.Metadata
	if m.Business.Type != document.BusinessRecall {
		return nil
	}
	var out []store.RecallTarget
	for _, target := range p.Targets {
		td, err := c.st.Get(target)
		if err != nil || td.Box != store.Incoming || td.Payload.Metadata.From.Code != m.From.Code {
			continue // only the issuing agency recalls its documents
		}
		u := document.StatusUpdate{Document: td.Payload.Metadata.ID(), From: m.From.Code, Code: document.StatusRecalled, Reason: m.Business.Reason, Time: at}
		out = append(out, store.RecallTarget{Doc: target, Entry: store.StatusEntry{Copy: c.code, Update: u}})
	}
	return out
}

// pullStatuses fetches statuses about this agency's documents, stores
// them, and only then acknowledges them to the hub.
func (c *Clerk) pullStatuses(ctx context.Context, wait time.Duration) error {
	if !lockOrSkip(&c.statMu, wait) {
		return nil // Run's long poll is at it already
	}
	defer c.statMu.Unlock()
	cl, err := c.client()
	if err != nil {
		return err
	}
	after, err := c.cursor(store.CursorStatus)
	if err != nil {
		return err
	}
	in, err := cl.Statuses(ctx, after, wait)
	c.noteResult(cl, err)
	if err != nil {
		return fmt.Errorf("statuses: %w", err)
	}
	return c.takeStatuses(ctx, cl, after, in)
}

// takeStatuses applies the statuses of an answer asked from after, moves
// the status cursor past them and removes them from the hub's queue. The
// caller holds statMu.
func (c *Clerk) takeStatuses(ctx context.Context, cl *hubclient.Client, after uint64, in *wire.Statuses) error {
	var stored []uint64
	for _, it := range in.Items {
		if err := c.applyStatus(ctx, it); err != nil {
			return fmt.Errorf("status %s on %s: %w", it.Code, it.MessageID, err)
		}
		stored = append(stored, it.Cursor)
	}
	if len(in.Items) == 0 && in.Next > after {
		if err := c.st.SetCursor(store.CursorStatus, strconv.FormatUint(in.Next, 10)); err != nil {
			return err
		}
	}
	if len(stored) > 0 {
		if err := cl.AckStatuses(ctx, stored); err != nil {
			return fmt.Errorf("ack statuses: %w", err)
		}
	}
	return nil
}

func (c *Clerk) applyStatus(ctx context.Context, it wire.StatusItem) error {
	cursor := strconv.FormatUint(it.Cursor, 10)
	skip := func(why string, err error) error {
		if why != "" {
			c.log.Warn("status not stored", "doc", it.MessageID, "peer", it.From, "why", why, "err", err)
		}
		return c.st.SetCursor(store.CursorStatus, cursor)
	}
	doc, err := c.st.Get(it.MessageID)
	if err != nil {
		return skip("unknown document", err)
	}
	var u document.StatusUpdate
	if it.Format == wire.FormatEdXML {
		// A document system's status, as its own signed edXML packet.
		var ref *refusal
		if u, err = c.applyEdXMLStatus(ctx, it, doc); errors.As(err, &ref) {
			return skip("bad edXML status packet", err)
		} else if err != nil {
			return err
		}
	} else if it.Code == string(document.StatusArrived) {
		r, _, err := receipt.Verify(it.Packet, c.v, c.receiptSigner)
		if err != nil || r.Event != receipt.EventDelivered || r.MessageID != it.MessageID || len(r.Recipients) != 1 {
			return skip("bad delivered receipt", err)
		}
		code, err := parseCode(r.Recipients[0])
		if err != nil {
			return skip("bad delivered receipt", err)
		}
		u = document.StatusUpdate{Document: doc.Payload.Metadata.ID(), From: code, Code: document.StatusArrived, Time: r.At}
		if err := c.addReceipt(it.MessageID, it.Packet); err != nil {
			return err
		}
	} else if r, _, err := receipt.Verify(it.Packet, c.v, c.receiptSigner); err == nil && it.Code == string(document.StatusRefused) {
		// A recipient's system refused the document: the hub's receipt
		// carries the 02 and its reason.
		ru, ok := refusedStatus(doc, it, r)
		if !ok {
			return skip("bad refused receipt", nil)
		}
		u = ru
		if err := c.addReceipt(it.MessageID, it.Packet); err != nil {
			return err
		}
	} else {
		s, signer, err := envelope.OpenStatus(it.Packet, c.v)
		if err != nil || s.Regarding != it.MessageID || signer.Agency != s.Update.From {
			return skip("bad status packet", err)
		}
		u = s.Update
	}
	if u.Code == document.StatusRecalled {
		return skip("", nil) // this store records its own recalls
	}
	if doc.Box != store.Outgoing || !slices.ContainsFunc(doc.Payload.Metadata.To, func(r document.Recipient) bool { return r.Code == u.From }) {
		return skip("status from an agency that is not a recipient", nil)
	}
	err = c.st.AddStatus(store.StatusChange{Doc: it.MessageID, Entry: store.StatusEntry{Copy: u.From, Update: u, Packet: statusEvidence(it)}, StatusCursor: cursor})
	if errors.Is(err, document.ErrTransition) || errors.Is(err, store.ErrHistory) {
		return skip("", nil) // already stored
	}
	if err != nil {
		return err
	}
	// The answer to a recall closes or reopens the recalled copy too.
	if doc.Payload.Metadata.Business.Type == document.BusinessRecall && (u.Code == document.StatusAccepted || u.Code == document.StatusRejected) {
		for _, target := range doc.Payload.Targets {
			tu := u
			if err := c.st.AddStatus(store.StatusChange{Doc: target, Entry: store.StatusEntry{Copy: u.From, Update: tu}}); err != nil && !errors.Is(err, document.ErrTransition) {
				c.log.Warn("record recall answer", "doc", target, "err", err)
			}
			c.emit(StatusChanged{ID: target, Agency: u.From, Code: u.Code})
		}
	}
	c.emit(StatusChanged{ID: it.MessageID, Agency: u.From, Code: u.Code})
	c.emit(DocumentChanged{ID: it.MessageID})
	return nil
}

func (c *Clerk) addReceipt(id string, r []byte) error {
	have, err := c.st.Receipts(id)
	if err != nil {
		return err
	}
	for _, h := range have {
		if bytes.Equal(h, r) {
			return nil
		}
	}
	if err := c.st.AddReceipt(id, r); err != nil {
		return err
	}
	c.awaitProof(id)
	return nil
}
