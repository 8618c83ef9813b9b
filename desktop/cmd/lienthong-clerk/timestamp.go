package main

import (
	"context"
	"crypto"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"time"

	"lienthong/internal/cli"
	"lienthong/shared/pades"
	"lienthong/shared/tsa"
)

var timestampCmd = &cli.Command{
	Name:    "timestamp",
	Args:    "IN.pdf OUT.pdf",
	Summary: "add a document timestamp to a signed PDF (B-LTA step)",
	Help: `Adds a document timestamp (PAdES B-LTA step, /SubFilter /ETSI.RFC3161)
from an RFC 3161 timestamping service over everything signed so far.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		tsaURL := fs.String("tsa", "", "RFC 3161 timestamping service `URL` (required)")
		return func(env *cli.Env, pos []string) error {
			return timestamp(*tsaURL, pos)
		}
	},
}

func timestamp(tsaURL string, pos []string) error {
	if len(pos) != 2 {
		return cli.Usagef("want IN.pdf and OUT.pdf, got %d arguments", len(pos))
	}
	if tsaURL == "" {
		return cli.Usagef("--tsa URL is required")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	ts := func(ctx context.Context, digest []byte) ([]byte, error) {
		return tsa.Request(ctx, client, tsaURL, digest, crypto.SHA256)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := pades.TimestampFile(ctx, pos[0], pos[1], ts, pades.Options{}); err != nil {
		return fmt.Errorf("timestamp %s: %w", pos[0], err)
	}
	return nil
}
