package main

import (
	"context"
	"crypto"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"

	"lienthong/shared/pades"
	"lienthong/shared/tsa"
)

const timestampUsage = `usage: lienthong-clerk timestamp --tsa URL IN.pdf OUT.pdf

Adds a document timestamp (PAdES B-LTA step, /SubFilter /ETSI.RFC3161)
from an RFC 3161 timestamping service over everything signed so far.

  --tsa URL   RFC 3161 timestamping service
`

func runTimestamp(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("timestamp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tsaURL := fs.String("tsa", "", "")
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return errHelp
			}
			return usagef("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 2 {
		return usagef("want IN.pdf and OUT.pdf, got %d arguments", len(pos))
	}
	if *tsaURL == "" {
		return usagef("--tsa URL is required")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	ts := func(ctx context.Context, digest []byte) ([]byte, error) {
		return tsa.Request(ctx, client, *tsaURL, digest, crypto.SHA256)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := pades.TimestampFile(ctx, pos[0], pos[1], ts, pades.Options{}); err != nil {
		return fmt.Errorf("timestamp %s: %w", pos[0], err)
	}
	return nil
}
