package ui

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"sync"

	"fyne.io/fyne/v2/dialog"

	"lienthong/certs"
	"lienthong/certs/token"
	"lienthong/desktop/clerk"
	"lienthong/desktop/i18n"
	"lienthong/desktop/store"
)

// Preference keys of the agency's seal on a token, chosen in Cài đặt
// (names and certificates, not secrets; the PIN is never kept).
const (
	// PrefSeal is the pkcs11: URI of the seal's key; empty: the key in
	// the store signs, as before.
	PrefSeal = "seal"
	// PrefSealCert is the seal's certificate chain (PEM, leaf first), read
	// from the token when it was chosen: the clerk checks the seal names
	// the agency when the store opens, before any PIN is asked.
	PrefSealCert = "seal-cert"
)

// tokenSeal is the agency's seal in a PKCS#11 token, as the clerk's
// Options.Seal. The key is opened at the first signature (Open), the PIN
// asked in the app's dialog, and stays open, logged in, until the app
// closes or the token is pulled out (then the next signature opens it
// again). The store's own key stays the TLS identity, so sync never
// needs the token.
type tokenSeal struct {
	app   *App
	uri   string
	chain []*x509.Certificate

	mu sync.Mutex
	kp *certs.KeyPair // nil until opened
}

var _ certs.Signer = (*tokenSeal)(nil)

// errSealChanged is the failure of a token whose key is no longer the
// one chosen in Cài đặt (another token with the same name, a renewed
// certificate): the clerk reads token.ErrCertMismatch's words.
func errSealChanged(uri string) error {
	return &token.Error{Op: "open seal", Err: token.ErrCertMismatch, Detail: "the token's certificate is not the one chosen in settings: choose the seal again (" + uri + ")"}
}

// sealOptions returns the core's options with the seal chosen in Cài
// đặt, and the seal for Close; the options' own Seal, when the caller
// gave one, wins.
func (a *App) sealOptions() (clerk.Options, *tokenSeal, error) {
	o := a.opts.Clerk
	p := a.fyne.Preferences()
	uri := p.String(PrefSeal)
	if o.Seal != nil || uri == "" {
		return o, nil, nil
	}
	chain, err := certs.ParseCertificatesPEM([]byte(p.String(PrefSealCert)))
	if err == nil && len(chain) == 0 {
		err = errors.New("no certificate")
	}
	if err != nil {
		return o, nil, fmt.Errorf("seal %s: read its certificate from the settings: %w", uri, err)
	}
	s := &tokenSeal{app: a, uri: uri, chain: chain}
	o.Seal = s
	return o, s, nil
}

// Public returns the seal certificate's key.
func (s *tokenSeal) Public() crypto.PublicKey { return s.chain[0].PublicKey }

// Certificates returns the chain chosen in Cài đặt.
func (s *tokenSeal) Certificates() []*x509.Certificate { return s.chain }

// Open opens the key when it is not open, asking the PIN; the app calls
// it before work that signs, so that a cancelled PIN stops the work
// before it takes a number or writes anything.
func (s *tokenSeal) Open(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open(ctx)
}

func (s *tokenSeal) open(ctx context.Context) error {
	if s.kp != nil {
		return nil
	}
	kp, err := s.app.openToken(ctx, s.uri)
	if err != nil {
		return err
	}
	if !kp.Leaf.Equal(s.chain[0]) {
		kp.Key.(io.Closer).Close()
		return errSealChanged(s.uri)
	}
	s.kp = kp
	return nil
}

// Sign signs in the token, opening it first if needed (the PIN dialog
// then shows, and Sign waits for it: never call it on Fyne's goroutine).
func (s *tokenSeal) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.open(s.app.ctx); err != nil {
		return nil, err
	}
	sig, err := s.kp.Sign(nil, digest, opts)
	if errors.Is(err, token.ErrTokenRemoved) {
		s.closeKey() // plugged in again, it is opened (and its PIN asked) anew
	}
	return sig, err
}

// Close closes the key if it is open.
func (s *tokenSeal) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeKey()
}

func (s *tokenSeal) closeKey() {
	if s.kp != nil {
		s.kp.Key.(io.Closer).Close()
		s.kp = nil
	}
}

// openClerk opens the store in home with the core's options and the seal
// chosen in Cài đặt; it runs off Fyne's goroutine. A seal the store
// refuses (its certificate no longer this agency's seal, or unreadable
// in the preferences) does not lock the clerk out: the store opens with
// its own key, which signs as before, and showMain says why
// (sealProblem) until the seal is chosen again.
func (a *App) openClerk(home string, passphrase []byte) (*clerk.Clerk, error) {
	o, seal, err := a.sealOptions()
	if err != nil {
		a.sealProblem = err
	}
	c, err := clerk.Open(home, passphrase, o)
	if err != nil && seal != nil && !errors.Is(err, store.ErrWrongPassphrase) && !errors.Is(err, store.ErrLocked) && !errors.Is(err, clerk.ErrNoStore) {
		if c2, err2 := clerk.Open(home, passphrase, a.opts.Clerk); err2 == nil {
			a.sealProblem, seal, c, err = err, nil, c2, nil
		}
	}
	if err != nil {
		return nil, err
	}
	a.seal = seal
	return c, nil
}

// reportSealProblem tells the clerk, once the main window shows, that
// the seal chosen in Cài đặt could not be used and the store's key signs.
func (a *App) reportSealProblem() {
	if a.sealProblem == nil {
		return
	}
	msg := a.cat.T(i18n.SealUnusable, a.message("open seal", a.sealProblem))
	d := dialog.NewInformation(a.cat.T(i18n.Error), msg, a.win)
	d.SetDismissText(a.cat.T(i18n.Close))
	d.Show()
	if a.Settings != nil {
		a.Settings.Seal.Message.SetText(msg)
	}
}

// openSeal opens the seal's token when the seal is on one (asking the
// PIN), before work that signs; nil otherwise.
func (a *App) openSeal(ctx context.Context) error {
	if a.seal == nil {
		return nil
	}
	return a.seal.Open(ctx)
}
