package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"

	"lienthong/certs"
	"lienthong/desktop/audit"
	"lienthong/internal/cli"
	"lienthong/shared/hubclient"
)

// trustFlags are the roots and CRL the auditor trusts.
type trustFlags struct{ roots, crl *string }

func newTrustFlags(fs *flag.FlagSet) *trustFlags {
	return &trustFlags{
		roots: fs.String("roots", "", "PEM `file` of the trusted root certificates (required)"),
		crl:   fs.String("crl", "", "CRL `file` (PEM or DER) to check certificates against"),
	}
}

func (t *trustFlags) verifier() (*certs.Verifier, error) {
	if *t.roots == "" {
		return nil, cli.Usagef("--roots is required")
	}
	roots, err := certs.ReadCertificates(*t.roots)
	if err != nil {
		return nil, err
	}
	v, err := certs.NewVerifier(roots)
	if err != nil {
		return nil, err
	}
	if *t.crl != "" {
		data, err := os.ReadFile(*t.crl)
		if err != nil {
			return nil, err
		}
		crls, err := certs.ParseCRLs(data)
		if err != nil {
			return nil, err
		}
		v.SetCRLs(crls...)
	}
	return v, nil
}

// logKeyFlag defines --log-key.
func logKeyFlag(fs *flag.FlagSet) *string {
	return fs.String("log-key", "", "`file` holding the hub's log verifier key (name+hash+key), given by its operator")
}

// readLogKey reads the hub's log verifier key; "" when no file is given.
func readLogKey(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// logFlags name the log the auditor trusts: its key and origin.
type logFlags struct{ key, origin *string }

func newLogFlags(fs *flag.FlagSet) *logFlags {
	return &logFlags{key: logKeyFlag(fs), origin: fs.String("origin", "", "the log's `name` in its checkpoints (required)")}
}

func (l *logFlags) log() (audit.Log, error) {
	if *l.key == "" || *l.origin == "" {
		return audit.Log{}, cli.Usagef("--log-key and --origin are required")
	}
	key, err := readLogKey(*l.key)
	if err != nil {
		return audit.Log{}, err
	}
	return audit.Log{Origin: *l.origin, Key: key}, nil
}

// hubFlags are AUTH: what reaches the hub.
type hubFlags struct {
	*trustFlags
	hub, cert, key, keyPassFile *string
}

func newHubFlags(fs *flag.FlagSet) *hubFlags {
	return &hubFlags{
		trustFlags:  newTrustFlags(fs),
		hub:         fs.String("hub", "", "the hub's `host:port`"),
		cert:        fs.String("cert", "", "PEM `file` of a certificate of the hub's PKI, to connect with"),
		key:         fs.String("key", "", "PEM `file` of its private key"),
		keyPassFile: fs.String("key-passphrase-file", "", "`file` whose first line is the passphrase of an encrypted --key"),
	}
}

func (h *hubFlags) client() (*hubclient.Client, error) {
	if *h.hub == "" || *h.cert == "" || *h.key == "" {
		return nil, cli.Usagef("--hub, --cert, --key and --roots are required to reach the hub")
	}
	v, err := h.verifier()
	if err != nil {
		return nil, err
	}
	var pass []byte
	if *h.keyPassFile != "" {
		b, err := os.ReadFile(*h.keyPassFile)
		if err != nil {
			return nil, err
		}
		pass = bytes.TrimRight(b, "\r\n")
	}
	kp, err := certs.OpenSigner(certs.SignerRef{Cert: *h.cert, Key: *h.key, Passphrase: pass})
	if err != nil {
		return nil, err
	}
	return hubclient.New(*h.hub, kp, v, hubclient.Options{})
}

// hubLog returns the log the auditor trusts and a client of its hub.
func hubLog(l *logFlags, h *hubFlags) (audit.Log, *hubclient.Client, error) {
	lg, err := l.log()
	if err != nil {
		return audit.Log{}, nil, err
	}
	cl, err := h.client()
	if err != nil {
		return audit.Log{}, nil, err
	}
	return lg, cl, nil
}

// auditError gives an error of the audit its exit status: a forked or
// rewritten history is a finding (1), anything else unreadable input (2).
func auditError(err error) error {
	if errors.Is(err, audit.ErrForked) {
		return cli.WithCode(exitInvalid, err)
	}
	return err
}
