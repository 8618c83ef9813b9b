package clerk

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"lienthong/certs"
	"lienthong/desktop/store"
	"lienthong/shared/hubclient"
	"lienthong/shared/pades"
)

// What the clerk trusts besides its roots: the hub's receipt identity, by
// name, and the PKI's revocation lists, fetched and cached.
//
// Revocation: the clerk fetches the current CRLs from the hub
// (hubclient.CRLs), and from the CRL distribution point of its own
// certificate when the hub cannot answer; it keeps them in its store with
// the store's other settings and fetches again only once a list is past
// its next update. A list replaces a cached one of the same issuer only
// when its CRL number is not lower, so nobody can roll a revocation back
// by serving an older list. Signatures are then judged by package pades
// at the proven signing time: a signer revoked before it makes the
// document invalid, in the app, lienthong-clerk and lienthong-verify
// alike.
const (
	// SettingReceiptSigner names the hub's receipt-signing identity
	// (certs.MayIssueReceipts); empty is certs.DefaultReceiptSigner.
	SettingReceiptSigner = "receipt_signer"
	settingCRLs          = "crls_pem" // the cached CRLs, PEM
)

// crlRetry is how long after a failed fetch the clerk verifies with the
// cached CRLs before it tries again; crlMinInterval is the least time
// between two fetches, should the hub serve a list already past its next
// update.
const (
	crlRetry       = 5 * time.Minute
	crlMinInterval = 10 * time.Minute
)

// loadTrust reads the receipt identity's name, the foreign roots and
// certificate registrations last synced with the directory, and the
// cached CRLs.
func (c *Clerk) loadTrust() error {
	name, err := c.st.Setting(SettingReceiptSigner)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read the receipt signer: %w", err)
	}
	if name == "" {
		name = certs.DefaultReceiptSigner
	}
	c.receiptSigner = name
	rootsPEM, err := c.st.Setting(settingForeignRoots)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read the foreign roots: %w", err)
	}
	regs, err := c.st.Setting(settingRegistrations)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read the certificate registrations: %w", err)
	}
	if err := c.adoptForeign(rootsPEM, []byte(regs)); err != nil {
		c.log.Warn("foreign roots or registrations unreadable; they come again with the directory", "err", err)
	}
	cached, err := c.st.Setting(settingCRLs)
	if errors.Is(err, store.ErrNotFound) || (err == nil && cached == "") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the cached CRLs: %w", err)
	}
	crls, err := certs.ParseCRLs([]byte(cached))
	if err != nil {
		c.log.Warn("cached CRLs unreadable; fetching them again", "err", err)
		return nil
	}
	c.v.SetCRLs(crls...)
	return nil
}

// ReceiptSigner is the name of the hub's receipt identity the clerk
// accepts receipts from.
func (c *Clerk) ReceiptSigner() string { return c.receiptSigner }

// crlsCurrent reports whether CRLs are cached and none is past its next
// update.
func (c *Clerk) crlsCurrent() bool {
	crls := c.v.CRLs()
	if len(crls) == 0 {
		return false
	}
	now := c.now()
	for _, l := range crls {
		if !l.NextUpdate.IsZero() && !now.Before(l.NextUpdate) {
			return false
		}
	}
	return true
}

// RefreshCRLs fetches the CRLs unless the cached ones are current (or a
// fetch failed less than crlRetry ago, or succeeded less than
// crlMinInterval ago). A failure leaves the cached lists
// in force (a stale list still proves a
// revocation; reports then say that revocation is unknown).
func (c *Clerk) RefreshCRLs(ctx context.Context) error {
	c.crlMu.Lock()
	defer c.crlMu.Unlock()
	now := c.now()
	if c.crlsCurrent() || (!c.crlFailed.IsZero() && now.Sub(c.crlFailed) < crlRetry) ||
		(!c.crlFetched.IsZero() && now.Sub(c.crlFetched) < crlMinInterval) {
		return nil
	}
	fetched, err := c.fetchCRLs(ctx)
	if err != nil {
		c.crlFailed = c.now()
		return fmt.Errorf("fetch CRLs: %w", err)
	}
	c.crlFailed, c.crlFetched = time.Time{}, now
	merged := mergeCRLs(c.v.CRLs(), fetched, now)
	var pemData []byte
	for _, l := range merged {
		pemData = append(pemData, certs.EncodeCRLPEM(l.Raw)...)
	}
	if err := c.st.SetSetting(settingCRLs, string(pemData)); err != nil {
		return fmt.Errorf("cache CRLs: %w", err)
	}
	c.v.SetCRLs(merged...)
	c.log.Info("CRLs fetched", "lists", len(merged))
	return nil
}

// fetchCRLs asks the hub, then the distribution points of the clerk's
// own certificate chain.
func (c *Clerk) fetchCRLs(ctx context.Context) ([]*x509.RevocationList, error) {
	var errs []error
	if cl, err := c.client(); err == nil {
		hctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		crls, err := cl.CRLs(hctx)
		cancel()
		if err == nil && len(crls) > 0 {
			return crls, nil
		}
		if err == nil {
			err = errors.New("no CRL configured")
		}
		errs = append(errs, fmt.Errorf("hub: %w", err))
	} else {
		errs = append(errs, err)
	}
	seen := map[string]bool{}
	for _, cert := range c.kp.Certificates() {
		for _, u := range cert.CRLDistributionPoints {
			if seen[u] {
				continue
			}
			seen[u] = true
			crls, err := c.fetchCDP(ctx, u)
			if err == nil && len(crls) > 0 {
				return crls, nil
			}
			if err == nil {
				err = errors.New("no CRL")
			}
			errs = append(errs, fmt.Errorf("%s: %w", u, err))
		}
	}
	return nil, errors.Join(errs...)
}

// fetchCDP fetches a CRL distribution point: plain HTTP, or HTTPS with the
// clerk's roots and certificate (a hub's CRL endpoint asks for one).
func (c *Clerk) fetchCDP(ctx context.Context, raw string) ([]*x509.RevocationList, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("unsupported distribution point %q", raw)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{
		MinVersion: tls.VersionTLS13, RootCAs: c.v.Roots(), ServerName: u.Hostname(),
		Certificates: []tls.Certificate{c.kp.TLSCertificate()},
	}}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return hubclient.ReadCRLs(resp.Body)
}

// mergeCRLs keeps, per issuer, the list with the highest CRL number of
// the cached and the fetched ones (a fetched one on a tie), and the cached
// lists of issuers the fetch did not cover while they are current.
func mergeCRLs(cached, fetched []*x509.RevocationList, now time.Time) []*x509.RevocationList {
	out := append([]*x509.RevocationList(nil), fetched...)
	for _, old := range cached {
		replaced := false
		for i, l := range out {
			if !bytes.Equal(l.RawIssuer, old.RawIssuer) {
				continue
			}
			replaced = true
			if old.Number != nil && l.Number != nil && old.Number.Cmp(l.Number) > 0 {
				out[i] = old // an older list from the hub does not undo a revocation
			}
		}
		if !replaced && (old.NextUpdate.IsZero() || now.Before(old.NextUpdate)) {
			out = append(out, old)
		}
	}
	return out
}

// verifyPDF verifies a PDF's signatures with the current CRLs, fetching
// them first when the cached ones are past their next update; a failed
// fetch is logged and verification goes on with what is cached.
func (c *Clerk) verifyPDF(ctx context.Context, r io.ReaderAt, size int64) (*pades.Report, error) {
	if err := c.RefreshCRLs(ctx); err != nil {
		c.log.Warn("CRLs not refreshed; verifying with the cached ones", "err", err)
	}
	return c.verifyCached(r, size)
}

// verifyCached verifies a PDF's signatures with the cached CRLs only, for
// what must not wait for the network: the check before issuing, and
// showing a stored document.
func (c *Clerk) verifyCached(r io.ReaderAt, size int64) (*pades.Report, error) {
	return pades.Verify(r, size, pades.VerifyOptions{Trust: c.v, CRLs: c.v.CRLs(), Now: c.now(), SignerPolicy: c.v.MayIssueDocuments})
}
