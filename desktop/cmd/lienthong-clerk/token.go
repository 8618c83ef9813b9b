package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sync"

	"lienthong/certs"
	"lienthong/certs/token"
	"lienthong/internal/cli"
)

// tokenFlags name a key in a PKCS#11 token: the agency's seal for the
// commands that open the store, or the signer of sign.
type tokenFlags struct {
	cert    *string
	pinFile *string
}

func newTokenFlags(fs *flag.FlagSet, certFlag string) *tokenFlags {
	t := &tokenFlags{
		pinFile: fs.String("pin-file", "", "`file` whose first line is the token's PIN, for automation (else the terminal asks, without echo); keep it readable by you alone"),
	}
	if certFlag != "" {
		t.cert = fs.String(certFlag, "", "PEM `file` of the token key's certificate and CA chain, when the token holds none")
	} else {
		t.cert = new(string)
	}
	return t
}

// openTokens are the token keys this run opened; run closes them.
var openTokens struct {
	sync.Mutex
	keys []io.Closer
}

func closeTokens() {
	openTokens.Lock()
	defer openTokens.Unlock()
	for _, k := range openTokens.keys {
		k.Close()
	}
	openTokens.keys = nil
}

// open opens the key uri names. The PIN comes from --pin-file, else the
// terminal; it is never a flag's value, an environment variable or in the
// URI (ParseURI refuses pin-value), and is not kept after the login.
// --pin-file exists for tests and unattended signing: whoever can read the
// file and holds the token can sign as the agency, so it belongs on a
// disk only its user reads, and never beside a personal signature's token.
// An environment variable was not chosen: it is inherited by every child
// process and readable in /proc by the same user.
func (t *tokenFlags) open(env *cli.Env, uri string) (*certs.KeyPair, error) {
	var opts token.Options
	if *t.cert != "" {
		chain, err := certs.ReadCertificates(*t.cert)
		if err != nil {
			return nil, fmt.Errorf("read token certificate: %w", err)
		}
		opts.Certificates = chain
	}
	opts.PIN = token.PINFunc(func(label string) ([]byte, error) {
		if *t.pinFile != "" {
			p, err := readSecret(*t.pinFile)
			if err != nil {
				return nil, fmt.Errorf("read PIN: %w", err)
			}
			return p, nil
		}
		return askSecret(env, "PIN", fmt.Sprintf("Mã PIN của thiết bị ký số %q: ", label),
			cli.Hint(errors.New("the token needs its PIN and there is no terminal to ask"), "give --pin-file"))
	})
	kp, err := token.Open(uri, opts)
	if err != nil {
		return nil, explained(env, fmt.Errorf("open %s: %w", uri, err))
	}
	openTokens.Lock()
	if c, ok := kp.Key.(io.Closer); ok {
		openTokens.keys = append(openTokens.keys, c)
	}
	openTokens.Unlock()
	return kp, nil
}
