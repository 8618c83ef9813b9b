package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"lienthong/desktop/clerk"
	"lienthong/internal/cli"
)

var syncCmd = &cli.Command{
	Name:    "sync",
	Summary: "sync with the hub once, or keep syncing with --watch",
	Help: `Pushes the outbox, pulls the inbox and statuses and refreshes the directory,
once; with --watch, keeps syncing (long polls) until interrupted, printing
what arrives on stdout and, on stderr, each failure to sync a document once
(until it goes through) and when it goes through.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, false)
		watch := fs.Bool("watch", false, "keep syncing until interrupted, printing events")
		hub := fs.String("hub", "", "change the hub's address to `host:port`, or its nodes' separated by commas, first (it is kept)")
		return func(env *cli.Env, args []string) error {
			if len(args) != 0 {
				return cli.Usagef("sync takes no arguments")
			}
			if _, err := clerk.ParseHubAddress(*hub); *hub != "" && err != nil {
				return cli.Usagef("--hub: %v", err)
			}
			c, err := f.open(env)
			if err != nil {
				return err
			}
			defer c.Close()
			if *hub != "" {
				if err := c.SetHubAddress(*hub); err != nil {
					return err
				}
			}
			ctx, cancel := signalContext(env)
			defer cancel()
			if *watch {
				events, stop := c.Subscribe()
				w := &watcher{stdout: env.Stdout, stderr: env.Stderr}
				done := make(chan struct{})
				go func() {
					defer close(done)
					for ev := range events {
						w.show(ev)
					}
				}()
				err := c.Run(ctx)
				stop()
				<-done
				return err
			}
			if err := c.Sync(ctx); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "synced; %d waiting to send\n", c.OutboxLen())
			return nil
		}
	},
}

// watcher prints the events of sync --watch: arrivals, statuses and the
// connection on stdout; failures to sync a document on stderr, once per
// streak of failures of that document (the engine retries it on every
// round), and again when it goes through: it arrives, or it changes (sent).
type watcher struct {
	stdout, stderr io.Writer
	failing        map[string]int // document id → failures in a row
}

func (w *watcher) show(ev clerk.Event) {
	switch e := ev.(type) {
	case clerk.DocumentArrived:
		fmt.Fprintf(w.stdout, "arrived %s %s: %s\n", e.ID, e.From, e.Subject)
		w.recovered(e.ID)
	case clerk.StatusChanged:
		fmt.Fprintf(w.stdout, "status %s %s %s\n", e.ID, e.Agency, e.Code)
	case clerk.ConnectionChanged:
		fmt.Fprintf(w.stdout, "online %v %s\n", e.Online, e.Transport)
	case clerk.DocumentChanged:
		w.recovered(e.ID)
	case clerk.DocumentRefused:
		if e.Told {
			fmt.Fprintf(w.stdout, "refusal recorded %s\n", e.ID)
		} else {
			fmt.Fprintf(w.stdout, "refused %s %s: %s\n", e.ID, e.From, e.Cause)
		}
	case clerk.DocumentReturned:
		fmt.Fprintf(w.stderr, "lienthong-clerk: returned %s: %s (not retried: lienthong-clerk resend %s)\n",
			e.ID, strings.Join(strings.Fields(fmt.Sprint(e.Err)), " "), e.ID)
	case clerk.SyncFailed:
		if w.failing == nil {
			w.failing = map[string]int{}
		}
		w.failing[e.ID]++
		if w.failing[e.ID] == 1 {
			fmt.Fprintf(w.stderr, "lienthong-clerk: sync failed: %s: %s (retried on every sync; not shown again while it keeps failing)\n",
				e.ID, strings.Join(strings.Fields(fmt.Sprint(e.Err)), " "))
		}
	}
}

// recovered ends a document's streak of failures, if it had one.
func (w *watcher) recovered(id string) {
	n, ok := w.failing[id]
	if !ok {
		return
	}
	delete(w.failing, id)
	fmt.Fprintf(w.stderr, "lienthong-clerk: sync recovered: %s went through after %d failed attempt(s)\n", id, n)
}
