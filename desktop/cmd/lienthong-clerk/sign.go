package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/certs/token"
	"lienthong/internal/cli"
	"lienthong/shared/pades"
	"lienthong/shared/stamp"
	"lienthong/shared/tsa"
)

// stampMargin is the distance of the agency stamp from the page's top and
// right edges, in points.
const stampMargin = 10

var signCmd = &cli.Command{
	Name:    "sign",
	Args:    "IN.pdf OUT.pdf",
	Summary: "sign a PDF document (PAdES B-B or B-T)",
	Help: `Signs IN.pdf by incremental update into OUT.pdf (which may be IN.pdf: it is
replaced only on success), invisibly or with a visible stamp, at PAdES B-B, or
B-T with --tsa. The key comes from --cert and --key, or from --p12; --key may
name a key in a PKCS#11 token (pkcs11:token=...;object=...), whose PIN is
asked on the terminal or read from --pin-file, and whose certificate is the
token's unless --cert gives it.`,
	Setup: func(fs *flag.FlagSet) cli.Run {
		o := &signFlags{
			certFile: fs.String("cert", "", "PEM `file` of the signer's certificate, followed by its CA chain"),
			keyFile:  fs.String("key", "", "PEM `file` of the signer's private key, or a pkcs11: URI naming a key in a token"),
			p12File:  fs.String("p12", "", "PKCS#12 `file` with key and chain, instead of --cert and --key"),
			passFile: fs.String("passphrase-file", "", "`file` whose first line is the passphrase of --p12 or of an encrypted --key"),
			rootFile: fs.String("roots", "", "refuse to sign unless the certificate chains to the roots in PEM `file`"),
			visible:  fs.String("visible", "", "visible stamp `kind`: agency-stamp (text: number, notation, time) or image"),
			image:    fs.String("image", "", "signature or seal `PNG`, for --visible image"),
			seal:     fs.String("seal", "", "the agency's seal `PNG`, drawn over the left third of --image"),
			page:     fs.Int("page", 1, "`page` that carries the signature"),
			field:    fs.String("field", "", "sign into the empty signature field `name` (a template's placeholder), or name the new field"),
			rect:     fs.String("rect", "", "where the stamp goes, `x1,y1,x2,y2` in points from the bottom left (required for image; agency-stamp defaults to the top right)"),
			number:   fs.String("number", "", "document number, for agency-stamp"),
			notation: fs.String("notation", "", "document notation (ký hiệu), for agency-stamp"),
			tsaURL:   fs.String("tsa", "", "RFC 3161 timestamping service `URL`: PAdES B-T"),
			reason:   fs.String("reason", "", "reason for signing, written into the signature"),
			location: fs.String("location", "", "place of signing, written into the signature"),
		}
		o.token = newTokenFlags(fs, "")
		o.token.cert = o.certFile
		return o.run
	},
}

// signFlags are sign's flags.
type signFlags struct {
	certFile, keyFile, p12File, passFile, rootFile *string
	visible, image, seal, field, rect              *string
	number, notation, tsaURL, reason, location     *string
	page                                           *int
	token                                          *tokenFlags
}

func (o *signFlags) run(env *cli.Env, pos []string) error {
	if len(pos) != 2 {
		return cli.Usagef("want IN.pdf and OUT.pdf, got %d arguments", len(pos))
	}
	in, out := pos[0], pos[1]
	if *o.page < 1 {
		return cli.Usagef("--page must be 1 or more")
	}

	var kp *certs.KeyPair
	var err error
	if token.IsURI(*o.keyFile) {
		if *o.p12File != "" || *o.passFile != "" {
			return cli.Usagef("a key in a token takes no --p12 or --passphrase-file (its PIN is asked, or read from --pin-file)")
		}
		kp, err = o.token.open(env, *o.keyFile)
	} else {
		kp, err = loadSigner(*o.certFile, *o.keyFile, *o.p12File, *o.passFile)
	}
	if err != nil {
		return err
	}
	// A signature every verifier would refuse is not made at all.
	if err := certs.MayIssueDocuments(kp.Leaf); err != nil {
		return fmt.Errorf("%w: sign with a person's or an agency's certificate", err)
	}
	if *o.rootFile != "" {
		if err := checkChain(kp, *o.rootFile); err != nil {
			return err
		}
	}

	now := time.Now().In(pades.VietnamTime)
	opts := pades.Options{
		Signer: kp, Time: now, Page: *o.page, FieldName: *o.field,
		Reason: *o.reason, Location: *o.location,
	}
	var rect [4]float64
	if *o.rect != "" {
		if rect, err = parseRect(*o.rect); err != nil {
			return err
		}
	}
	switch *o.visible {
	case "":
		if *o.image != "" || *o.seal != "" || *o.rect != "" || *o.number != "" || *o.notation != "" {
			return cli.Usagef("--image, --seal, --rect, --number and --notation need --visible")
		}
	case "agency-stamp":
		if *o.number == "" {
			return cli.Usagef("--visible agency-stamp needs --number")
		}
		if *o.image != "" || *o.seal != "" {
			return cli.Usagef("--visible agency-stamp draws text only; --image and --seal are for --visible image")
		}
		ap, err := stamp.AgencyText(*o.number, *o.notation, now)
		if err != nil {
			return fmt.Errorf("agency stamp: %w", err)
		}
		if *o.rect == "" {
			box, err := pageBox(in, *o.page)
			if err != nil {
				return err
			}
			rect = pades.TopRight(box, ap.Width, ap.Height, stampMargin)
		}
		opts.Appearance, opts.Rect = ap, rect
	case "image":
		if *o.image == "" {
			return cli.Usagef("--visible image needs --image PNG")
		}
		if *o.rect == "" {
			return cli.Usagef("--visible image needs --rect x1,y1,x2,y2")
		}
		sig, err := os.ReadFile(*o.image)
		if err != nil {
			return fmt.Errorf("read image: %w", err)
		}
		var sealPNG []byte
		if *o.seal != "" {
			if sealPNG, err = os.ReadFile(*o.seal); err != nil {
				return fmt.Errorf("read seal: %w", err)
			}
		}
		ap, err := stamp.ImageStamp(sig, sealPNG, rect[2]-rect[0], rect[3]-rect[1])
		if err != nil {
			return fmt.Errorf("image stamp: %w", err)
		}
		opts.Appearance, opts.Rect = ap, rect
	default:
		return cli.Usagef("--visible must be agency-stamp or image, not %q", *o.visible)
	}
	if *o.tsaURL != "" {
		client := &http.Client{Timeout: 30 * time.Second}
		url := *o.tsaURL
		opts.Timestamp = func(ctx context.Context, digest []byte) ([]byte, error) {
			return tsa.Request(ctx, client, url, digest, crypto.SHA256)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := pades.SignFile(ctx, in, out, opts); err != nil {
		err = fmt.Errorf("sign %s: %w", in, err)
		if errors.As(err, new(*token.Error)) {
			return explained(env, err)
		}
		return err
	}
	return nil
}

func loadSigner(certFile, keyFile, p12File, passFile string) (*certs.KeyPair, error) {
	var pass []byte
	if passFile != "" {
		b, err := os.ReadFile(passFile)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
			b = b[:i]
		}
		pass = b
	}
	switch {
	case p12File != "":
		if certFile != "" || keyFile != "" {
			return nil, cli.Usagef("give either --p12 or --cert and --key, not both")
		}
		if passFile == "" {
			return nil, cli.Usagef("--p12 needs --passphrase-file")
		}
		kp, err := certs.OpenSigner(certs.SignerRef{P12: p12File, Passphrase: pass})
		if err != nil {
			return nil, fmt.Errorf("open PKCS#12: %w", err)
		}
		return kp, nil
	case certFile != "" && keyFile != "":
		kp, err := certs.OpenSigner(certs.SignerRef{Cert: certFile, Key: keyFile, Passphrase: pass})
		if err != nil {
			return nil, fmt.Errorf("load signing key: %w", err)
		}
		return kp, nil
	}
	return nil, cli.Usagef("give --cert and --key, or --p12 and --passphrase-file")
}

func checkChain(kp *certs.KeyPair, rootFile string) error {
	roots, err := certs.ReadCertificates(rootFile)
	if err != nil {
		return fmt.Errorf("read roots: %w", err)
	}
	pool := x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
	}
	inter := x509.NewCertPool()
	for _, c := range kp.Chain {
		inter.AddCert(c)
	}
	if _, err := kp.Leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("the signing certificate does not chain to the roots in %s: %w", rootFile, err)
	}
	return nil
}

func parseRect(s string) ([4]float64, error) {
	var r [4]float64
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return r, cli.Usagef("--rect wants x1,y1,x2,y2, got %q", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return r, cli.Usagef("--rect: %q is not a number", p)
		}
		r[i] = v
	}
	if r[2] <= r[0] || r[3] <= r[1] {
		return r, cli.Usagef("--rect needs x1 < x2 and y1 < y2, got %q", s)
	}
	return r, nil
}

func pageBox(path string, page int) ([4]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return [4]float64{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return [4]float64{}, err
	}
	box, err := pades.PageBox(f, st.Size(), page)
	if err != nil {
		return box, fmt.Errorf("read %s: %w", path, err)
	}
	return box, nil
}
