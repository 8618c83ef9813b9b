package clerk

import "context"

// PullInbox runs only the receiving step of a sync, so that a test can stop
// a clerk between storing a document and acknowledging it.
func (c *Clerk) PullInbox(ctx context.Context) error { return c.pullInbox(ctx, 0) }

// CheckpointBody exposes checkpointBody to the fuzz test.
var CheckpointBody = checkpointBody
