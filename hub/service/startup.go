package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"lienthong/hub/store"
)

// checkLogKey refuses a hub node whose log key or log origin is not the
// one that signed the checkpoints its shared store keeps: the nodes of
// one hub must sign one log, or its auditors would see two (and take the
// other's checkpoints for forgeries). A store without a checkpoint yet
// takes any key.
func checkLogKey(ctx context.Context, st store.Log, signer note.Signer, origin string) error {
	_, signed, err := st.LatestCheckpoint(ctx)
	if err != nil {
		return fmt.Errorf("read the log's latest checkpoint: %w", err)
	}
	if signed == nil {
		return nil
	}
	// Only the signers' names and key hashes are compared: the store is
	// trusted here, the question is whether this node's key is its log's.
	_, err = note.Open(signed, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return fmt.Errorf("the log's latest checkpoint in the store does not parse: %w", err)
	}
	n := unverified.Note
	var by []string
	mine := false
	for _, sig := range n.UnverifiedSigs {
		by = append(by, fmt.Sprintf("%s (key hash %08x)", sig.Name, sig.Hash))
		mine = mine || sig.Name == signer.Name() && sig.Hash == signer.KeyHash()
	}
	if !mine {
		return fmt.Errorf("log_key: the log's checkpoints in the store are signed by %s, this node's key is %s (key hash %08x): "+
			"every node of a hub signs the log with the same key; copy the log key file of the other nodes", strings.Join(by, ", "), signer.Name(), signer.KeyHash())
	}
	if got, _, _ := strings.Cut(n.Text, "\n"); got != origin {
		return fmt.Errorf("log_origin %q: the log's checkpoints in the store name it %q; every node of a hub uses the same log_origin", origin, got)
	}
	return nil
}
