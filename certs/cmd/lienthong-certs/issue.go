package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"lienthong/certs"
	"lienthong/internal/cli"
)

// The five kinds of "issue" share their flags and their steps: issueCmd
// adds the kind's own flags and the call that makes the certificate.
var (
	issueHubCmd = issueCmd("hub", "a hub's TLS server certificate", func(fs *flag.FlagSet) issueFunc {
		dns := fs.String("dns", "", "comma-separated DNS `names` of the hub")
		ips := fs.String("ip", "", "comma-separated IP `addresses` of the hub")
		return func(ca *certs.Authority, validity time.Duration, a certs.KeyAlgorithm) (*certs.KeyPair, error) {
			var ipList []net.IP
			for _, s := range splitList(*ips) {
				ip := net.ParseIP(s)
				if ip == nil {
					return nil, fmt.Errorf("issue hub: %q is not an IP address", s)
				}
				ipList = append(ipList, ip)
			}
			return ca.IssueHub(certs.HubRequest{DNSNames: splitList(*dns), IPs: ipList, Validity: validity}, a)
		}
	})
	issueAgencyCmd = issueCmd("agency", "an agency's certificate: mutual TLS and its seal", func(fs *flag.FlagSet) issueFunc {
		code := fs.String("code", "", "agency `code`, e.g. 000.00.00.H49")
		name := fs.String("name", "", "the agency's Vietnamese `name`")
		return func(ca *certs.Authority, validity time.Duration, a certs.KeyAlgorithm) (*certs.KeyPair, error) {
			return ca.IssueAgency(certs.AgencyRequest{Code: certs.AgencyCode(*code), Name: *name, Validity: validity}, a)
		}
	})
	issuePersonCmd = issueCmd("person", "a signing person's certificate (no TLS client use)", func(fs *flag.FlagSet) issueFunc {
		name := fs.String("name", "", "full `name`")
		position := fs.String("position", "", "`position`, e.g. Phó Chủ tịch")
		code := fs.String("agency", "", "`code` of the person's agency")
		agencyName := fs.String("agency-name", "", "`name` of the person's agency")
		return func(ca *certs.Authority, validity time.Duration, a certs.KeyAlgorithm) (*certs.KeyPair, error) {
			return ca.IssuePerson(certs.PersonRequest{FullName: *name, Position: *position, Agency: certs.AgencyCode(*code), AgencyName: *agencyName, Validity: validity}, a)
		}
	})
	issueReceiptCmd = issueCmd("receipt", "the hub's receipt-signing certificate (one for all hub nodes)", func(fs *flag.FlagSet) issueFunc {
		name := fs.String("name", certs.DefaultReceiptSigner, "the receipt-signing `name` clients pin (urn:lienthong:receipts:NAME)")
		return func(ca *certs.Authority, validity time.Duration, a certs.KeyAlgorithm) (*certs.KeyPair, error) {
			return ca.IssueReceipt(certs.ReceiptRequest{Name: *name, Validity: validity}, a)
		}
	})
	issueTSACmd = issueCmd("tsa", "a timestamping authority's certificate", func(fs *flag.FlagSet) issueFunc {
		name := fs.String("name", "Lienthong Timestamping Authority", "common `name`")
		return func(ca *certs.Authority, validity time.Duration, a certs.KeyAlgorithm) (*certs.KeyPair, error) {
			return ca.IssueTimestamping(certs.TimestampingRequest{CommonName: *name, Validity: validity}, a)
		}
	})
)

// issueFunc makes the certificate of one kind from the issuing CA.
type issueFunc func(ca *certs.Authority, validity time.Duration, a certs.KeyAlgorithm) (*certs.KeyPair, error)

func issueCmd(kind, what string, kindFlags func(*flag.FlagSet) issueFunc) *cli.Command {
	return &cli.Command{
		Name:    "issue " + kind,
		Summary: "issue " + what,
		Help:    "Issues " + what + " from the issuing CA in --dir and writes\nPREFIX.crt (chain included) and PREFIX.key (encrypted with --key-passphrase-file).",
		Setup: func(fs *flag.FlagSet) cli.Run {
			dir := fs.String("dir", "", "the PKI's folder `DIR` (required)")
			passFile := fs.String("passphrase-file", "", "`file` holding the passphrase of the CA keys")
			out := fs.String("out", "", "output `prefix`: writes PREFIX.crt and PREFIX.key (required)")
			keyPassFile := fs.String("key-passphrase-file", "", "`file` holding the passphrase that encrypts the new key (may be omitted only in a demo PKI)")
			alg := algFlag(fs)
			days := fs.Int("days", 0, "validity in `days` (default 730)")
			issue := kindFlags(fs)
			return func(env *cli.Env, args []string) error {
				if err := cli.WantArgs(args, 0, ""); err != nil {
					return err
				}
				if err := cli.Required(fs, "dir", "out"); err != nil {
					return err
				}
				a, err := keyAlg(*alg)
				if err != nil {
					return err
				}
				for _, ext := range []string{".crt", ".key"} {
					if _, err := os.Lstat(*out + ext); err == nil {
						return fmt.Errorf("%w: %s (refusing to overwrite it)", certs.ErrExists, *out+ext)
					}
				}
				p, err := openPKI(env, *dir, *passFile)
				if err != nil {
					return err
				}
				keyPass, err := passphrase(env, *keyPassFile, "Passphrase for the new key")
				if err != nil {
					return err
				}
				if len(keyPass) == 0 && !p.IsDemo() {
					return cli.Usagef("--key-passphrase-file is required: private keys are stored encrypted")
				}
				kp, err := issue(p.Issuing, time.Duration(*days)*24*time.Hour, a)
				if err != nil {
					return err
				}
				return writeIssued(env, p, kp, keyPass, *out)
			}
		},
	}
}

// writeIssued writes a new key pair as PREFIX.key and PREFIX.crt and
// records it in the PKI.
func writeIssued(env *cli.Env, p *certs.PKI, kp *certs.KeyPair, keyPass []byte, out string) error {
	var keyPEM []byte
	var err error
	if len(keyPass) > 0 {
		keyPEM, err = certs.EncryptKeyPEM(kp.Key, keyPass)
	} else {
		fmt.Fprintln(env.Stderr, "lienthong-certs: warning: demo PKI: the new key is written NOT ENCRYPTED")
		keyPEM, err = certs.EncodeKeyPEM(kp.Key)
	}
	if err != nil {
		return err
	}
	if err := certs.WriteNewFile(out+".key", keyPEM, 0o600); err != nil {
		return err
	}
	if err := certs.WriteNewFile(out+".crt", kp.CertificatePEM(), 0o644); err != nil {
		return err
	}
	if err := p.Record(kp.Leaf); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "issued %s\nwrote %s.crt and %s.key\n", describe(kp.Leaf), out, out)
	return nil
}
