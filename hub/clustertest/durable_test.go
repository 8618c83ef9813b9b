//go:build linux

package clustertest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// TestNoAcknowledgementOnOneMachine: with both standbys dead, the leader
// alone cannot put a commit on two machines, so the hub must not
// acknowledge a submission: its request goes unanswered (the client gives
// up), the recipient does not see the document, and a retry is not
// answered either (an "already accepted" answer read from the leader's
// commit would be an acknowledgement with one copy). Once a standby is
// back the retry is answered and the recipient gets the document once.
//
// It fails if a commit waiting for the standby is released when the
// client gives up: PostgreSQL, asked to cancel that wait, keeps the
// transaction on the leader alone and shows it to everyone.
func TestNoAcknowledgementOnOneMachine(t *testing.T) {
	healthy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	led := newLedger()
	sender, recipient := newAgency(t, 0, led), newAgency(t, 3, led)
	d, err := compose(ctx, sender, []*agency{recipient}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.retry(ctx, func(ctx context.Context, c *hubclient.Client) error {
		return c.Upload(ctx, d.digest, bytes.NewReader(d.pdf), int64(len(d.pdf)), 16<<10, nil)
	}); err != nil {
		t.Fatal(err)
	}

	leader, _ := settled(t)
	for _, m := range []string{"node1", "node2", "node3"} {
		if m != leader {
			powerCut(t, m)
		}
	}
	// attempt makes one request that a hub node must not answer while the
	// leader is alone.
	const wait = 3 * time.Second
	unanswered := func(what string, fn func(ctx context.Context) error) {
		t.Helper()
		actx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		err := fn(actx)
		var answer *wire.Error
		switch {
		case err == nil:
			t.Fatalf("%s was answered while the leader was alone", what)
		case errors.As(err, &answer) && answer.Code != wire.CodeUnavailable && answer.Code != wire.CodeInternal:
			t.Fatalf("%s: %v", what, err)
		}
		t.Logf("%s while the leader is alone: %v", what, err)
	}
	unanswered("the submission", func(ctx context.Context) error {
		_, err := sender.c.Submit(ctx, d.packet)
		return err
	})
	actx, acancel := context.WithTimeout(ctx, wait)
	in, err := recipient.c.Inbox(actx, 0, 0)
	acancel()
	if err == nil && slices.ContainsFunc(in.Items, func(it wire.InboxItem) bool { return it.MessageID == d.id }) {
		t.Fatal("the recipient sees a document that is on the leader alone")
	}
	unanswered("a retry of the submission", func(ctx context.Context) error {
		_, err := sender.c.Submit(ctx, d.packet)
		return err
	})

	start := time.Now()
	if _, err := script("start", env.cluster); err != nil {
		t.Fatal(err)
	}
	var sub *wire.Submitted
	if err := sender.retry(ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
		sub, err = c.Submit(ctx, d.packet)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("standbys back and the submission answered (existed: %v) %v after they were started again", sub.Existed, time.Since(start).Round(100*time.Millisecond))
	var got int
	for deadline := time.Now().Add(time.Minute); got == 0 && time.Now().Before(deadline); {
		var in *wire.Inbox
		if err := recipient.retry(ctx, func(ctx context.Context, c *hubclient.Client) (err error) {
			in, err = c.Inbox(ctx, 0, time.Second)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, it := range in.Items {
			if it.MessageID == d.id {
				got++
			}
		}
	}
	if got != 1 {
		t.Fatalf("the recipient's inbox lists the document %d times", got)
	}
	if err := recipient.retry(ctx, func(ctx context.Context, c *hubclient.Client) error {
		_, err := c.Ack(ctx, d.id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
