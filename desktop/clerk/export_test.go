package clerk

import (
	"context"
	"errors"

	"lienthong/desktop/store"
	"lienthong/shared/envelope"
)

// PullInbox runs only the receiving step of a sync, so that a test can stop
// a clerk between storing a document and acknowledging it.
func (c *Clerk) PullInbox(ctx context.Context) error { return c.pullInbox(ctx, 0) }

// CheckpointBody exposes checkpointBody to the fuzz test.
var CheckpointBody = checkpointBody

// FetchStaged runs the checks fetch makes of a downloaded attachment on
// data, staged in the spool as if the hub had sent it: a test of what the
// clerk does with a file a hub should have refused.
func (c *Clerk) FetchStaged(ctx context.Context, id string, a envelope.Attachment, data []byte) error {
	part := "in-" + id + "-" + a.SHA256 + ".part"
	f, err := c.spoolFile(part)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	defer c.removeSpool(part)
	_, _, err = c.fetch(ctx, nil, id, a, part, nil)
	return err
}

// IsPermanent reports whether the sync engine gives up retrying err.
func IsPermanent(err error) bool { return !isRetryable(err) }

// EdXMLCause runs the signature and reading checks of an edXML packet
// from the hub (sig: its detached CMS signature, or nil) and returns the
// cause of its refusal, "" when it passes them.
func (c *Clerk) EdXMLCause(ctx context.Context, data, sig []byte) (store.RefusalCause, error) {
	r, err := c.readEdXML(ctx, data, sig, ImportOptions{})
	var ref *refusal
	if errors.As(err, &ref) {
		return ref.cause, nil
	}
	if err != nil {
		return "", err
	}
	r.close()
	return "", nil
}

// FetchInline runs fetch on the bytes an inbox item carried for a (its
// spool empty): a test of what the clerk does with bytes a hub forged.
func (c *Clerk) FetchInline(ctx context.Context, id string, a envelope.Attachment, inline []byte) (store.Blob, error) {
	part := "in-" + id + "-" + a.SHA256 + ".part"
	defer c.removeSpool(part)
	b, _, err := c.fetch(ctx, nil, id, a, part, inline)
	return b, err
}
