package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"lienthong/certs"
	"lienthong/hub/store"
	"lienthong/hub/store/internal/record"
	"lienthong/shared/auditlog"
	"lienthong/shared/document"
)

// Accept implements store.Messages.
func (s *Store) Accept(ctx context.Context, sub *store.Submission, seal store.Seal) (store.AcceptResult, bool, error) {
	if err := sub.Validate(); err != nil {
		return store.AcceptResult{}, false, fmt.Errorf("accept: %w", err)
	}
	var (
		res     store.AcceptResult
		existed bool
		chk     acceptChecks
	)
	err := s.logUpdateAfter(ctx, chk.prefetch(sub), func(ctx context.Context, tx *logTx) (err error) {
		res, existed, err = acceptTx(ctx, tx, sub, seal, &chk)
		return err
	})
	if err != nil {
		return store.AcceptResult{}, false, fmt.Errorf("accept %s: %w", sub.MessageID, err)
	}
	return res, existed, nil
}

// acceptChecks are the first round trip of an acceptance: whether the
// message exists, its attachments' records and the sender's grants (blobs
// may be collected: they are checked here, in the serializable
// transaction), and for a new message its numbers in its sender's list
// and its recipients' queues. (A refusal after rolls the numbers back with
// the rest.) The inline attachments are stored first, as their sender's
// uploads, in the same round trip, so that the check finds them; a
// refusal rolls them back too.
type acceptChecks struct {
	found bool
	m     record.Message
	blobs map[string]*blobRecord
	gone  []store.InlineBlob
	seqs  []uint64
}

// acceptKeys are what an acceptance's checks read that another operation
// may write (prefetch): the message, its attachments and its targets.
func acceptKeys(sub *store.Submission) []string {
	keys := append([]string{"message/" + sub.MessageID}, sub.BlobDigests...)
	for _, t := range sub.Targets {
		keys = append(keys, "message/"+t)
	}
	return keys
}

// prefetch is the acceptance's first round trip, read into c.
func (c *acceptChecks) prefetch(sub *store.Submission) *prefetch {
	names := counterNames(sub)
	return &prefetch{
		keys:   acceptKeys(sub),
		writes: true, // the inline attachments
		queue:  func(b *pgx.Batch) { c.queue(b, sub, names) },
		read:   func(br pgx.BatchResults) error { return c.read(br, sub, names) },
	}
}

func (c *acceptChecks) queue(b *pgx.Batch, sub *store.Submission, names []string) {
	for _, ib := range sub.Inline {
		queueInline(b, sub, ib)
	}
	b.Queue(`SELECT rec FROM messages WHERE id = $1`, sub.MessageID)
	queueBlobChecks(b, sub)
	queueNextAll(b, names, sub.MessageID)
}

func (c *acceptChecks) read(br pgx.BatchResults, sub *store.Submission, names []string) (err error) {
	*c = acceptChecks{}
	for range 2 * len(sub.Inline) {
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	if c.found, err = scanRec(br.QueryRow(), &c.m); err != nil || c.found {
		return err
	}
	if c.blobs, c.gone, err = checkBlobs(br, sub); err != nil {
		return err
	}
	c.seqs, err = readNextAll(br, names)
	return err
}

// acceptTx accepts sub in tx, once its checks are read (chk).
func acceptTx(ctx context.Context, tx *logTx, sub *store.Submission, seal store.Seal, chk *acceptChecks) (res store.AcceptResult, existed bool, err error) {
	if chk.found {
		if chk.m.EnvSHA256 != sub.EnvelopeSHA256 {
			return res, false, fmt.Errorf("message id %s already names envelope %s: %w", sub.MessageID, chk.m.EnvSHA256, store.ErrConflict)
		}
		return chk.m.Result(), true, nil
	}
	blobs, gone, seqs := chk.blobs, chk.gone, chk.seqs
	targets := make([]*record.Message, len(sub.Targets))
	for i, id := range sub.Targets {
		if targets[i], err = getMessage(ctx, tx, id); err != nil {
			return res, false, fmt.Errorf("target: %w", err)
		}
		if targets[i].Sender != sub.Sender {
			return res, false, fmt.Errorf("target %s was sent by another agency: %w", id, store.ErrForbidden)
		}
	}
	// Bytes the retention policy removed come back with the submission.
	for _, ib := range gone {
		info := store.BlobInfo{Digest: ib.Digest, Size: int64(len(ib.Data)), Present: true}
		if err := putPieceTx(ctx, tx, sub.Sender, info, ib.Data, sub.Received); err != nil {
			return res, false, err
		}
		blobs = nil // read again
	}
	rec := record.Message{
		ID: sub.MessageID, Sender: sub.Sender, Recipients: sub.Recipients, EnvSHA256: sub.EnvelopeSHA256,
		Blobs: sub.BlobDigests, DocumentID: sub.DocumentID, Kind: sub.Kind, Targets: sub.Targets,
		Received: sub.Received, Due: sub.DueDate,
	}
	if sub.Kind == document.BusinessRecall {
		for _, t := range targets {
			rc, err := withdraw(ctx, tx, t, sub.MessageID, sub.Received)
			if err != nil {
				return res, false, err
			}
			rec.Recalls = append(rec.Recalls, rc)
		}
	}
	if sub.Kind == document.BusinessRecall {
		blobs = nil // withdraw may have changed them: read again
	}
	// The entry first, so that the message's row is written once, with
	// its log index.
	rec.LogIndex, err = appendLog(ctx, tx, &auditlog.Entry{
		Kind: auditlog.KindAccepted, At: sub.Received, MessageID: sub.MessageID, EnvelopeSHA256: sub.EnvelopeSHA256,
		Business: sub.Kind.String(), Targets: sub.Targets, Sender: string(sub.Sender), Recipients: store.CodeStrings(sub.Recipients), Due: sub.DueDate,
	})
	if err != nil {
		return res, false, err
	}
	if err := acceptWrites(ctx, tx, sub, &rec, seqs); err != nil {
		return res, false, err
	}
	if err := referenceBlobsTx(ctx, tx, sub, blobs); err != nil {
		return res, false, err
	}
	if _, err := sealTx(ctx, tx, seal, sub.MessageID, rec.LogIndex); err != nil {
		return res, false, err
	}
	return rec.Result(), false, nil
}

// counterNames are the counters that number a new message: its sender's
// list, then each recipient's queue.
func counterNames(sub *store.Submission) []string {
	names := []string{"sent/" + string(sub.Sender)}
	for _, r := range sub.Recipients {
		names = append(names, "queue/"+string(r))
	}
	return names
}

// acceptWrites stores a new message, numbered seqs (counterNames), its
// deliveries and statistics.
func acceptWrites(ctx context.Context, tx dbtx, sub *store.Submission, rec *record.Message, seqs []uint64) error {
	rec.Seq = seqs[0]
	pending := 0
	if len(sub.BlobDigests) > 0 {
		pending = len(sub.Recipients)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO messages (id, sender, seq, doc_id, rec, envelope, report, pending)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		sub.MessageID, string(sub.Sender), int64(rec.Seq), sub.DocumentID, encode(rec), sub.Envelope, sub.Report, pending); err != nil {
		return err
	}
	for i, r := range sub.Recipients {
		cur := seqs[1+i]
		d := record.Delivery{Recipient: r, MessageID: sub.MessageID, Sender: sub.Sender, Cursor: cur,
			EnvSHA256: sub.EnvelopeSHA256, Kind: sub.Kind, State: store.Pending}
		if _, err := tx.Exec(ctx, `INSERT INTO deliveries (msg, recipient, cursor, state, rec) VALUES ($1, $2, $3, $4, $5)`,
			sub.MessageID, string(r), int64(cur), int(store.Pending), encode(&d)); err != nil {
			return err
		}
		if err := bumpStats(ctx, tx, r, "received"); err != nil {
			return err
		}
		if err := notify(ctx, tx, r); err != nil {
			return err
		}
	}
	return bumpStats(ctx, tx, sub.Sender, "sent")
}

// withdraw applies a recall to one target: every pending delivery is
// withdrawn and leaves its queue, and its recipient loses the grants of
// the target's attachments it held through the target; acknowledged ones
// are reported, refused ones left as they are. The target is then
// settled, at at, if this recall ended its last pending delivery.
func withdraw(ctx context.Context, tx dbtx, target *record.Message, recallID string, at time.Time) (record.Recall, error) {
	rc := record.Recall{Target: target.ID}
	newly := 0
	for _, r := range target.Recipients {
		d, _, err := getDelivery(ctx, tx, r, target.ID)
		if err != nil {
			return rc, err
		}
		switch d.State {
		case store.Acked:
			rc.AlreadyAcked = append(rc.AlreadyAcked, r)
			continue
		case store.Withdrawn:
			rc.Withdrawn = append(rc.Withdrawn, r)
			continue
		case store.Refused:
			continue // it never had the document: nothing to withdraw
		}
		d.State, d.WithdrawnBy, d.LeaseToken, d.LeaseExpiry = store.Withdrawn, recallID, "", time.Time{}
		if err := putDelivery(ctx, tx, &d); err != nil {
			return rc, err
		}
		if err := bumpStats(ctx, tx, r, "withdrawn"); err != nil {
			return rc, err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM blob_grants WHERE digest = ANY($1) AND agency = $2 AND via = $3`,
			target.Blobs, string(r), target.ID); err != nil {
			return rc, err
		}
		rc.Withdrawn = append(rc.Withdrawn, r)
		newly++
	}
	if newly > 0 {
		return rc, deliveredTx(ctx, tx, target, newly, at)
	}
	return rc, nil
}

// Message implements store.Messages.
func (s *Store) Message(ctx context.Context, id string) (store.Message, error) {
	var msg store.Message
	err := s.read(ctx, func(tx dbtx) error {
		var raw, env, report []byte
		err := tx.QueryRow(ctx, `SELECT rec, envelope, report FROM messages WHERE id = $1`, id).Scan(&raw, &env, &report)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("message %s: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		var m record.Message
		if err := decodeRec(raw, &m); err != nil {
			return err
		}
		msg = domainMessage(&m, env, report)
		return nil
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("get message: %w", err)
	}
	return msg, nil
}

// domainMessage is the stored message m with its envelope and report.
func domainMessage(m *record.Message, env, report []byte) store.Message {
	return store.Message{Seq: m.Seq, LogIndex: m.LogIndex, Submission: store.Submission{
		MessageID: m.ID, Sender: m.Sender, Recipients: m.Recipients, EnvelopeSHA256: m.EnvSHA256,
		BlobDigests: m.Blobs, DocumentID: m.DocumentID, Kind: m.Kind, Targets: m.Targets, Received: m.Received,
		DueDate: m.Due, Envelope: env, Report: report,
	}}
}

// MessageParty implements store.Messages: the message's record and
// agency's delivery in one statement.
func (s *Store) MessageParty(ctx context.Context, id string, agency certs.AgencyCode) (store.Message, *store.Delivery, error) {
	var (
		msg store.Message
		del *store.Delivery
	)
	err := s.read(ctx, func(q dbtx) error {
		del = nil
		var raw, drec []byte
		err := q.QueryRow(ctx, `SELECT m.rec, d.rec FROM messages m
			LEFT JOIN deliveries d ON d.msg = m.id AND d.recipient = $2 WHERE m.id = $1`, id, string(agency)).Scan(&raw, &drec)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("message %s: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		var m record.Message
		if err := decodeRec(raw, &m); err != nil {
			return err
		}
		msg = domainMessage(&m, nil, nil)
		if drec != nil {
			var d record.Delivery
			if err := decodeRec(drec, &d); err != nil {
				return err
			}
			dd := d.Domain()
			del = &dd
		}
		return nil
	})
	if err != nil {
		return store.Message{}, nil, fmt.Errorf("get message for %s: %w", agency, err)
	}
	return msg, del, nil
}

// MessagesByDocumentID lists the ids of messages that carry a DocumentID,
// for the duplicate warning of ND30.
func (s *Store) MessagesByDocumentID(ctx context.Context, docID string) ([]string, error) {
	var ids []string
	err := s.view(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id FROM messages WHERE doc_id = $1 AND doc_id <> '' ORDER BY id COLLATE "C"`, docID)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("messages by document id: %w", err)
	}
	return ids, nil
}

// Sent implements store.Messages.
func (s *Store) Sent(ctx context.Context, sender certs.AgencyCode, after uint64, limit int) ([]store.SentRecord, error) {
	var out []store.SentRecord
	err := s.view(ctx, func(tx pgx.Tx) error {
		return forRecs(ctx, tx, func(m *record.Message) error {
			out = append(out, store.SentRecord{Cursor: m.Seq, MessageID: m.ID, Recipients: m.Recipients, Kind: m.Kind, Received: m.Received})
			return nil
		}, `SELECT rec FROM messages WHERE sender = $1 AND seq > $2 ORDER BY seq LIMIT $3`, string(sender), int64(after), max(limit, 0))
	})
	if err != nil {
		return nil, fmt.Errorf("list sent of %s: %w", sender, err)
	}
	return out, nil
}

// Deliveries implements store.Messages.
func (s *Store) Deliveries(ctx context.Context, id string) ([]store.Delivery, error) {
	var out []store.Delivery
	// The message and its deliveries in one statement, one snapshot.
	err := s.read(ctx, func(q dbtx) error {
		var (
			raw  []byte
			recs [][]byte
		)
		err := q.QueryRow(ctx, `SELECT m.rec, ARRAY(SELECT d.rec FROM deliveries d WHERE d.msg = m.id)
			FROM messages m WHERE m.id = $1`, id).Scan(&raw, &recs)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("message %s: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		var m record.Message
		if err := decodeRec(raw, &m); err != nil {
			return err
		}
		byRecipient := make(map[certs.AgencyCode]record.Delivery, len(recs))
		for _, r := range recs {
			var d record.Delivery
			if err := decodeRec(r, &d); err != nil {
				return err
			}
			byRecipient[d.Recipient] = d
		}
		for _, r := range m.Recipients {
			d := byRecipient[r]
			out = append(out, d.Domain())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}
