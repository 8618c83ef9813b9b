package main

import (
	"flag"
	"fmt"

	"lienthong/desktop/clerk"
	"lienthong/internal/cli"
)

// settingsView is what settings prints with --json.
type settingsView struct {
	Hub    string        `json:"hub"`
	Poll   string        `json:"poll_hub"` // a long-poll front's address; "" the hub's
	Proxy  string        `json:"proxy"`    // "" the environment's; "none"; a URL, its password masked
	Routes []clerk.Route `json:"routes"`   // how each node is reached now
	// PersonSignature is what issuing does with a main PDF that lacks a
	// valid person signature of the agency: warn, refuse or off.
	PersonSignature clerk.PersonPolicy `json:"person_signature"`
}

var settingsCmd = &cli.Command{
	Name:    "settings",
	Summary: "show or change the hub's address, the long polls', the HTTP proxy to it and the person-signature check",
	Help: `Prints the hub's address, the proxy setting (a password in it masked) and how
each hub node is reached now (directly, or through which proxy: with the
environment's setting, HTTPS_PROXY and NO_PROXY, or without HTTPS_PROXY the
system's proxy settings on Windows), after
changing those given: --hub as init takes it, --poll-hub the address of the
long-poll front the hub's operator gives (lienthong-hub front: the clerk holds
its long polls there, over TCP, and at the hub when it does not answer) or
"none" to hold them at the hub, --proxy an HTTP proxy's URL
(http://[user@]host:port; the user's password is asked without echo, or read
from --proxy-password-file: a password in the URL is refused, as every user of
the computer sees a command line), "none" to reach the hub directly, or "env"
for the environment's (HTTPS_PROXY, NO_PROXY). Through a proxy the clerk speaks
HTTP/2 over TLS in a CONNECT tunnel, never QUIC. --person-signature says what
send (and the app) do when the main PDF lacks a valid signature of a competent
person of this agency: warn (the default: issue it and say so), refuse (take
no number, sign nothing) or off (do not check).`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		f := newStoreFlags(fs, true)
		hub := fs.String("hub", "", "a new hub `host:port`, or its nodes' separated by commas")
		poll := fs.String("poll-hub", "", "the long-poll front's `host:port` (several separated by commas), or none")
		proxy := newProxyFlags(fs, "a new proxy setting: `URL` (http://[user@]host:port), none or env")
		person := fs.String("person-signature", "", "the person-signature check: `policy` warn, refuse or off")
		return func(env *cli.Env, args []string) error {
			if len(args) != 0 {
				return cli.Usagef("settings takes no arguments")
			}
			if *hub != "" {
				if _, err := clerk.ParseHubAddress(*hub); err != nil {
					return cli.Usagef("--hub: %v", err)
				}
			}
			if *poll != "" && *poll != "none" {
				if _, err := clerk.ParseHubAddress(*poll); err != nil {
					return cli.Usagef("--poll-hub: %v", err)
				}
			}
			proxySetting, setProxy, err := proxy.setting(env)
			if err != nil {
				return err
			}
			if *person != "" {
				if _, err := clerk.ParsePersonPolicy(*person); err != nil {
					return cli.Usagef("--person-signature: %v", err)
				}
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
			if *poll != "" {
				addr := *poll
				if addr == "none" {
					addr = ""
				}
				if err := c.SetPollAddress(addr); err != nil {
					return err
				}
			}
			if setProxy {
				if err := c.SetProxy(proxySetting); err != nil {
					return err
				}
			}
			if *person != "" {
				if err := c.SetPersonPolicy(*person); err != nil {
					return err
				}
			}
			routes, err := c.Routes()
			if err != nil {
				return err
			}
			v := settingsView{Hub: c.HubAddress(), Poll: c.PollAddress(), Proxy: c.ProxyShown(), Routes: routes, PersonSignature: c.PersonPolicy()}
			if *f.json {
				return writeJSON(env.Stdout, v)
			}
			shown := v.Proxy
			if shown == "" {
				shown = "(from the environment, else the system's settings)"
			}
			polls := v.Poll
			if polls == "" {
				polls = "(at the hub)"
			}
			fmt.Fprintf(env.Stdout, "hub    %s\npolls  %s\nproxy  %s\n", v.Hub, polls, shown)
			for _, r := range routes {
				via := "direct"
				if r.Proxy != "" {
					via = "via " + r.Proxy
				}
				fmt.Fprintf(env.Stdout, "route  %s %s\n", r.Node, via)
			}
			fmt.Fprintf(env.Stdout, "person_signature  %s\n", v.PersonSignature)
			return nil
		}
	},
}
