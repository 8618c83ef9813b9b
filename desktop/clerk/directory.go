package clerk

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lienthong/certs"
	"lienthong/desktop/store"
	"lienthong/shared/wire"
)

// Certificates of other CAs (Ban Cơ yếu, licensed public CAs): the clerk
// takes the roots the hub trusts for agency and person certificates
// (wire.Directory.ForeignRoots) and each agency's registered certificates
// from the hub's directory, and its Verifier decides who signed what with
// them exactly as the hub does (certs.Identify). Both come from the hub
// the clerk authenticated (its certificate chains to the PKI's own root,
// pinned at init; a foreign root is never trusted for a hub), over the
// channel that brings the directory itself: a root is adopted because
// that hub serves it, never because a document or a peer carries it.
// Both are kept in the store with the settings, so that verification
// works offline with what was last synced.
const (
	settingForeignRoots  = "foreign_roots_pem"  // PEM
	settingRegistrations = "cert_registrations" // JSON: []wire.Agency with code and certificates only
)

// directoryInterval is how often the engine refreshes the cached directory
// (the national list changes rarely, and is large).
const directoryInterval = time.Hour

// refreshDirectoryEvery refreshes the directory if this process has not
// done so within interval.
func (c *Clerk) refreshDirectoryEvery(ctx context.Context, interval time.Duration) error {
	c.mu.Lock()
	due := c.dirRefreshed.IsZero() || time.Since(c.dirRefreshed) > interval
	c.mu.Unlock()
	if !due {
		return nil
	}
	if err := c.refreshDirectory(ctx); err != nil {
		return err
	}
	c.mu.Lock()
	c.dirRefreshed = time.Now()
	c.mu.Unlock()
	return nil
}

// refreshDirectory replaces the cached agency directory with the hub's.
func (c *Clerk) refreshDirectory(ctx context.Context) error {
	cl, err := c.client()
	if err != nil {
		return err
	}
	d, err := cl.Directory(ctx)
	c.noteResult(cl, err)
	if err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	out := make([]store.Agency, 0, len(d.Agencies))
	for _, a := range d.Agencies {
		code, err := parseCode(a.Code)
		if err != nil {
			continue
		}
		parent, _ := parseCode(a.Parent)
		successor, _ := parseCode(a.SupersededBy)
		out = append(out, store.Agency{Code: code, Name: a.Name, Parent: parent, Level: a.Level, Active: a.Active,
			SupersededBy: successor, ClosedOn: a.ClosedOn})
	}
	var regs []wire.Agency
	for _, a := range d.Agencies {
		if len(a.Certificates) > 0 {
			regs = append(regs, wire.Agency{Code: a.Code, Certificates: a.Certificates})
		}
	}
	regsJSON, err := json.Marshal(regs)
	if err != nil {
		return err
	}
	if err := c.adoptForeign(d.ForeignRoots, regsJSON); err != nil {
		return fmt.Errorf("directory: %w", err)
	}
	if err := errors.Join(c.st.SetSetting(settingForeignRoots, d.ForeignRoots), c.st.SetSetting(settingRegistrations, string(regsJSON))); err != nil {
		return fmt.Errorf("directory: keep the registrations: %w", err)
	}
	return c.st.ReplaceDirectory(out)
}

// adoptForeign gives the clerk's Verifier the foreign roots (PEM) and the
// registrations (JSON, as settingRegistrations keeps them). A malformed
// registration is skipped and logged; malformed roots refuse the lot.
func (c *Clerk) adoptForeign(rootsPEM string, regsJSON []byte) error {
	var roots []*x509.Certificate
	if rootsPEM != "" {
		var err error
		if roots, err = certs.ParseCertificatesPEM([]byte(rootsPEM)); err != nil {
			return fmt.Errorf("foreign roots: %w", err)
		}
	}
	var agencies []wire.Agency
	if len(regsJSON) > 0 {
		if err := json.Unmarshal(regsJSON, &agencies); err != nil {
			return fmt.Errorf("certificate registrations: %w", err)
		}
	}
	regs := certs.Registrations{}
	for _, a := range agencies {
		code, err := parseCode(a.Code)
		if err != nil {
			continue
		}
		for _, wc := range a.Certificates {
			fp, err := certs.ParseFingerprint(wc.SHA256)
			r := certs.Registration{SHA256: fp, Role: certs.Role(wc.Role), Person: wc.Person}
			if err == nil {
				err = r.Check()
			}
			if err == nil {
				err = regs.Add(code, r)
			}
			if err != nil {
				c.log.Warn("certificate registration skipped", "agency", code, "err", err)
			}
		}
	}
	if err := c.v.SetForeignRoots(roots); err != nil {
		return err
	}
	c.v.SetRegistry(regs)
	return nil
}
