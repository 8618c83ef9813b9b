package main

import (
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/internal/cli"
)

var showCmd = &cli.Command{
	Name:    "show",
	Args:    "CERT",
	Summary: "print what a certificate says",
	Help:    "Prints the fields a PKI operator checks, for each certificate in the file.",
	Setup: func(fs *flag.FlagSet) cli.Run {
		return func(env *cli.Env, args []string) error {
			if err := cli.WantArgs(args, 1, "a certificate file"); err != nil {
				return err
			}
			list, err := certs.ReadCertificates(args[0])
			if err != nil {
				return err
			}
			for i, cert := range list {
				if i > 0 {
					fmt.Fprintln(env.Stdout)
				}
				show(env.Stdout, cert)
			}
			return nil
		}
	},
}

const anyUsage = x509.ExtKeyUsageAny

// describe names a certificate in one line: subject, agency and serial.
func describe(c *x509.Certificate) string {
	s := fmt.Sprintf("%q", c.Subject.CommonName)
	if code, err := certs.AgencyOf(c); err == nil {
		s += " agency " + string(code)
	} else if code, err := certs.MemberOf(c); err == nil {
		s += " signer for " + string(code)
	} else if name, err := certs.ReceiptSignerOf(c); err == nil {
		s += " receipts of " + name
	}
	return fmt.Sprintf("%s serial %X", s, c.SerialNumber)
}

// show prints the fields of a certificate a PKI operator checks.
func show(w io.Writer, c *x509.Certificate) {
	fmt.Fprintf(w, "subject:    %s\n", c.Subject)
	fmt.Fprintf(w, "issuer:     %s\n", c.Issuer)
	fmt.Fprintf(w, "serial:     %X\n", c.SerialNumber)
	fmt.Fprintf(w, "valid:      %s to %s\n", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	if c.IsCA {
		fmt.Fprintf(w, "CA:         yes\n")
	}
	if code, err := certs.AgencyOf(c); err == nil {
		fmt.Fprintf(w, "agency:     %s\n", code)
	}
	if code, err := certs.MemberOf(c); err == nil {
		fmt.Fprintf(w, "member of:  %s\n", code)
	}
	if name, err := certs.ReceiptSignerOf(c); err == nil {
		fmt.Fprintf(w, "receipts:   %s\n", name)
	}
	if len(c.DNSNames) > 0 || len(c.IPAddresses) > 0 {
		var names []string
		names = append(names, c.DNSNames...)
		for _, ip := range c.IPAddresses {
			names = append(names, ip.String())
		}
		fmt.Fprintf(w, "names:      %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(w, "usage:      %s\n", strings.Join(usages(c), ", "))
	if len(c.CRLDistributionPoints) > 0 {
		fmt.Fprintf(w, "CRL:        %s\n", strings.Join(c.CRLDistributionPoints, ", "))
	}
}

func usages(c *x509.Certificate) []string {
	var out []string
	for _, u := range []struct {
		bit  x509.KeyUsage
		name string
	}{
		{x509.KeyUsageDigitalSignature, "digitalSignature"}, {x509.KeyUsageContentCommitment, "nonRepudiation"},
		{x509.KeyUsageKeyEncipherment, "keyEncipherment"}, {x509.KeyUsageCertSign, "keyCertSign"}, {x509.KeyUsageCRLSign, "cRLSign"},
	} {
		if c.KeyUsage&u.bit != 0 {
			out = append(out, u.name)
		}
	}
	names := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
		x509.ExtKeyUsageEmailProtection: "emailProtection", x509.ExtKeyUsageTimeStamping: "timeStamping",
	}
	for _, e := range c.ExtKeyUsage {
		out = append(out, names[e])
	}
	for _, oid := range c.UnknownExtKeyUsage {
		if oid.Equal(certs.OIDDocumentSigning) {
			out = append(out, "documentSigning")
		} else {
			out = append(out, oid.String())
		}
	}
	return out
}
