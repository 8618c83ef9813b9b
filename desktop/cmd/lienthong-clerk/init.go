package main

import (
	"flag"
	"fmt"
	"os"

	"lienthong/certs"
	"lienthong/desktop/clerk"
	"lienthong/internal/cli"
)

var initCmd = &cli.Command{
	Name:    "init",
	Summary: "create the clerk's store: import the .p12, the hub address and the roots",
	Help: `Creates the clerk's encrypted store in --home, imports the agency's key and
certificate from the .p12, and saves the hub's address, the HTTP proxy to it
(when the network lets out nothing else; a proxy's password is asked, or read
from --proxy-password-file, never part of --proxy) and the trusted roots.
The store's own passphrase comes from --passphrase-file, $` + EnvPassphrase + `
or the terminal.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, false)
		p12 := fs.String("p12", "", "PKCS#12 `file` with the agency's key and certificate chain (required)")
		p12Pass := fs.String("p12-passphrase-file", "", "`file` whose first line is the .p12's passphrase (required)")
		hub := fs.String("hub", "", "the hub's `host:port`, or its nodes' separated by commas (required)")
		roots := fs.String("roots", "", "PEM `file` of the trusted root certificates (required)")
		proxy := newProxyFlags(fs, "the HTTP proxy to the hub: `URL` (http://[user@]host:port), or none; default: the environment's (HTTPS_PROXY, NO_PROXY), else the system's settings (Windows)")
		server := fs.String("server-name", "", "`name` the hub's certificate must carry on every node, when not the host of each --hub address")
		receiptSigner := fs.String("receipt-signer", certs.DefaultReceiptSigner, "`name` of the hub's receipt-signing identity (urn:lienthong:receipts:NAME), given by its operator")
		agency := fs.String("agency", "", "the agency `code` a certificate of another CA (Ban Cơ yếu, VNPT-CA, …) is registered for at the hub; not for one of the PKI's, which names it")
		return func(env *cli.Env, args []string) error {
			if len(args) != 0 {
				return cli.Usagef("init takes no arguments")
			}
			if *p12 == "" || *p12Pass == "" || *hub == "" || *roots == "" {
				return cli.Usagef("init needs --p12, --p12-passphrase-file, --hub and --roots")
			}
			if _, err := clerk.ParseHubAddress(*hub); err != nil {
				return cli.Usagef("--hub: %v", err)
			}
			proxySetting, _, err := proxy.setting(env)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(*p12)
			if err != nil {
				return fmt.Errorf("read .p12: %w", err)
			}
			pp, err := readSecret(*p12Pass)
			if err != nil {
				return fmt.Errorf("read .p12 passphrase: %w", err)
			}
			rootsPEM, err := os.ReadFile(*roots)
			if err != nil {
				return fmt.Errorf("read roots: %w", err)
			}
			pass, err := f.passphrase(env)
			if err != nil {
				return err
			}
			err = clerk.Init(clerk.InitOptions{Home: *f.home, Passphrase: pass, P12: data, P12Passphrase: string(pp), HubAddr: *hub, ServerName: *server, Proxy: proxySetting, RootsPEM: rootsPEM, ReceiptSigner: *receiptSigner, Agency: certs.AgencyCode(*agency)})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "store created in %s\n", *f.home)
			return nil
		}
	},
}
