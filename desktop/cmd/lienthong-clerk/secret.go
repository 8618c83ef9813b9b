package main

import (
	"bytes"
	"fmt"
	"os"

	"golang.org/x/term"

	"lienthong/internal/cli"
)

// readSecret reads the first line of a file.
func readSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	return b, nil
}

// askSecret asks for a secret (what: "PIN", "passphrase"...) on the
// terminal, showing prompt and reading without echo. Without a terminal it
// returns noTerminal, which should say which flag gives the secret instead.
func askSecret(env *cli.Env, what, prompt string, noTerminal error) ([]byte, error) {
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return nil, noTerminal
	}
	fmt.Fprint(env.Stderr, prompt)
	p, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return p, nil
}
