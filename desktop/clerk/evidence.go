package clerk

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"lienthong/shared/auditlog"
	"lienthong/shared/envelope"
	"lienthong/shared/evidence"
	"lienthong/shared/receipt"
)

// ExportEvidence writes the evidence bundle of a document (package
// shared/evidence): its signed packet, attachments, the hub's receipts
// (those stored and those the hub holds), the signed status packets, and for
// every receipt the log entry with its inclusion proof into the hub's
// latest signed checkpoint. It needs the hub for the log; the manifest
// names the log key set with SettingLogKey, if any (auditors bring their
// own).
func (c *Clerk) ExportEvidence(ctx context.Context, id string, w io.Writer) error {
	doc, err := c.st.Get(id)
	if err != nil {
		return fmt.Errorf("evidence %s: %w", id, err)
	}
	b := &evidence.Bundle{Attachments: map[string][]byte{}, Entries: map[int64][]byte{}, Proofs: map[int64]auditlog.InclusionProof{}}
	if b.Packet, err = c.st.Packet(id); err != nil {
		return fmt.Errorf("evidence %s: %w", id, err)
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
	cl, err := c.client()
	if err != nil {
		return fmt.Errorf("evidence %s: %w", id, err)
	}
	stored, err := c.st.Receipts(id)
	if err != nil {
		return fmt.Errorf("evidence %s: %w", id, err)
	}
	fromHub, err := cl.Receipts(ctx, id)
	c.noteResult(cl, err)
	if err != nil && isRetryable(err) {
		return fmt.Errorf("evidence %s: receipts: %w", id, err)
	}
	for _, r := range append(stored, fromHub...) {
		if !containsBytes(b.Receipts, r) {
			b.Receipts = append(b.Receipts, r)
		}
	}
	hist, err := c.st.History(id)
	if err != nil {
		return fmt.Errorf("evidence %s: %w", id, err)
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
	if b.Checkpoint, err = cl.Checkpoint(ctx); err != nil {
		return fmt.Errorf("evidence %s: checkpoint: %w", id, err)
	}
	cp, err := checkpointBody(b.Checkpoint)
	if err != nil {
		return fmt.Errorf("evidence %s: checkpoint: %w", id, err)
	}
	for _, raw := range b.Receipts {
		r, _, err := receipt.Verify(raw, c.v)
		if err != nil || r.LogIndex < 0 || r.LogIndex >= cp.Size {
			continue
		}
		entries, err := cl.LogEntries(ctx, r.LogIndex, r.LogIndex+1)
		if err != nil || len(entries) != 1 {
			return fmt.Errorf("evidence %s: log entry %d: %w", id, r.LogIndex, err)
		}
		proof, err := cl.Inclusion(ctx, r.LogIndex, cp.Size)
		if err != nil {
			return fmt.Errorf("evidence %s: inclusion proof %d: %w", id, r.LogIndex, err)
		}
		b.Entries[r.LogIndex], b.Proofs[r.LogIndex] = entries[0], proof
	}
	key, _ := c.st.Setting(SettingLogKey)
	b.Manifest = evidence.Manifest{Version: 1, MessageID: id, Exported: c.now().UTC(), By: string(c.code), LogOrigin: cp.Origin, LogKey: key}
	if err := b.Write(w); err != nil {
		return fmt.Errorf("evidence %s: %w", id, err)
	}
	return nil
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
