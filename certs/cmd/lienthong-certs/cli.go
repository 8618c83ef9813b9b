package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"lienthong/certs"
)

// usageError is bad usage: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const usage = `usage: lienthong-certs COMMAND [flags]

commands:
  init     create a root CA and an issuing CA in a new PKI folder
  issue    issue a hub, agency, person or tsa certificate
  revoke   revoke a certificate and publish a new CRL
  crl      publish a fresh CRL
  export   write a certificate and its key as a PKCS#12 file
  import   read a PKCS#12 file into PEM certificate and key files
  verify   check a certificate against roots and a CRL
  show     print what a certificate says
  demo     create a complete demo PKI (keys in the clear)

Run "lienthong-certs COMMAND -h" for the flags of a command.
`

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	err := c.dispatch(args)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "lienthong-certs: %s\n", ue.msg)
		return 2
	}
	fmt.Fprintf(stderr, "lienthong-certs: error: %v\n", err)
	return 1
}

func (c *cli) dispatch(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usage)
		return usageError{"no command given"}
	}
	commands := map[string]func([]string) error{
		"init": c.cmdInit, "issue": c.cmdIssue, "revoke": c.cmdRevoke, "crl": c.cmdCRL,
		"export": c.cmdExport, "import": c.cmdImport, "verify": c.cmdVerify, "show": c.cmdShow, "demo": c.cmdDemo,
	}
	cmd, ok := commands[args[0]]
	if !ok {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			fmt.Fprint(c.stdout, usage)
			return nil
		}
		return usagef("unknown command %q (run lienthong-certs help)", args[0])
	}
	return cmd(args[1:])
}

func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("lienthong-certs "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

// parse parses flags and wants exactly nargs positional arguments.
func parse(fs *flag.FlagSet, args []string, nargs int, what string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() != nargs {
		if nargs == 0 {
			return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
		}
		return usagef("%s: want %s", fs.Name(), what)
	}
	return nil
}

func required(fs *flag.FlagSet, names ...string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if !set[n] {
			return usagef("%s: --%s is required", fs.Name(), n)
		}
	}
	return nil
}

// passphrase reads a passphrase from file, or asks on the terminal when no
// file is given and one is attached; prompt names what it unlocks.
func (c *cli) passphrase(file, prompt string) ([]byte, error) {
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
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(c.stderr, "%s: ", prompt)
		p, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		return p, err
	}
	return nil, nil
}

func (c *cli) openPKI(dir, passFile string) (*certs.PKI, error) {
	pass, err := c.passphrase(passFile, "Passphrase of the CA keys")
	if err != nil {
		return nil, err
	}
	p, err := certs.OpenPKI(dir, pass)
	if errors.Is(err, certs.ErrPassphraseNeeded) {
		return nil, errors.New("the CA key is encrypted: give --passphrase-file")
	}
	return p, err
}

func keyAlg(s string) (certs.KeyAlgorithm, error) {
	for _, a := range certs.KeyAlgorithms {
		if string(a) == s {
			return a, nil
		}
	}
	return "", usagef("unknown key algorithm %q (want one of %v)", s, certs.KeyAlgorithms)
}

func (c *cli) cmdInit(args []string) error {
	fs := c.flags("init")
	dir := fs.String("dir", "", "new PKI folder")
	alg := fs.String("alg", string(certs.ECDSAP256), "key algorithm: ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072")
	passFile := fs.String("passphrase-file", "", "file holding the passphrase that encrypts the CA keys")
	crlURL := fs.String("crl-url", "", "URL where the CRL is published (written into every certificate)")
	rootName := fs.String("root-name", "Lienthong Root CA", "common name of the root CA")
	issuingName := fs.String("issuing-name", "Lienthong Issuing CA", "common name of the issuing CA")
	org := fs.String("org", "", "organization operating the CA")
	if err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	if err := required(fs, "dir", "passphrase-file"); err != nil {
		return err
	}
	a, err := keyAlg(*alg)
	if err != nil {
		return err
	}
	pass, err := c.passphrase(*passFile, "")
	if err != nil {
		return err
	}
	p, err := certs.InitPKI(*dir, certs.InitOptions{
		Root:         certs.CAName{CommonName: *rootName, Organization: *org},
		Issuing:      certs.CAName{CommonName: *issuingName, Organization: *org},
		KeyAlgorithm: a, CRLURL: *crlURL, Passphrase: pass,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "created PKI in %s\nroot:    %s\nissuing: %s\n", *dir, describe(p.Root), describe(p.Issuing.Cert))
	return nil
}

func (c *cli) cmdIssue(args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usagef("issue: want a kind first: hub, agency, person or tsa")
	}
	kind := args[0]
	fs := c.flags("issue " + kind)
	dir := fs.String("dir", "", "PKI folder")
	passFile := fs.String("passphrase-file", "", "file holding the passphrase of the CA keys")
	out := fs.String("out", "", "output prefix: writes PREFIX.crt and PREFIX.key")
	keyPassFile := fs.String("key-passphrase-file", "", "file holding the passphrase that encrypts the new key (may be omitted only in a demo PKI)")
	alg := fs.String("alg", string(certs.ECDSAP256), "key algorithm")
	days := fs.Int("days", 0, "validity in days (default 730)")
	var dns, ips, code, name, position, agencyName string
	switch kind {
	case "hub":
		fs.StringVar(&dns, "dns", "", "comma-separated DNS names")
		fs.StringVar(&ips, "ip", "", "comma-separated IP addresses")
	case "agency":
		fs.StringVar(&code, "code", "", "agency code, e.g. 000.00.00.H49")
		fs.StringVar(&name, "name", "", "the agency's Vietnamese name")
	case "person":
		fs.StringVar(&name, "name", "", "full name")
		fs.StringVar(&position, "position", "", "position, e.g. Phó Chủ tịch")
		fs.StringVar(&code, "agency", "", "code of the person's agency")
		fs.StringVar(&agencyName, "agency-name", "", "name of the person's agency")
	case "tsa":
		fs.StringVar(&name, "name", "Lienthong Timestamping Authority", "common name")
	default:
		return usagef("issue: unknown kind %q (want hub, agency, person or tsa)", kind)
	}
	if err := parse(fs, args[1:], 0, ""); err != nil {
		return err
	}
	if err := required(fs, "dir", "out"); err != nil {
		return err
	}
	a, err := keyAlg(*alg)
	if err != nil {
		return err
	}
	validity := time.Duration(*days) * 24 * time.Hour
	for _, ext := range []string{".crt", ".key"} {
		if _, err := os.Lstat(*out + ext); err == nil {
			return fmt.Errorf("%w: %s (refusing to overwrite it)", certs.ErrExists, *out+ext)
		}
	}
	p, err := c.openPKI(*dir, *passFile)
	if err != nil {
		return err
	}
	keyPass, err := c.passphrase(*keyPassFile, "Passphrase for the new key")
	if err != nil {
		return err
	}
	if len(keyPass) == 0 && !p.IsDemo() {
		return usagef("issue: --key-passphrase-file is required: private keys are stored encrypted")
	}
	var kp *certs.KeyPair
	switch kind {
	case "hub":
		var ipList []net.IP
		for _, s := range splitList(ips) {
			ip := net.ParseIP(s)
			if ip == nil {
				return fmt.Errorf("issue hub: %q is not an IP address", s)
			}
			ipList = append(ipList, ip)
		}
		kp, err = p.Issuing.IssueHub(certs.HubRequest{DNSNames: splitList(dns), IPs: ipList, Validity: validity}, a)
	case "agency":
		kp, err = p.Issuing.IssueAgency(certs.AgencyRequest{Code: certs.AgencyCode(code), Name: name, Validity: validity}, a)
	case "person":
		kp, err = p.Issuing.IssuePerson(certs.PersonRequest{FullName: name, Position: position, Agency: certs.AgencyCode(code), AgencyName: agencyName, Validity: validity}, a)
	case "tsa":
		kp, err = p.Issuing.IssueTimestamping(certs.TimestampingRequest{CommonName: name, Validity: validity}, a)
	}
	if err != nil {
		return err
	}
	var keyPEM []byte
	if len(keyPass) > 0 {
		keyPEM, err = certs.EncryptKeyPEM(kp.Key, keyPass)
	} else {
		fmt.Fprintln(c.stderr, "lienthong-certs: warning: demo PKI: the new key is written NOT ENCRYPTED")
		keyPEM, err = certs.EncodeKeyPEM(kp.Key)
		keyPEM = append([]byte(certs.DemoKeyWarning+"\n"), keyPEM...)
	}
	if err != nil {
		return err
	}
	if err := certs.WriteNewFile(*out+".key", keyPEM, 0o600); err != nil {
		return err
	}
	if err := certs.WriteNewFile(*out+".crt", kp.CertificatePEM(), 0o644); err != nil {
		return err
	}
	if err := p.Record(kp.Leaf); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "issued %s\nwrote %s.crt and %s.key\n", describe(kp.Leaf), *out, *out)
	return nil
}

var revocationReasons = map[string]int{
	"unspecified": 0, "key-compromise": 1, "affiliation-changed": 3, "superseded": 4, "cessation": 5,
}

func (c *cli) cmdRevoke(args []string) error {
	fs := c.flags("revoke")
	dir := fs.String("dir", "", "PKI folder")
	passFile := fs.String("passphrase-file", "", "file holding the passphrase of the CA keys")
	reason := fs.String("reason", "unspecified", "unspecified, key-compromise, affiliation-changed, superseded or cessation")
	if err := parse(fs, args, 1, "the certificate file to revoke"); err != nil {
		return err
	}
	if err := required(fs, "dir"); err != nil {
		return err
	}
	code, ok := revocationReasons[*reason]
	if !ok {
		return usagef("revoke: unknown reason %q", *reason)
	}
	list, err := certs.ReadCertificates(fs.Arg(0))
	if err != nil {
		return err
	}
	p, err := c.openPKI(*dir, *passFile)
	if err != nil {
		return err
	}
	if err := p.Revoke(list[0], code, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "revoked %s\npublished %s\n", describe(list[0]), filepath.Join(*dir, certs.CRLFile))
	return nil
}

func (c *cli) cmdCRL(args []string) error {
	fs := c.flags("crl")
	dir := fs.String("dir", "", "PKI folder")
	passFile := fs.String("passphrase-file", "", "file holding the passphrase of the CA keys")
	if err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	if err := required(fs, "dir"); err != nil {
		return err
	}
	p, err := c.openPKI(*dir, *passFile)
	if err != nil {
		return err
	}
	if err := p.PublishCRL(); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "published %s with %d revoked certificate(s)\n", filepath.Join(*dir, certs.CRLFile), len(p.Revoked()))
	return nil
}

func (c *cli) cmdExport(args []string) error {
	fs := c.flags("export")
	certFile := fs.String("cert", "", "PEM certificate, chain included")
	keyFile := fs.String("key", "", "PEM private key")
	keyPassFile := fs.String("key-passphrase-file", "", "passphrase of the key, if it is encrypted")
	out := fs.String("out", "", "PKCS#12 file to write")
	p12PassFile := fs.String("p12-passphrase-file", "", "passphrase that protects the PKCS#12 file")
	if err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	if err := required(fs, "cert", "key", "out", "p12-passphrase-file"); err != nil {
		return err
	}
	keyPass, err := c.passphrase(*keyPassFile, "Passphrase of the key")
	if err != nil {
		return err
	}
	kp, err := certs.OpenSigner(certs.SignerRef{Cert: *certFile, Key: *keyFile, Passphrase: keyPass})
	if errors.Is(err, certs.ErrPassphraseNeeded) {
		return errors.New("the key is encrypted: give --key-passphrase-file")
	}
	if err != nil {
		return err
	}
	p12Pass, err := c.passphrase(*p12PassFile, "")
	if err != nil {
		return err
	}
	data, err := certs.EncodePKCS12(kp, string(p12Pass))
	if err != nil {
		return err
	}
	if err := certs.WriteNewFile(*out, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "wrote %s for %s\n", *out, describe(kp.Leaf))
	return nil
}

func (c *cli) cmdImport(args []string) error {
	fs := c.flags("import")
	in := fs.String("in", "", "PKCS#12 file to read")
	p12PassFile := fs.String("p12-passphrase-file", "", "passphrase of the PKCS#12 file")
	out := fs.String("out", "", "output prefix: writes PREFIX.crt and PREFIX.key")
	keyPassFile := fs.String("key-passphrase-file", "", "passphrase that encrypts the written key")
	if err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	if err := required(fs, "in", "p12-passphrase-file", "out", "key-passphrase-file"); err != nil {
		return err
	}
	data, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	p12Pass, err := c.passphrase(*p12PassFile, "")
	if err != nil {
		return err
	}
	kp, err := certs.DecodePKCS12(data, string(p12Pass))
	if errors.Is(err, certs.ErrWrongPassphrase) {
		return fmt.Errorf("%s: wrong passphrase", *in)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	keyPass, err := c.passphrase(*keyPassFile, "")
	if err != nil {
		return err
	}
	keyPEM, err := certs.EncryptKeyPEM(kp.Key, keyPass)
	if err != nil {
		return err
	}
	if err := certs.WriteNewFile(*out+".key", keyPEM, 0o600); err != nil {
		return err
	}
	if err := certs.WriteNewFile(*out+".crt", kp.CertificatePEM(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "imported %s\nwrote %s.crt and %s.key\n", describe(kp.Leaf), *out, *out)
	return nil
}

func (c *cli) cmdVerify(args []string) error {
	fs := c.flags("verify")
	rootsFile := fs.String("roots", "", "PEM file of trusted root certificates")
	crlFile := fs.String("crl", "", "CRL to check revocation against (PEM or DER)")
	if err := parse(fs, args, 1, "the certificate file to verify"); err != nil {
		return err
	}
	if err := required(fs, "roots"); err != nil {
		return err
	}
	roots, err := certs.ReadCertificates(*rootsFile)
	if err != nil {
		return err
	}
	v, err := certs.NewVerifier(roots)
	if err != nil {
		return err
	}
	revocation := "not checked (no --crl)"
	if *crlFile != "" {
		data, err := os.ReadFile(*crlFile)
		if err != nil {
			return err
		}
		crl, err := certs.ParseCRL(data)
		if err != nil {
			return err
		}
		v.SetCRLs(crl)
		revocation = "checked against " + *crlFile
	}
	chain, err := certs.ReadCertificates(fs.Arg(0))
	if err != nil {
		return err
	}
	verified, err := v.Chain(chain, time.Time{}, anyUsage)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	fmt.Fprintf(c.stdout, "OK: %s\nchain: %d certificates to %q\nrevocation: %s\n", describe(chain[0]), len(verified), verified[len(verified)-1].Subject.CommonName, revocation)
	if len(verified) >= 2 {
		status, _ := v.Revocation(chain[0], verified[1])
		fmt.Fprintf(c.stdout, "status: %s\n", status)
	}
	return nil
}

func (c *cli) cmdShow(args []string) error {
	fs := c.flags("show")
	if err := parse(fs, args, 1, "a certificate file"); err != nil {
		return err
	}
	list, err := certs.ReadCertificates(fs.Arg(0))
	if err != nil {
		return err
	}
	for i, cert := range list {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		show(c.stdout, cert)
	}
	return nil
}

func (c *cli) cmdDemo(args []string) error {
	fs := c.flags("demo")
	out := fs.String("out", "", "folder to create the demo PKI in")
	alg := fs.String("alg", string(certs.ECDSAP256), "key algorithm")
	if err := parse(fs, args, 0, ""); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	a, err := keyAlg(*alg)
	if err != nil {
		return err
	}
	if err := certs.Demo(*out, a); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "lienthong-certs: WARNING: the demo PKI's private keys are NOT ENCRYPTED; use it for demonstrations and tests only\n")
	fmt.Fprintf(c.stdout, "created demo PKI in %s\n", *out)
	for _, ag := range certs.DemoAgencies {
		fmt.Fprintf(c.stdout, "  %s  %s\n", ag.Code, ag.Name)
	}
	return nil
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
