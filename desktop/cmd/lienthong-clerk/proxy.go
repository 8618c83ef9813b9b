package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"

	"lienthong/desktop/clerk"
	"lienthong/internal/cli"
)

// proxyFlags are --proxy and --proxy-password-file, of init and settings.
// A proxy's password is never a flag's value: every user of the computer
// sees a command line (ps, /proc). The URL names the user only, and the
// password comes from a file or the terminal, without echo.
type proxyFlags struct {
	url      *string
	passFile *string
}

func newProxyFlags(fs *flag.FlagSet, usage string) *proxyFlags {
	return &proxyFlags{
		url: fs.String("proxy", "", usage),
		passFile: fs.String("proxy-password-file", "", "`file` whose first line is the password of the --proxy URL's user "+
			"(else the terminal asks, without echo); never put the password in the URL"),
	}
}

// errProxyPassword refuses a password in the --proxy URL.
var errProxyPassword = cli.Hint(cli.Usagef("--proxy: a password in the URL would be visible to every user of this computer (ps)"),
	"give the user only, http://USER@host:port, and the password with --proxy-password-file or when asked")

// setting returns the proxy setting to keep (clerk.ParseProxy's form, with
// the password given apart put into the URL), and whether --proxy was
// given at all.
func (p *proxyFlags) setting(env *cli.Env) (string, bool, error) {
	if *p.url == "" {
		if *p.passFile != "" {
			return "", false, cli.Usagef("--proxy-password-file goes with a --proxy URL that names its user")
		}
		return "", false, nil
	}
	s, err := clerk.ParseProxy(*p.url)
	if err != nil {
		return "", false, cli.Usagef("--proxy: %v", err)
	}
	u, err := url.Parse(s)
	if s == "" || s == clerk.ProxyNone || err != nil || u.User == nil {
		if *p.passFile != "" {
			return "", false, cli.Usagef("--proxy-password-file goes with a --proxy URL that names its user")
		}
		return s, true, nil
	}
	if _, has := u.User.Password(); has {
		return "", false, errProxyPassword
	}
	var pass []byte
	if *p.passFile != "" {
		if pass, err = readSecret(*p.passFile); err != nil {
			return "", false, fmt.Errorf("read proxy password: %w", err)
		}
	} else {
		prompt := fmt.Sprintf("Mật khẩu của %s tại proxy %s: ", u.User.Username(), u.Host)
		pass, err = askSecret(env, "proxy password", prompt,
			cli.Hint(errors.New("the proxy's user needs a password and there is no terminal to ask"), "give --proxy-password-file"))
		if err != nil {
			return "", false, err
		}
	}
	u.User = url.UserPassword(u.User.Username(), string(pass))
	clear(pass)
	return u.String(), true, nil
}
