package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"lienthong/certs"
	"lienthong/hub/config"
	"lienthong/hub/control"
	"lienthong/hub/store"
	"lienthong/internal/cli"
)

// The operator's registrations of other CAs' certificates (Ban Cơ yếu,
// licensed public CAs): what ties a certificate without our
// urn:lienthong: name to an agency (certs.Identify). Each change is a new
// version of the agency's directory entry, kept in its history.

var agencyRegisterCmd = &cli.Command{
	Name:    "agency register",
	Args:    "CODE CERT.pem|SHA256",
	Summary: "register a certificate of another CA for an agency",
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		role := fs.String("role", "agency", "what the certificate does for the agency: `agency` (TLS and seal), seal, tls or person")
		person := fs.String("person", "", "the holder's full `name`, for --role person")
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 2, "an agency code and a certificate file or its SHA-256"); err != nil {
				return err
			}
			cfg, err := config.Load(*path)
			if err != nil {
				return err
			}
			fp, chain, err := certificateArg(args[1])
			if err != nil {
				return err
			}
			if chain != nil {
				if err := checkForeign(cfg, chain); err != nil {
					return err
				}
			}
			reg := certs.Registration{SHA256: fp, Role: certs.Role(*role), Person: *person}
			if err := reg.Check(); err != nil {
				return cli.Usagef("%v", err)
			}
			st, closeStore, err := openStore(*path)
			if err != nil {
				return err
			}
			defer closeStore()
			ctx := context.Background()
			list, err := st.Agencies(ctx)
			if err != nil {
				return err
			}
			for _, a := range list {
				if a.Code != certs.AgencyCode(args[0]) && slices.ContainsFunc(a.Certificates, func(r certs.Registration) bool { return r.SHA256 == fp }) {
					return fmt.Errorf("certificate %s is registered for %s already: unregister it there first", fp, a.Code)
				}
			}
			changed, err := changeRegistrations(ctx, st, certs.AgencyCode(args[0]), func(regs []certs.Registration) []certs.Registration {
				if i := slices.IndexFunc(regs, func(r certs.Registration) bool { return r.SHA256 == fp }); i >= 0 {
					regs[i] = reg // registered again, perhaps with another role
					return regs
				}
				return append(regs, reg)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "%s: certificate %s registered as %s%s\n", args[0], fp, reg.Role, unchanged(changed))
			return nil
		}
	},
}

var agencyUnregisterCmd = &cli.Command{
	Name:    "agency unregister",
	Args:    "CODE CERT.pem|SHA256",
	Summary: "remove a certificate's registration from an agency",
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 2, "an agency code and a certificate file or its SHA-256"); err != nil {
				return err
			}
			fp, _, err := certificateArg(args[1])
			if err != nil {
				return err
			}
			st, closeStore, err := openStore(*path)
			if err != nil {
				return err
			}
			defer closeStore()
			found := false
			changed, err := changeRegistrations(context.Background(), st, certs.AgencyCode(args[0]), func(regs []certs.Registration) []certs.Registration {
				n := len(regs)
				regs = slices.DeleteFunc(regs, func(r certs.Registration) bool { return r.SHA256 == fp })
				found = len(regs) < n
				return regs
			})
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("%s: certificate %s is not registered for it", args[0], fp)
			}
			fmt.Fprintf(env.Stdout, "%s: certificate %s unregistered%s\n", args[0], fp, unchanged(changed))
			return nil
		}
	},
}

var agencyCertsCmd = &cli.Command{
	Name:    "agency certs",
	Args:    "[CODE]",
	Summary: "list the certificates of other CAs registered for agencies",
	Setup: func(fs *flag.FlagSet) cli.Run {
		path := configFlag(fs)
		return func(env *cli.Env, args []string) error {
			if len(args) > 1 {
				return cli.Usagef("want at most one agency code")
			}
			st, closeStore, err := openStore(*path)
			if err != nil {
				return err
			}
			defer closeStore()
			list, err := st.Agencies(context.Background())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tROLE\tSHA256\tPERSON")
			for _, a := range list {
				if len(args) == 1 && string(a.Code) != args[0] {
					continue
				}
				for _, r := range a.Certificates {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Code, r.Role, r.SHA256, r.Person)
				}
			}
			return tw.Flush()
		}
	},
}

// changeRegistrations writes code's entry again with its registrations
// changed by change, keeping everything else.
func changeRegistrations(ctx context.Context, st control.Store, code certs.AgencyCode, change func([]certs.Registration) []certs.Registration) (bool, error) {
	a, err := st.Agency(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("%s is not in the directory: import it first", code)
	}
	if err != nil {
		return false, err
	}
	a.Certificates = change(slices.Clone(a.Certificates))
	return st.UpsertAgency(ctx, &a, time.Now())
}

// certificateArg reads a certificate file (PEM, the certificate first and
// then any intermediates, or DER) and returns its fingerprint and chain,
// or takes the argument as a SHA-256 in hex (no chain).
func certificateArg(arg string) (certs.Fingerprint, []*x509.Certificate, error) {
	if fp, err := certs.ParseFingerprint(arg); err == nil {
		return fp, nil, nil
	}
	data, err := os.ReadFile(arg)
	if err != nil {
		return certs.Fingerprint{}, nil, cli.Hint(err, "give a certificate file (PEM or DER) or its SHA-256 in hex")
	}
	var list []*x509.Certificate
	if list, err = certs.ParseCertificatesPEM(data); err != nil || len(list) == 0 {
		c, derErr := x509.ParseCertificate(data)
		if derErr != nil {
			return certs.Fingerprint{}, nil, fmt.Errorf("%s: not a certificate in PEM or DER", arg)
		}
		list = []*x509.Certificate{c}
	}
	return certs.FingerprintOf(list[0]), list, nil
}

// checkForeign refuses a certificate the hub would never take from the
// directory: a CA certificate, one with our own names (issued by our PKI,
// it needs no registration), or one that does not chain, with the
// intermediates given after it, to the configuration's foreign roots now.
func checkForeign(cfg config.Config, chain []*x509.Certificate) error {
	cert := chain[0]
	if cert.IsCA {
		return fmt.Errorf("%q is a CA certificate: register the agency's or the person's own", cert.Subject.CommonName)
	}
	if id, err := certs.Identify(cert, nil); err == nil {
		return fmt.Errorf("%q names %s itself (urn:lienthong:): it needs no registration", cert.Subject.CommonName, id.Agency)
	}
	var roots []*x509.Certificate
	for _, f := range cfg.ForeignRoots {
		r, err := certs.ReadCertificates(f)
		if err != nil {
			return fmt.Errorf("foreign roots: %w", err)
		}
		roots = append(roots, r...)
	}
	if len(roots) == 0 {
		return cli.Hint(errors.New("the configuration trusts no other CA's root"), "add the CA's root certificate to foreign_roots first")
	}
	v, err := certs.NewVerifier(roots)
	if err != nil {
		return err
	}
	if _, err := v.BuildChain(cert, chain[1:], time.Now(), x509.ExtKeyUsageAny); err != nil {
		return cli.Hint(fmt.Errorf("%q does not chain to the foreign roots: %w", cert.Subject.CommonName, err),
			"put the CA's intermediate certificates after it in the file, or give its SHA-256 instead")
	}
	return nil
}

func unchanged(changed bool) string {
	if changed {
		return ""
	}
	return " (no change)"
}
