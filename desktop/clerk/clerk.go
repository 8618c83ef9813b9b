package clerk

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"lienthong/certs"
	"lienthong/desktop/store"
	"lienthong/shared/edxml"
	"lienthong/shared/envelope"
	"lienthong/shared/hubclient"
	"lienthong/shared/wire"
)

// Settings the core keeps in the store besides store.SettingHubAddress.
const (
	SettingServerName = "hub_server_name" // the name in the hub's certificate
	SettingRoots      = "roots_pem"       // the trusted roots, PEM
	// SettingAgency is the agency a certificate of another CA stands for
	// (InitOptions.Agency); absent for one of our PKI, which names it.
	SettingAgency = "agency_code"
	// SettingPollAddress is where the clerk holds its long polls: a
	// long-poll front beside the hub (lienthong-hub front); empty: the
	// hub's address.
	SettingPollAddress = "hub_poll_address"
)

// StoreFile is the store's file name inside the home folder.
const StoreFile = "clerk.db"

// Errors callers decide on.
var (
	ErrExists        = errors.New("a clerk store already exists here")
	ErrNoStore       = errors.New("no clerk store here: run init first")
	ErrNotConfigured = errors.New("the hub address or roots are not configured")
	ErrWrongBox      = errors.New("the document is not in the right box for this action")
	ErrReasonNeeded  = errors.New("a reason is required")
	ErrNoRecall      = errors.New("no open recall for this document")
)

// InitOptions are what the first run needs.
type InitOptions struct {
	Home          string // the folder of the store
	Passphrase    []byte // the clerk's passphrase for the store
	P12           []byte // the agency's .p12 from the PKI operator
	P12Passphrase string
	HubAddr       string // host:port, or several hub nodes' separated by commas (ParseHubAddress)
	ServerName    string // the name in the hub's certificate; empty: the host of each address
	Proxy         string // the HTTP proxy to the hub (ParseProxy); empty: the environment's
	RootsPEM      []byte // the trusted root certificates
	// ReceiptSigner names the hub's receipt-signing identity; empty is
	// certs.DefaultReceiptSigner.
	ReceiptSigner string
	// Agency is the agency the .p12's certificate stands for when another
	// CA issued it (Ban Cơ yếu, a licensed public CA: no urn:lienthong:
	// name): the one the hub's operator registered its SHA-256 for. It
	// must be empty for a certificate of our PKI, which names its agency.
	Agency certs.AgencyCode
}

// ErrAgencyNeeded refuses init with a certificate of another CA and no
// agency given, or with an agency given for a certificate that names its
// own.
var ErrAgencyNeeded = errors.New("a certificate of another CA needs the agency it is registered for; one of ours names it")

// foreignIdentity decides at init whose certificate the store's is: ours,
// naming its agency (agency must be empty), or another CA's (no
// urn:lienthong: name), standing for agency as the hub's directory
// registers it. It reports whether it is another CA's; the chain of such
// a certificate is checked by the hub at every connection, against the
// foreign roots the clerk does not have before its first sync.
func foreignIdentity(leaf *x509.Certificate, agency certs.AgencyCode) (bool, error) {
	_, err := certs.Identify(leaf, nil)
	switch {
	case err == nil && agency == "":
		return false, nil
	case err == nil:
		return false, fmt.Errorf("%w: --agency %s given for %q", ErrAgencyNeeded, agency, leaf.Subject.CommonName)
	case !errors.Is(err, certs.ErrUnregistered):
		return false, fmt.Errorf("the certificate names no agency: %w", err)
	case agency == "":
		return false, fmt.Errorf("%w: %q (SHA-256 %s)", ErrAgencyNeeded, leaf.Subject.CommonName, certs.FingerprintOf(leaf))
	}
	if _, err := certs.ParseAgencyCode(string(agency)); err != nil {
		return false, err
	}
	if leaf.IsCA || (len(leaf.ExtKeyUsage) > 0 && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth)) {
		return false, fmt.Errorf("%q cannot authenticate to the hub (a CA, or no clientAuth usage)", leaf.Subject.CommonName)
	}
	return true, nil
}

// Exists reports whether home holds a clerk store.
func Exists(home string) bool {
	_, err := os.Stat(filepath.Join(home, StoreFile))
	return err == nil
}

// Init creates the store in opts.Home, imports the identity from the .p12
// and saves the hub address and roots. It refuses an existing store with
// ErrExists.
func Init(opts InitOptions) error {
	if opts.Home == "" {
		return errors.New("init: no home folder")
	}
	if Exists(opts.Home) {
		return fmt.Errorf("init %s: %w", opts.Home, ErrExists)
	}
	if len(opts.Passphrase) == 0 {
		return errors.New("init: empty passphrase")
	}
	kp, err := certs.DecodePKCS12(opts.P12, opts.P12Passphrase)
	if err != nil {
		return fmt.Errorf("init: read the .p12: %w", err)
	}
	foreign, err := foreignIdentity(kp.Leaf, opts.Agency)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	roots, err := certs.ParseCertificatesPEM(opts.RootsPEM)
	if err != nil || len(roots) == 0 {
		return fmt.Errorf("init: read the roots: %w", errors.Join(err, errors.New("no certificate")))
	}
	v, err := certs.NewVerifier(roots)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if _, err := v.Agency(kp.Certificates()); err != nil && !foreign {
		return fmt.Errorf("init: the agency certificate does not chain to the roots: %w", err)
	}
	hubAddr, err := ParseHubAddress(opts.HubAddr)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	proxy, err := ParseProxy(opts.Proxy)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if opts.ReceiptSigner != "" && !certs.ValidReceiptSigner(opts.ReceiptSigner) {
		return fmt.Errorf("init: receipt signer %q: want lower-case letters, digits, dots and hyphens", opts.ReceiptSigner)
	}
	if err := os.MkdirAll(opts.Home, 0o700); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	st, err := store.Open(filepath.Join(opts.Home, StoreFile), opts.Passphrase)
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	err = errors.Join(
		st.SetIdentity(kp),
		st.SetSetting(store.SettingHubAddress, hubAddr),
		st.SetSetting(SettingServerName, opts.ServerName),
		st.SetSetting(SettingProxy, proxy),
		st.SetSetting(SettingRoots, string(certs.EncodeCertificatesPEM(roots...))),
		st.SetSetting(SettingReceiptSigner, opts.ReceiptSigner),
		st.SetSetting(SettingAgency, string(opts.Agency)),
	)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(filepath.Join(opts.Home, StoreFile))
		return fmt.Errorf("init: %w", err)
	}
	return nil
}

// Options tune Open.
type Options struct {
	Logger      *slog.Logger     // nil discards
	Now         func() time.Time // nil: time.Now
	DisableQUIC bool             // force HTTP/2 over TCP
	// MaxBackoff bounds the wait between attempts while the hub is
	// unreachable; 0 means 30 s.
	MaxBackoff time.Duration
	// PollWait is how long one long poll waits; 0 means wire.PollWait.
	PollWait time.Duration
	// UploadChunk bounds one upload request; 0 means the client's 8 MiB.
	UploadChunk int64
	// AllowSecret lets the clerk send documents marked Mật or above. Set
	// it only where the hub is configured to take them
	// (allow_secret_documents); by default Validate refuses them before
	// anything is signed, as the hub would.
	AllowSecret bool
	// MaxAttachment is the largest incoming attachment this clerk takes;
	// a document with a larger one is set aside as refused (see
	// Refusals). 0 means envelope.DefaultMaxAttachment.
	MaxAttachment int64
	// MaxEdXMLPacket is the largest edXML packet this clerk fetches from
	// the hub; a document sent as a larger one is refused. 0 means
	// edxml.DefaultMaxPacketSize.
	MaxEdXMLPacket int64
	// Seal, when set, is the agency's seal kept apart from the store (a
	// key in a PKCS#11 token, see package certs/token): documents' PDFs,
	// envelope and status packets and edXML exports are signed with it.
	// Its certificate must name the store's agency. The store's identity
	// stays the TLS client identity for talking to the hub, so background
	// sync never needs the token or its PIN. Nil signs with the store's
	// identity, as before. The caller closes it after the clerk.
	Seal certs.Signer
}

// Clerk is an open clerk's core. Its methods are safe for concurrent use.
type Clerk struct {
	home string
	st   *store.Store
	kp   *certs.KeyPair
	code certs.AgencyCode
	name string
	v    *certs.Verifier
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	cl     *hubclient.Client
	online bool
	// maxInline is the attachment bytes the hub takes with a packet
	// (wire.Hello.MaxInline), as it answered client inlineOf.
	maxInline int64
	inlineOf  *hubclient.Client
	subs      map[int]chan Event
	// dirRefreshed is when the directory was last fetched.
	dirRefreshed time.Time
	nsub         int

	pushMu sync.Mutex // one outbox push at a time
	pullMu sync.Mutex // one inbox pull at a time
	statMu sync.Mutex // one status pull at a time
	// receiptSigner names the hub's receipt identity (trust.go).
	receiptSigner string
	crlMu         sync.Mutex // one CRL refresh at a time
	crlFailed     time.Time  // when a CRL fetch last failed; zero after a success
	crlFetched    time.Time  // when CRLs were last fetched
	kick          chan struct{}
	// spoolKey seals the spool files of this process (see spool.go).
	spoolKey []byte
}

// Open unlocks the store in home. A wrong passphrase gives an error
// wrapping store.ErrWrongPassphrase.
func Open(home string, passphrase []byte, opts Options) (*Clerk, error) {
	if !Exists(home) {
		return nil, fmt.Errorf("open %s: %w", home, ErrNoStore)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 30 * time.Second
	}
	if opts.PollWait <= 0 {
		opts.PollWait = wire.PollWait
	}
	if opts.MaxAttachment <= 0 {
		opts.MaxAttachment = envelope.DefaultMaxAttachment
	}
	if opts.MaxEdXMLPacket <= 0 {
		opts.MaxEdXMLPacket = edxml.DefaultMaxPacketSize
	}
	st, err := store.OpenOptions(filepath.Join(home, StoreFile), passphrase, store.Options{Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("open clerk store: %w", err)
	}
	key, err := newSpoolKey()
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("open clerk: %w", err)
	}
	c := &Clerk{home: home, st: st, opts: opts, log: opts.Logger, subs: map[int]chan Event{}, kick: make(chan struct{}, 1), spoolKey: key}
	c.cleanSpool()
	if err := c.load(); err != nil {
		st.Close()
		return nil, err
	}
	return c, nil
}

func (c *Clerk) load() error {
	kp, err := c.st.Identity()
	if err != nil {
		return fmt.Errorf("read identity: %w", err)
	}
	code, err := certs.AgencyOf(kp.Leaf)
	if errors.Is(err, certs.ErrNoAgency) {
		// A certificate of another CA: the agency given at init, which
		// the hub's directory decides in the end (every request).
		var s string
		if s, err = c.st.Setting(SettingAgency); err == nil {
			code, err = certs.ParseAgencyCode(s)
		}
	}
	if err != nil {
		return fmt.Errorf("read identity: %w", err)
	}
	rootsPEM, err := c.st.Setting(SettingRoots)
	if err != nil {
		return fmt.Errorf("read roots: %w", err)
	}
	roots, err := certs.ParseCertificatesPEM([]byte(rootsPEM))
	if err != nil {
		return fmt.Errorf("read roots: %w", err)
	}
	v, err := certs.NewVerifier(roots)
	if err != nil {
		return fmt.Errorf("read roots: %w", err)
	}
	c.kp, c.code, c.v = kp, code, v
	c.name = kp.Leaf.Subject.CommonName
	if len(kp.Leaf.Subject.Organization) > 0 {
		c.name = kp.Leaf.Subject.Organization[0]
	}
	if err := c.loadTrust(); err != nil {
		return err
	}
	if s := c.opts.Seal; s != nil {
		if err := checkSeal(s, code, v); err != nil {
			return err
		}
	}
	return nil
}

// ErrSealAgency reports a seal (Options.Seal) whose certificate names
// another agency than the store's.
var ErrSealAgency = errors.New("the seal's certificate names another agency")

// checkSeal checks that the seal signs documents as this agency itself
// (certs.DocumentSigner with v's registrations: our agency URI, or a
// certificate of another CA registered as the agency's or its seal).
func checkSeal(s certs.Signer, code certs.AgencyCode, v *certs.Verifier) error {
	chain := s.Certificates()
	if len(chain) == 0 {
		return fmt.Errorf("seal: %w: no certificate", ErrSealAgency)
	}
	id, err := v.DocumentSigner(chain[0])
	if err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	got := id.Agency
	if id.Role == certs.RolePerson {
		return fmt.Errorf("seal: %w: %q is a person's certificate", ErrSealAgency, chain[0].Subject.CommonName)
	}
	if got != code {
		return fmt.Errorf("seal: %w: %s, the store is %s", ErrSealAgency, got, code)
	}
	return nil
}

// signer is what signs the agency's documents and packets: the seal when
// one is set, else the store's identity.
func (c *Clerk) signer() certs.Signer {
	if c.opts.Seal != nil {
		return c.opts.Seal
	}
	return c.kp
}

// Close stops using the network and closes the store.
func (c *Clerk) Close() error {
	c.mu.Lock()
	cl := c.cl
	c.cl = nil
	for id, ch := range c.subs {
		close(ch)
		delete(c.subs, id)
	}
	c.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
	return c.st.Close()
}

// Store gives the underlying store, for tools and tests that need more than
// the use-cases offer. Front ends should not write to it directly.
func (c *Clerk) Store() *store.Store { return c.st }

// Home returns the home folder.
func (c *Clerk) Home() string { return c.home }

// Agency returns the clerk's agency code and name, from its certificate.
func (c *Clerk) Agency() (certs.AgencyCode, string) { return c.code, c.name }

// Roots returns the trusted root certificates.
func (c *Clerk) Roots() []*x509.Certificate { return c.v.RootCertificates() }

// ParseHubAddress checks a hub address as a clerk types it, "host:port",
// or the addresses of several hub nodes separated by commas, and returns
// it as it is kept: the addresses joined by commas. A bad address is a
// *hubclient.AddrError, none at all hubclient.ErrNoAddress.
func ParseHubAddress(s string) (string, error) {
	addrs, err := hubclient.ParseAddrs(s)
	if err != nil {
		return "", err
	}
	return strings.Join(addrs, ","), nil
}

// HubAddress returns the configured hub address: host:port, or several
// separated by commas.
func (c *Clerk) HubAddress() string {
	a, _ := c.st.Setting(store.SettingHubAddress)
	return a
}

// SetHubAddress changes the hub's address, host:port or several hub
// nodes' separated by commas (ParseHubAddress); the next request connects
// there.
func (c *Clerk) SetHubAddress(addr string) error {
	addr, err := ParseHubAddress(addr)
	if err != nil {
		return fmt.Errorf("set hub address: %w", err)
	}
	if err := c.st.SetSetting(store.SettingHubAddress, addr); err != nil {
		return fmt.Errorf("set hub address: %w", err)
	}
	c.resetClient()
	return nil
}

func (c *Clerk) resetClient() {
	c.mu.Lock()
	cl := c.cl
	c.cl = nil
	c.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
}

// client returns the hub client, creating it on first use.
func (c *Clerk) client() (*hubclient.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cl != nil {
		return c.cl, nil
	}
	addr, err := c.st.Setting(store.SettingHubAddress)
	if err != nil || addr == "" {
		return nil, ErrNotConfigured
	}
	name, _ := c.st.Setting(SettingServerName)
	proxy, err := proxyFunc(c.Proxy())
	if err != nil {
		return nil, fmt.Errorf("connect to the hub: %w", err)
	}
	cl, err := hubclient.New(addr, c.kp, c.v, hubclient.Options{ServerName: name, DisableQUIC: c.opts.DisableQUIC, Proxy: proxy, Logger: c.log, PollAddr: c.PollAddress()})
	if err != nil {
		return nil, fmt.Errorf("connect to the hub: %w", err)
	}
	c.cl = cl
	return cl, nil
}

// PollAddress returns where the clerk holds its long polls: a long-poll
// front's address, or several separated by commas; empty: the hub's.
func (c *Clerk) PollAddress() string {
	a, _ := c.st.Setting(SettingPollAddress)
	return a
}

// SetPollAddress sets where the clerk holds its long polls: the address
// of the long-poll front its hub's operator gives (ParseHubAddress), or
// empty to hold them at the hub. When the front does not answer, the
// polls go to the hub (hubclient.Options.PollAddr).
func (c *Clerk) SetPollAddress(addr string) error {
	if addr != "" {
		var err error
		if addr, err = ParseHubAddress(addr); err != nil {
			return fmt.Errorf("set poll address: %w", err)
		}
	}
	if err := c.st.SetSetting(SettingPollAddress, addr); err != nil {
		return fmt.Errorf("set poll address: %w", err)
	}
	c.resetClient()
	return nil
}

// TestConnection asks the hub who it thinks this agency is.
func (c *Clerk) TestConnection(ctx context.Context) (*wire.Hello, error) {
	cl, err := c.client()
	if err != nil {
		return nil, err
	}
	h, err := cl.Hello(ctx)
	c.noteResult(cl, err)
	if err != nil {
		return nil, fmt.Errorf("hello: %w", err)
	}
	return h, nil
}

// Online reports whether the last exchange with the hub succeeded.
func (c *Clerk) Online() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.online
}

// noteResult records whether the hub answered: an answer, even an error
// answer, means online; a transport failure means offline.
func (c *Clerk) noteResult(cl *hubclient.Client, err error) {
	var pe *permanentError
	if errors.Is(err, context.Canceled) || errors.As(err, &pe) {
		return // not about the network
	}
	on := err == nil || isAnswer(err)
	c.mu.Lock()
	changed := c.online != on
	c.online = on
	c.mu.Unlock()
	if changed {
		ev := ConnectionChanged{Online: on}
		if cl != nil {
			ev.Transport = cl.Transport()
		}
		if !on {
			ev.Err = err
		}
		c.emit(ev)
	}
}

// isAnswer reports an error the hub answered (as opposed to no answer).
func isAnswer(err error) bool {
	var we *wire.Error
	return errors.As(err, &we) && we.Code != wire.CodeUnavailable
}

// retryable reports an error worth retrying later unchanged.
func retryable(err error) bool {
	var we *wire.Error
	if errors.As(err, &we) {
		return we.Code.Retryable()
	}
	return true // no answer at all: the network or the hub is down
}

// spoolDir is the folder of files in transit (see spool.go).
func (c *Clerk) spoolDir() string { return filepath.Join(c.home, "spool") }

// spoolFile opens or creates an encrypted spool file by name.
func (c *Clerk) spoolFile(name string) (*spooled, error) {
	if err := os.MkdirAll(c.spoolDir(), 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(c.spoolDir(), name)
	f, err := openSealed(path, c.spoolKey)
	if err != nil {
		return nil, err
	}
	return &spooled{sealedFile: f, path: path}, nil
}

func (c *Clerk) removeSpool(name string) { os.Remove(filepath.Join(c.spoolDir(), name)) }

// cleanSpool deletes what an earlier process left in the spool: sealed
// under a key that died with it, it can no longer be read.
func (c *Clerk) cleanSpool() {
	entries, _ := os.ReadDir(c.spoolDir())
	for _, e := range entries {
		os.Remove(filepath.Join(c.spoolDir(), e.Name()))
	}
}

type spooled struct {
	*sealedFile
	path string
}

// discard closes and deletes the file.
func (s *spooled) discard() {
	s.sealedFile.f.Close()
	os.Remove(s.path)
}

func (c *Clerk) now() time.Time { return c.opts.Now() }

// readerAtCloser is an io.ReaderAt over a stream that is reopened when a
// read goes backwards: enough for uploads, which read forwards in chunks.
type streamReaderAt struct {
	open func() (io.ReadCloser, error)
	rc   io.ReadCloser
	pos  int64
}

func (s *streamReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if s.rc == nil || off < s.pos {
		if s.rc != nil {
			s.rc.Close()
		}
		rc, err := s.open()
		if err != nil {
			return 0, err
		}
		s.rc, s.pos = rc, 0
	}
	if off > s.pos {
		n, err := io.CopyN(io.Discard, s.rc, off-s.pos)
		s.pos += n
		if err != nil {
			return 0, err
		}
	}
	n, err := io.ReadFull(s.rc, p)
	s.pos += int64(n)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

func (s *streamReaderAt) Close() error {
	if s.rc != nil {
		return s.rc.Close()
	}
	return nil
}

func parseCode(s string) (certs.AgencyCode, error) {
	if s == "" {
		return "", errors.New("empty agency code")
	}
	return certs.ParseAgencyCode(s)
}
