package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"lienthong/hub/config"
	"lienthong/hub/heapfloor"
	"lienthong/hub/service"
	"lienthong/internal/cli"
)

var serveCmd = &cli.Command{
	Name:    "serve",
	Summary: "run the hub from a configuration file",
	Help:    "Runs the hub until SIGINT or SIGTERM, then lets uploads in flight finish.\nEvery setting, with its safe default, is documented in package lienthong/hub/config.",
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := fs.String("config", "", "configuration `file` (JSON) (required)")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if *path == "" {
				return cli.Usagef("serve: --config is required")
			}
			cfg, err := config.Load(*path)
			if err != nil {
				return err
			}
			return runHub(env, cfg, nil)
		}
	},
}

// runHub opens and runs a hub until SIGINT or SIGTERM; prepare, when set,
// runs on the opened hub first.
func runHub(env *cli.Env, cfg config.Config, prepare func(*service.Hub) error) error {
	log := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: cfg.Level()}))
	if n := cfg.Procs(); n != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
		log.Info("scheduler", "gomaxprocs", n, "spare_procs", cfg.Spare())
	}
	percent, limit, floor := cfg.GC()
	if percent != 0 {
		debug.SetGCPercent(percent)
	}
	if limit != 0 {
		debug.SetMemoryLimit(limit)
	}
	defer heapfloor.Start(floor)()
	log.Info("collector", "gc_percent", percent, "memory_limit_mb", limit>>20, "gc_heap_floor_mb", floor>>20)
	// Signals are caught before the hub opens: its control socket answers
	// from Open on, and a SIGTERM from systemd or an operator who saw it
	// answer then stops the hub the orderly way (Run returns at once on a
	// cancelled context) instead of killing it mid-start.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h, err := service.Open(cfg, log)
	if err != nil {
		return err
	}
	if prepare != nil {
		if err := prepare(h); err != nil {
			h.Close()
			return err
		}
	}
	return h.Run(ctx)
}
