package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"lienthong/certs"
	"lienthong/internal/cli"
)

// passphrase reads a passphrase from file, or asks on the terminal when no
// file is given and one is attached; prompt names what it unlocks.
func passphrase(env *cli.Env, file, prompt string) ([]byte, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		p := []byte(strings.TrimRight(string(data), "\r\n"))
		if len(p) == 0 {
			return nil, fmt.Errorf("passphrase file %s is empty", file)
		}
		return p, nil
	}
	if f, ok := env.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(env.Stderr, "%s: ", prompt)
		p, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.Stderr)
		return p, err
	}
	return nil, nil
}

func openPKI(env *cli.Env, dir, passFile string) (*certs.PKI, error) {
	pass, err := passphrase(env, passFile, "Passphrase of the CA keys")
	if err != nil {
		return nil, err
	}
	p, err := certs.OpenPKI(dir, pass)
	if errors.Is(err, certs.ErrPassphraseNeeded) {
		return nil, cli.Hint(errors.New("the CA key is encrypted"), "give --passphrase-file")
	}
	return p, err
}

// algFlag defines --alg.
func algFlag(fs *flag.FlagSet) *string {
	return fs.String("alg", string(certs.ECDSAP256), "key `algorithm`: ecdsa-p256, ecdsa-p384, rsa-2048 or rsa-3072")
}

func keyAlg(s string) (certs.KeyAlgorithm, error) {
	for _, a := range certs.KeyAlgorithms {
		if string(a) == s {
			return a, nil
		}
	}
	return "", cli.Usagef("unknown key algorithm %q (want one of %v)", s, certs.KeyAlgorithms)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
