package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"lienthong/hub/config"
	"lienthong/hub/service"
	"lienthong/internal/cli"
)

var frontCmd = &cli.Command{
	Name:    "front",
	Summary: "hold agencies' long polls beside a running hub",
	Help: "Runs the long-poll front (package lienthong/hub/front) on front_listen until SIGINT or SIGTERM.\n" +
		"It runs on the hub's machine, as the hub's system user, with the hub's configuration file: it asks\n" +
		"the hub on the control socket in data_dir, so that the hub's heap does not grow with idle agencies.",
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := fs.String("config", "", "the hub's configuration `file` (JSON) (required)")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			if *path == "" {
				return cli.Usagef("front: --config is required")
			}
			cfg, err := config.Load(*path)
			if err != nil {
				return err
			}
			log := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: cfg.Level()}))
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			f, err := service.OpenFront(cfg, log)
			if err != nil {
				return err
			}
			return f.Run(ctx)
		}
	},
}
