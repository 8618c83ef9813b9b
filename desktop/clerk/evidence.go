package clerk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"lienthong/desktop/store"
	"lienthong/shared/auditlog"
	"lienthong/shared/envelope"
	"lienthong/shared/evidence"
	"lienthong/shared/receipt"
	"lienthong/shared/wire"
)

// ExportEvidence writes the evidence bundle of a document (package
// shared/evidence): its signed packet, attachments, the hub's receipts
// (those stored and those the hub holds), the signed status packets, and for
// every receipt the log entry with its inclusion proof into the hub's
// latest signed checkpoint. It asks the hub for fresh proofs and falls
// back to those kept as receipts came. The manifest names the log's origin
// but no key: auditors bring the hub's log key they trust.
//
// A document that came as edXML carries the sender's edXML packet instead
// (and its detached CMS signature, when it was signed so); one the hub
// delivered as that packet also the reference the hub stored as its
// envelope, whose SHA-256 the receipts and log entries name. One imported
// from a file has no receipts or proofs: the hub never carried it.
func (c *Clerk) ExportEvidence(ctx context.Context, id string, w io.Writer) error {
	doc, err := c.st.Get(id)
	if err != nil {
		return fmt.Errorf("evidence %s: %w", id, err)
	}
	b := &evidence.Bundle{Attachments: map[string][]byte{}, Entries: map[int64][]byte{}, Proofs: map[int64]auditlog.InclusionProof{}}
	packet, err := c.st.Packet(id)
	if err != nil {
		return fmt.Errorf("evidence %s: %w", id, err)
	}
	viaHub := true
	if isEdXML(packet) {
		b.EdXML = packet
		if ch, ok := c.EdXMLCheckOf(id); ok && ch.Method == "cms" {
			b.EdXMLSignature = ch.Signature
		}
		viaHub = hubMessageID(packet) == id
		if viaHub {
			b.EdXMLRef = edxmlReference(packet, b.EdXMLSignature)
		}
	} else {
		b.Packet = packet
	}
	for i := range doc.Payload.Attachments {
		rc, a, err := c.st.OpenAttachment(id, i)
		if err != nil {
			return fmt.Errorf("evidence %s: %w", id, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("evidence %s: attachment %d: %w", id, i, err)
		}
		b.Attachments[a.SHA256] = data
	}
	b.Manifest = evidence.Manifest{Version: 1, MessageID: id, Exported: c.now().UTC(), By: string(c.code)}
	if viaHub {
		if err := c.hubEvidence(ctx, id, b); err != nil {
			return fmt.Errorf("evidence %s: %w", id, err)
		}
	}
	if err := b.Write(w); err != nil {
		return fmt.Errorf("evidence %s: %w", id, err)
	}
	return nil
}

// hubEvidence adds to b the hub's receipts of document id, the log
// entries and proofs, and the signed status packets.
func (c *Clerk) hubEvidence(ctx context.Context, id string, b *evidence.Bundle) error {
	// Fresh proofs from the hub when it answers; otherwise the ones kept
	// when the receipts came (collectProofs), so an export works offline.
	rec, err := c.prove(ctx, id)
	if err != nil {
		kept, kerr := c.keptProofs(id)
		if kerr != nil || kept == nil {
			return fmt.Errorf("the hub's log proofs: %w", err)
		}
		rec = kept
	}
	b.Receipts, b.Checkpoint = rec.Receipts, rec.Checkpoint
	for idx, e := range rec.Entries {
		b.Entries[idx], b.Proofs[idx] = e, rec.Proofs[idx]
	}
	cp, err := checkpointBody(b.Checkpoint)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	b.Manifest.LogOrigin = cp.Origin
	hist, err := c.st.History(id)
	if err != nil {
		return err
	}
	for _, h := range hist {
		for _, e := range h.Entries {
			if len(e.Packet) == 0 {
				continue
			}
			if p, err := envelope.Decode(e.Packet); err == nil {
				if k, err := envelope.Kind(p.Payload); err == nil && k == envelope.KindStatus && !containsBytes(b.Statuses, e.Packet) {
					b.Statuses = append(b.Statuses, e.Packet)
				}
			}
		}
	}
	return nil
}

// edxmlReference is the reference the hub stores as the envelope of a
// message sent as the edXML packet (with its detached CMS signature sig,
// if any): {"edxml":{"sha256":...,"size":...,"signature":...}}, the bytes
// GET /v1/messages/{id} answers, whose SHA-256 the hub's receipts and log
// entries name.
func edxmlReference(packet, sig []byte) []byte {
	sum := sha256.Sum256(packet)
	ref, err := json.Marshal(struct {
		EdXML wire.EdXMLRef `json:"edxml"`
	}{wire.EdXMLRef{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(packet)), Signature: sig}})
	if err != nil {
		panic(err) // strings, a number and bytes always marshal
	}
	return ref
}

// checkpointBody parses a signed checkpoint's text without checking its
// signature (the auditor does, with a key they trust).
func checkpointBody(signed []byte) (auditlog.Checkpoint, error) {
	body, _, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return auditlog.Checkpoint{}, fmt.Errorf("%w: not a signed note", auditlog.ErrMalformed)
	}
	return auditlog.ParseCheckpoint(append(body, '\n'))
}

func containsBytes(list [][]byte, b []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, b) {
			return true
		}
	}
	return false
}

// proofRecord is what the clerk keeps of the hub's log for a document: its
// receipts, and for each the log entry with an inclusion proof into a
// signed checkpoint.
type proofRecord struct {
	Receipts   [][]byte                          `json:"receipts"`
	Checkpoint []byte                            `json:"checkpoint"`
	Entries    map[int64][]byte                  `json:"entries"`
	Proofs     map[int64]auditlog.InclusionProof `json:"proofs"`
	Complete   bool                              `json:"complete"` // every receipt's entry is proven
}

// prove fetches from the hub the document's receipts, the latest signed
// checkpoint and an inclusion proof of every receipt's log entry, and
// keeps them in the store.
func (c *Clerk) prove(ctx context.Context, id string) (*proofRecord, error) {
	cl, err := c.client()
	if err != nil {
		return nil, err
	}
	stored, err := c.st.Receipts(id)
	if err != nil {
		return nil, err
	}
	fromHub, err := cl.Receipts(ctx, id)
	c.noteResult(cl, err)
	if err != nil && isRetryable(err) {
		return nil, fmt.Errorf("receipts: %w", err)
	}
	rec := &proofRecord{Entries: map[int64][]byte{}, Proofs: map[int64]auditlog.InclusionProof{}, Complete: true}
	for _, r := range append(stored, fromHub...) {
		if !containsBytes(rec.Receipts, r) {
			rec.Receipts = append(rec.Receipts, r)
		}
	}
	if rec.Checkpoint, err = cl.Checkpoint(ctx); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	cp, err := checkpointBody(rec.Checkpoint)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	for _, raw := range rec.Receipts {
		r, _, err := receipt.Verify(raw, c.v, c.receiptSigner)
		if err != nil || r.LogIndex < 0 {
			continue
		}
		if r.LogIndex >= cp.Size {
			rec.Complete = false // the next checkpoint will cover it
			continue
		}
		entries, err := cl.LogEntries(ctx, r.LogIndex, r.LogIndex+1)
		if err != nil || len(entries) != 1 {
			return nil, fmt.Errorf("log entry %d: %w", r.LogIndex, err)
		}
		proof, err := cl.Inclusion(ctx, r.LogIndex, cp.Size)
		if err != nil {
			return nil, fmt.Errorf("inclusion proof %d: %w", r.LogIndex, err)
		}
		rec.Entries[r.LogIndex], rec.Proofs[r.LogIndex] = entries[0], proof
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	// Complete proofs end the document's wait, unless a receipt came meanwhile.
	if err := c.st.KeepProofs(id, raw, rec.Complete, len(stored)); err != nil {
		return nil, err
	}
	return rec, nil
}

// keptProofs returns the proofs kept for a document, nil if none.
func (c *Clerk) keptProofs(id string) (*proofRecord, error) {
	raw, err := c.st.Proofs(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec proofRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("kept proofs of %s: %w", id, err)
	}
	return &rec, nil
}

// awaitProof notes that a document got a receipt whose log proof is still
// to be fetched and kept.
func (c *Clerk) awaitProof(id string) {
	if err := c.st.AwaitProofs(id); err != nil {
		c.log.Warn("note a document awaiting log proofs", "doc", id, "err", err)
	}
}

// collectProofs fetches and keeps the log proofs of documents whose
// receipts came since; a document awaits proofs until a signed checkpoint
// covers all its receipts.
func (c *Clerk) collectProofs(ctx context.Context) error {
	pending, err := c.st.AwaitingProofs()
	if err != nil {
		return permanent(err)
	}
	for _, id := range pending {
		if _, err := c.prove(ctx, id); err != nil {
			if isRetryable(err) {
				return fmt.Errorf("log proofs of %s: %w", id, err)
			}
			c.log.Warn("log proofs", "doc", id, "err", err)
		}
	}
	return nil
}
