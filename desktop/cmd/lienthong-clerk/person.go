package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"lienthong/certs"
	"lienthong/certs/token"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/internal/cli"
)

// personFlags are send's flags for the competent person's signature made
// at the clerk's desk, before the seal.
type personFlags struct {
	key, cert, passFile, image, rect *string
	page                             *int
	token                            *tokenFlags
}

func newPersonFlags(fs *flag.FlagSet) *personFlags {
	p := &personFlags{
		key:      fs.String("person-key", "", "sign the main PDF first as the competent person: PEM key `file`, or a pkcs11: URI naming the person's key in a token"),
		cert:     fs.String("person-cert", "", "PEM `file` of the person's certificate and CA chain (required with a key file; a token's own when omitted)"),
		passFile: fs.String("person-passphrase-file", "", "`file` whose first line is the passphrase of an encrypted --person-key"),
		image:    fs.String("person-image", "", "the person's signature `PNG`, drawn where --person-rect says"),
		rect:     fs.String("person-rect", "", "where the person's signature image goes, `x1,y1,x2,y2` in points from the bottom left"),
		page:     fs.Int("person-page", 1, "`page` that carries the person's signature image"),
	}
	p.token = &tokenFlags{cert: p.cert,
		pinFile: fs.String("person-pin-file", "", "`file` whose first line is the PIN of the person's token, for automation (else the terminal asks)")}
	return p
}

func (p *personFlags) given() bool { return *p.key != "" }

// check refuses flags that make no sense together, before the store is
// opened.
func (p *personFlags) check() error {
	if !p.given() {
		if *p.cert != "" || *p.passFile != "" || *p.image != "" || *p.rect != "" || *p.token.pinFile != "" {
			return cli.Usagef("the --person-* flags need --person-key")
		}
		return nil
	}
	if (*p.image == "") != (*p.rect == "") {
		return cli.Usagef("--person-image and --person-rect go together")
	}
	if *p.page < 1 {
		return cli.Usagef("--person-page must be 1 or more")
	}
	if token.IsURI(*p.key) {
		if *p.passFile != "" {
			return cli.Usagef("a key in a token takes no --person-passphrase-file (its PIN is asked, or read from --person-pin-file)")
		}
	} else if *p.cert == "" {
		return cli.Usagef("--person-key FILE needs --person-cert")
	}
	return nil
}

// sign has the person sign main into a temporary copy of the same name
// (the name is what the document's file is sent under) and returns its
// path and what removes it.
func (p *personFlags) sign(ctx context.Context, env *cli.Env, c *clerk.Clerk, main string) (string, func(), error) {
	var kp *certs.KeyPair
	var err error
	if token.IsURI(*p.key) {
		kp, err = p.token.open(env, *p.key)
	} else {
		kp, err = loadSigner(*p.cert, *p.key, "", *p.passFile)
	}
	if err != nil {
		return "", nil, err
	}
	var st clerk.PersonStamp
	if *p.image != "" {
		if st.Rect, err = parseRect(*p.rect); err != nil {
			return "", nil, err
		}
		if st.ImagePNG, err = os.ReadFile(*p.image); err != nil {
			return "", nil, fmt.Errorf("read the person's signature image: %w", err)
		}
		st.Page = *p.page
	}
	dir, err := os.MkdirTemp("", "lienthong-person-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	out := filepath.Join(dir, filepath.Base(main))
	if err := c.SignAsPerson(ctx, main, out, kp, st); err != nil {
		cleanup()
		if errors.Is(err, clerk.ErrNotOurPerson) || errors.As(err, new(*token.Error)) {
			return "", nil, explained(env, err)
		}
		return "", nil, err
	}
	return out, cleanup, nil
}

// printPersonWarnings prints, on stderr, the warnings of an issue whose
// main PDF lacks a valid person signature (the setting is warn).
func printPersonWarnings(env *cli.Env, events <-chan clerk.Event) {
	cat := i18n.New(i18n.FromLocale(env.Getenv))
	for ev := range events {
		if w, ok := ev.(clerk.PersonSignatureWarning); ok {
			fmt.Fprintln(env.Stderr, cat.T(i18n.WarnPersonSignature, w.Check.Message(cat)))
		}
	}
}
