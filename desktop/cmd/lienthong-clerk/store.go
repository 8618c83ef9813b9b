package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"lienthong/certs/token"
	"lienthong/desktop/clerk"
	"lienthong/internal/cli"
)

// EnvPassphrase is where the store's passphrase may come from when no
// --passphrase-file is given.
const EnvPassphrase = "LIENTHONG_PASSPHRASE"

// defaultHome is the store's folder when --home is not given:
// $XDG_DATA_HOME/lienthong when set, else the user's configuration folder
// (os.UserConfigDir) + /lienthong.
func defaultHome() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "lienthong")
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "lienthong")
	}
	return "lienthong"
}

// storeFlags are the flags of every subcommand that opens the store.
type storeFlags struct {
	home     *string
	passFile *string
	json     *bool
	seal     *string
	token    *tokenFlags
}

// newStoreFlags defines --home and --passphrase-file on fs, and --json
// when the command can print JSON.
func newStoreFlags(fs *flag.FlagSet, jsonFlag bool) *storeFlags {
	f := &storeFlags{
		home:     fs.String("home", defaultHome(), "the folder `DIR` of the clerk's store"),
		passFile: fs.String("passphrase-file", "", "`file` whose first line is the store's passphrase (else $"+EnvPassphrase+", else the terminal)"),
		json:     new(bool),
		seal:     fs.String("seal", "", "sign with the agency's seal in a PKCS#11 token, named by a pkcs11: `URI`, instead of the store's key (sync keeps using the store's key)"),
		token:    newTokenFlags(fs, "seal-cert"),
	}
	if jsonFlag {
		f.json = fs.Bool("json", false, "print the result as JSON")
	}
	return f
}

// passphrase comes from --passphrase-file, else $LIENTHONG_PASSPHRASE,
// else the terminal.
func (f *storeFlags) passphrase(env *cli.Env) ([]byte, error) {
	if *f.passFile != "" {
		p, err := readSecret(*f.passFile)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		return p, nil
	}
	if p := env.Getenv(EnvPassphrase); p != "" {
		return []byte(p), nil
	}
	return askSecret(env, "passphrase", "Mật khẩu (passphrase): ",
		cli.Hint(cli.Usagef("no passphrase for the store"), "give --passphrase-file or set "+EnvPassphrase))
}

// open opens the clerk's store in --home.
func (f *storeFlags) open(env *cli.Env) (*clerk.Clerk, error) {
	if !clerk.Exists(*f.home) {
		return nil, cli.Hint(fmt.Errorf("no clerk store in %s", *f.home), "run lienthong-clerk init first, or give --home")
	}
	p, err := f.passphrase(env)
	if err != nil {
		return nil, err
	}
	var opts clerk.Options
	if *f.seal != "" {
		if !token.IsURI(*f.seal) {
			return nil, cli.Usagef("--seal wants a pkcs11: URI, not %q", *f.seal)
		}
		kp, err := f.token.open(env, *f.seal)
		if err != nil {
			return nil, err
		}
		opts.Seal = kp
	}
	c, err := clerk.Open(*f.home, p, opts)
	if errors.Is(err, clerk.ErrSealAgency) {
		return nil, explained(env, err)
	}
	return c, err
}

// signalContext is the command's context, ended by an interrupt too.
func signalContext(env *cli.Env) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(env.Context(), os.Interrupt)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// trySync pushes what an action queued, if the hub answers within a few
// seconds; the action stays queued otherwise.
func trySync(c *clerk.Clerk, stdout io.Writer, quiet bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := c.Sync(ctx); err != nil && !quiet {
		fmt.Fprintf(stdout, "queued: the hub did not answer (%s); run lienthong-clerk sync later\n", strings.Join(strings.Fields(err.Error()), " "))
	}
}

// noSyncFlag defines --no-sync.
func noSyncFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("no-sync", false, "only queue for the hub; the next sync sends it")
}
