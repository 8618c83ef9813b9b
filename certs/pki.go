package certs

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// A PKI folder holds what an operator needs to run the CA:
//
//	ca.crt              the root certificate (PEM): what every party trusts
//	issuing-ca.crt      the issuing CA's certificate (PEM)
//	ca.crl              the issuing CA's current CRL (PEM)
//	private/root.key    the root key (encrypted unless the PKI is a demo)
//	private/issuing.key the issuing CA's key (likewise)
//	issued/<serial>.crt every certificate issued, for the record and for revocation
//	state.json          the CRL number, the CRL URL and the revocations
const (
	RootCertFile    = "ca.crt"
	IssuingCertFile = "issuing-ca.crt"
	CRLFile         = "ca.crl"
	rootKeyFile     = "private/root.key"
	issuingKeyFile  = "private/issuing.key"
	issuedDir       = "issued"
	stateFile       = "state.json"
)

// PKI is an opened PKI folder with its issuing CA unlocked.
type PKI struct {
	Dir     string
	Root    *x509.Certificate
	Issuing *Authority
	state   pkiState
}

type pkiState struct {
	Version   int             `json:"version"`
	CRLURL    string          `json:"crl_url,omitempty"`
	CRLNumber int64           `json:"crl_number"`
	Demo      bool            `json:"demo,omitempty"`
	Revoked   []revokedRecord `json:"revoked"`
}

type revokedRecord struct {
	Serial  string    `json:"serial"` // hexadecimal
	Subject string    `json:"subject"`
	Time    time.Time `json:"time"`
	Reason  int       `json:"reason"`
}

// InitOptions describes a new PKI.
type InitOptions struct {
	Root, Issuing CAName
	KeyAlgorithm  KeyAlgorithm
	CRLURL        string
	// Passphrase encrypts both CA keys. Empty is allowed only with Demo.
	Passphrase []byte
	Demo       bool
}

// InitPKI creates a root CA, an issuing CA under it and an empty CRL in a
// new folder dir. It refuses to touch a folder that already holds a PKI.
func InitPKI(dir string, opts InitOptions) (*PKI, error) {
	if len(opts.Passphrase) == 0 && !opts.Demo {
		return nil, errors.New("a passphrase is required to protect the CA keys")
	}
	if _, err := os.Stat(filepath.Join(dir, RootCertFile)); err == nil {
		return nil, fmt.Errorf("%w: %s already holds a PKI", ErrExists, dir)
	}
	root, err := NewRoot(opts.Root, opts.KeyAlgorithm, 0)
	if err != nil {
		return nil, err
	}
	root.CRLURL = opts.CRLURL
	issuing, err := root.NewIssuing(opts.Issuing, opts.KeyAlgorithm, 0)
	if err != nil {
		return nil, err
	}
	p := &PKI{Dir: dir, Root: root.Cert, Issuing: issuing, state: pkiState{Version: 1, CRLURL: opts.CRLURL, Demo: opts.Demo}}
	if err := os.MkdirAll(filepath.Join(dir, "private"), 0o700); err != nil {
		return nil, err
	}
	if opts.Demo {
		if err := WriteNewFile(filepath.Join(dir, "private", DemoWarningFile), []byte(DemoKeyWarning), 0o644); err != nil {
			return nil, err
		}
	}
	if err := p.writeKey(rootKeyFile, root, opts.Passphrase); err != nil {
		return nil, err
	}
	if err := p.writeKey(issuingKeyFile, issuing, opts.Passphrase); err != nil {
		return nil, err
	}
	if err := WriteNewFile(filepath.Join(dir, RootCertFile), EncodeCertificatesPEM(root.Cert), 0o644); err != nil {
		return nil, err
	}
	if err := WriteNewFile(filepath.Join(dir, IssuingCertFile), EncodeCertificatesPEM(issuing.Cert), 0o644); err != nil {
		return nil, err
	}
	if err := p.PublishCRL(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *PKI) writeKey(name string, a *Authority, passphrase []byte) error {
	var data []byte
	var err error
	if len(passphrase) == 0 {
		data, err = demoKeyPEM(a.Key)
	} else {
		data, err = EncryptKeyPEM(a.Key, passphrase)
	}
	if err != nil {
		return err
	}
	return WriteNewFile(filepath.Join(p.Dir, name), data, 0o600)
}

// OpenPKI opens the PKI in dir and unlocks its issuing CA with passphrase
// (ignored for a demo PKI, whose keys are in the clear).
func OpenPKI(dir string, passphrase []byte) (*PKI, error) {
	var st pkiState
	raw, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, fmt.Errorf("open PKI: %w", err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("open PKI: %s: %w", stateFile, err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("open PKI: unsupported state version %d", st.Version)
	}
	roots, err := ReadCertificates(filepath.Join(dir, RootCertFile))
	if err != nil {
		return nil, fmt.Errorf("open PKI: %w", err)
	}
	issuingCerts, err := ReadCertificates(filepath.Join(dir, IssuingCertFile))
	if err != nil {
		return nil, fmt.Errorf("open PKI: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, issuingKeyFile))
	if err != nil {
		return nil, fmt.Errorf("open PKI: %w", err)
	}
	key, err := ParseKeyPEM(keyPEM, passphrase)
	if err != nil {
		return nil, fmt.Errorf("open PKI: issuing CA key: %w", err)
	}
	issuing, err := NewAuthority(issuingCerts[0], key, roots[:1])
	if err != nil {
		return nil, fmt.Errorf("open PKI: %w", err)
	}
	if err := issuingCerts[0].CheckSignatureFrom(roots[0]); err != nil {
		return nil, fmt.Errorf("open PKI: the issuing CA is not signed by the root: %w", err)
	}
	issuing.CRLURL = st.CRLURL
	return &PKI{Dir: dir, Root: roots[0], Issuing: issuing, state: st}, nil
}

// IsDemo reports whether the PKI keeps its keys in the clear.
func (p *PKI) IsDemo() bool { return p.state.Demo }

// Record files a newly issued certificate under issued/.
func (p *PKI) Record(cert *x509.Certificate) error {
	name := filepath.Join(p.Dir, issuedDir, fmt.Sprintf("%X.crt", cert.SerialNumber))
	return WriteNewFile(name, EncodeCertificatesPEM(cert), 0o644)
}

// Revoke adds cert to the revocation list and publishes a new CRL. It
// refuses a certificate the issuing CA did not issue.
func (p *PKI) Revoke(cert *x509.Certificate, reason int, at time.Time) error {
	if err := cert.CheckSignatureFrom(p.Issuing.Cert); err != nil {
		return fmt.Errorf("revoke: %q was not issued by this PKI's issuing CA", cert.Subject.CommonName)
	}
	serial := fmt.Sprintf("%X", cert.SerialNumber)
	for _, r := range p.state.Revoked {
		if r.Serial == serial {
			return fmt.Errorf("revoke: %q (serial %s) is already revoked", cert.Subject.CommonName, serial)
		}
	}
	p.state.Revoked = append(p.state.Revoked, revokedRecord{Serial: serial, Subject: cert.Subject.CommonName, Time: at.UTC(), Reason: reason})
	return p.PublishCRL()
}

// Revoked lists the revocations on record, oldest first.
func (p *PKI) Revoked() []Revocation {
	var out []Revocation
	for _, r := range p.state.Revoked {
		n, _ := new(big.Int).SetString(r.Serial, 16)
		out = append(out, Revocation{Serial: n, Time: r.Time, Reason: r.Reason})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// PublishCRL signs a new CRL with the next number and writes the state and
// ca.crl, in that order, so a crash in between leaves a state that the
// next publication repairs.
func (p *PKI) PublishCRL() error {
	p.state.CRLNumber++
	der, err := p.Issuing.CRL(p.Revoked(), p.state.CRLNumber, 0)
	if err != nil {
		return err
	}
	st, err := json.MarshalIndent(p.state, "", "  ")
	if err != nil {
		return err
	}
	if err := ReplaceFile(filepath.Join(p.Dir, stateFile), append(st, '\n'), 0o644); err != nil {
		return err
	}
	return ReplaceFile(filepath.Join(p.Dir, CRLFile), EncodeCRLPEM(der), 0o644)
}

// demoKeyPEM encodes a key in the clear: one PEM block and nothing else,
// so that every TLS library reads it. The warning that it is a demo key
// lives beside the keys (DemoWarningFile) and on the terminal, never in
// the key file.
func demoKeyPEM(key interface{}) ([]byte, error) {
	signer, err := asSigner(key)
	if err != nil {
		return nil, err
	}
	return EncodeKeyPEM(signer)
}

// DemoWarningFile is written in a demo PKI's folder and in its private/
// folder; it holds DemoKeyWarning.
const DemoWarningFile = "WARNING-DEMO-KEYS.txt"

// DemoKeyWarning is what DemoWarningFile says.
const DemoKeyWarning = "DEMO KEYS, NOT ENCRYPTED: the private keys in this folder are for demonstrations and tests only, never for real documents.\n"
