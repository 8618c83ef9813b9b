package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/service"
	"lienthong/internal/cli"
)

var demoCmd = &cli.Command{
	Name:    "demo",
	Summary: "run a hub for the demo PKI on localhost",
	Help:    "Runs a hub on the demo PKI made by lienthong-certs demo, with the demo\nagencies in its directory, until SIGINT or SIGTERM. With --postgres, several\nsuch hubs on one database are nodes of one hub (make demo-cluster).",
	Setup: func(fs *flag.FlagSet) cli.Run {
		pki := fs.String("pki", "demo/pki", "the folder `DIR` of the demo PKI made by lienthong-certs demo")
		data := fs.String("data", "demo/hub", "the folder `DIR` of the hub's store")
		listen := fs.String("listen", "127.0.0.1:4433", "`address` for agencies")
		ops := fs.String("ops", "127.0.0.1:9433", "`address` for /healthz, /readyz and /metrics")
		pg := fs.String("postgres", "", "keep the store in the PostgreSQL database at `URL` (several hub nodes may share it; --data then holds only the control socket) instead of bbolt in --data")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 0, ""); err != nil {
				return err
			}
			cfg := config.Default()
			cfg.Listen, cfg.OpsListen, cfg.DataDir = *listen, *ops, *data
			if *pg != "" {
				cfg.Store, cfg.PostgresURL = config.StorePostgres, *pg
			}
			cfg.TLSCert, cfg.TLSKey = filepath.Join(*pki, "hub.crt"), filepath.Join(*pki, "hub.key")
			cfg.TSACert, cfg.TSAKey = filepath.Join(*pki, "tsa.crt"), filepath.Join(*pki, "tsa.key")
			cfg.ReceiptCert, cfg.ReceiptKey = filepath.Join(*pki, "receipt.crt"), filepath.Join(*pki, "receipt.key")
			if _, err := os.Stat(cfg.ReceiptCert); err != nil {
				return fmt.Errorf("%s has no receipt identity (receipt.crt): a demo PKI made before receipts had their own certificate; make a new one with lienthong-certs demo", *pki)
			}
			cfg.Roots, cfg.CRLs = filepath.Join(*pki, "ca.crt"), []string{filepath.Join(*pki, "ca.crl")}
			if _, err := os.Stat(filepath.Join(*pki, "log.key")); err == nil {
				cfg.LogKey, cfg.LogOrigin = filepath.Join(*pki, "log.key"), "localhost/log"
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runHub(env, cfg, func(h *service.Hub) error {
				for _, a := range certs.DemoAgencies {
					if _, err := upsert(h.Store(), a.Code, a.Name, true, "", time.Now()); err != nil {
						return err
					}
				}
				return nil
			})
		}
	},
}
