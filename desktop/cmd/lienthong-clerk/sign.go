package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"lienthong/certs"
	"lienthong/shared/pades"
	"lienthong/shared/stamp"
	"lienthong/shared/tsa"
)

const signUsage = `usage: lienthong-clerk sign [flags] IN.pdf OUT.pdf

  --cert FILE             PEM certificate of the signer, followed by its CA chain
  --key FILE              PEM private key of the signer
  --p12 FILE              PKCS#12 file with key and chain, instead of --cert/--key
  --passphrase-file FILE  passphrase for --p12 or an encrypted --key (first line)
  --roots FILE            refuse to sign unless the certificate chains to these roots
  --visible KIND          agency-stamp (text: number, notation, time) or image
  --image PNG             signature or seal image, for --visible image
  --seal PNG              the agency's seal, drawn over the left third of --image
  --field NAME            sign into the empty signature field NAME (a template's
                          placeholder), or name the new field
  --page N                page that carries the signature (default 1)
  --rect x1,y1,x2,y2      where the stamp goes, in points from the bottom left
                          (required for image; agency-stamp defaults to the top right)
  --number N              document number, for agency-stamp
  --notation X            document notation (ký hiệu), for agency-stamp
  --tsa URL               RFC 3161 timestamping service: PAdES B-T
  --reason TEXT           reason for signing
  --location TEXT         place of signing
`

// stampMargin is the distance of the agency stamp from the page's top and
// right edges, in points.
const stampMargin = 10

func runSign(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		certFile = fs.String("cert", "", "")
		keyFile  = fs.String("key", "", "")
		p12File  = fs.String("p12", "", "")
		passFile = fs.String("passphrase-file", "", "")
		rootFile = fs.String("roots", "", "")
		visible  = fs.String("visible", "", "")
		image    = fs.String("image", "", "")
		seal     = fs.String("seal", "", "")
		page     = fs.Int("page", 1, "")
		field    = fs.String("field", "", "")
		rectStr  = fs.String("rect", "", "")
		number   = fs.String("number", "", "")
		notation = fs.String("notation", "", "")
		tsaURL   = fs.String("tsa", "", "")
		reason   = fs.String("reason", "", "")
		location = fs.String("location", "", "")
	)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return errHelp
			}
			return usagef("%v", err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 2 {
		return usagef("want IN.pdf and OUT.pdf, got %d arguments", len(pos))
	}
	in, out := pos[0], pos[1]
	if *page < 1 {
		return usagef("--page must be 1 or more")
	}

	kp, err := loadSigner(*certFile, *keyFile, *p12File, *passFile)
	if err != nil {
		return err
	}
	if *rootFile != "" {
		if err := checkChain(kp, *rootFile); err != nil {
			return err
		}
	}

	now := time.Now().In(pades.VietnamTime)
	opts := pades.Options{
		Signer: kp, Time: now, Page: *page, FieldName: *field,
		Reason: *reason, Location: *location,
	}
	var rect [4]float64
	if *rectStr != "" {
		if rect, err = parseRect(*rectStr); err != nil {
			return err
		}
	}
	switch *visible {
	case "":
		if *image != "" || *seal != "" || *rectStr != "" || *number != "" || *notation != "" {
			return usagef("--image, --seal, --rect, --number and --notation need --visible")
		}
	case "agency-stamp":
		if *number == "" {
			return usagef("--visible agency-stamp needs --number")
		}
		if *image != "" || *seal != "" {
			return usagef("--visible agency-stamp draws text only; --image and --seal are for --visible image")
		}
		ap, err := stamp.AgencyText(*number, *notation, now)
		if err != nil {
			return fmt.Errorf("agency stamp: %w", err)
		}
		if *rectStr == "" {
			box, err := pageBox(in, *page)
			if err != nil {
				return err
			}
			rect = pades.TopRight(box, ap.Width, ap.Height, stampMargin)
		}
		opts.Appearance, opts.Rect = ap, rect
	case "image":
		if *image == "" {
			return usagef("--visible image needs --image PNG")
		}
		if *rectStr == "" {
			return usagef("--visible image needs --rect x1,y1,x2,y2")
		}
		sig, err := os.ReadFile(*image)
		if err != nil {
			return fmt.Errorf("read image: %w", err)
		}
		var sealPNG []byte
		if *seal != "" {
			if sealPNG, err = os.ReadFile(*seal); err != nil {
				return fmt.Errorf("read seal: %w", err)
			}
		}
		ap, err := stamp.ImageStamp(sig, sealPNG, rect[2]-rect[0], rect[3]-rect[1])
		if err != nil {
			return fmt.Errorf("image stamp: %w", err)
		}
		opts.Appearance, opts.Rect = ap, rect
	default:
		return usagef("--visible must be agency-stamp or image, not %q", *visible)
	}
	if *tsaURL != "" {
		client := &http.Client{Timeout: 30 * time.Second}
		url := *tsaURL
		opts.Timestamp = func(ctx context.Context, digest []byte) ([]byte, error) {
			return tsa.Request(ctx, client, url, digest, crypto.SHA256)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := pades.SignFile(ctx, in, out, opts); err != nil {
		return fmt.Errorf("sign %s: %w", in, err)
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
			return nil, usagef("give either --p12 or --cert and --key, not both")
		}
		if passFile == "" {
			return nil, usagef("--p12 needs --passphrase-file")
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
	return nil, usagef("give --cert and --key, or --p12 and --passphrase-file")
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
		return r, usagef("--rect wants x1,y1,x2,y2, got %q", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return r, usagef("--rect: %q is not a number", p)
		}
		r[i] = v
	}
	if r[2] <= r[0] || r[3] <= r[1] {
		return r, usagef("--rect needs x1 < x2 and y1 < y2, got %q", s)
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
