package xmlsig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	_ "crypto/sha1" // SHA-1 signatures circulate; checked, and reported as weak
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"lienthong/certs"
	"lienthong/shared/edxml"
)

// Sentinels for what a caller decides on; every error of Verify and Sign
// wraps one of them or one of edxml's.
var (
	// ErrUnsigned: the packet carries no XML signature.
	ErrUnsigned = errors.New("edXML packet is not signed")
	// ErrBadSignature: the signature does not match the packet: its
	// content was changed after signing, or the signature was.
	ErrBadSignature = errors.New("edXML signature does not match the packet")
	// ErrUnsupported: a signature in a form this package does not check
	// (a reference to part of the document, an XPath transform, an
	// unknown algorithm, no certificate).
	ErrUnsupported = errors.New("edXML signature cannot be checked")
	// ErrWeakAlgorithm: SHA-1, refused because Options.RefuseWeak is set.
	ErrWeakAlgorithm = errors.New("edXML signature uses a weak algorithm")
	// ErrAlreadySigned: Sign was given a packet that carries a signature.
	ErrAlreadySigned = errors.New("edXML packet is already signed")
)

// Options configure Verify.
type Options struct {
	// Limits bound the packet, as for edxml.Read; zero fields take their
	// defaults (50 MB).
	Limits edxml.Limits
	// Verifier, when set, checks the signer's chain against our roots and
	// revocation lists; nil leaves the chain unchecked.
	Verifier *certs.Verifier
	// Now is when the chain must be valid; nil means time.Now.
	Now func() time.Time
	// RefuseWeak refuses SHA-1 signature and digest methods instead of
	// accepting them with a warning.
	RefuseWeak bool
}

// Trust says what the signer's chain leads to.
type Trust string

// The trust results.
const (
	TrustNotChecked    Trust = "not-checked"     // no Verifier given
	TrustVerified      Trust = "verified"        // a valid chain to one of our roots
	TrustNotUnderRoots Trust = "not-under-roots" // no chain to our roots: another CA's system
	TrustInvalid       Trust = "invalid"         // expired, revoked or not a document signer
)

// WarningKind names a weakness that Verify accepted.
type WarningKind string

// The warning kinds.
const (
	WarnWeakSignature WarningKind = "weak-signature" // a SHA-1 signature method
	WarnWeakDigest    WarningKind = "weak-digest"    // a SHA-1 digest method
	WarnECDSAEncoding WarningKind = "ecdsa-der"      // an ECDSA value in DER instead of r||s
	WarnWeakKey       WarningKind = "weak-key"       // an RSA key under 2048 bits
)

// Warning is a weakness of a signature that still verified.
type Warning struct {
	Kind   WarningKind
	Detail string
}

func (w Warning) String() string { return string(w.Kind) + ": " + w.Detail }

// Result is what Verify found: a signature that matches the packet, who
// made it and what the chain leads to.
type Result struct {
	// Signer is the certificate whose key made the signature.
	Signer *x509.Certificate
	// Certificates are all the certificates of KeyInfo, Signer among them.
	Certificates []*x509.Certificate
	// Trust and TrustDetail say where the chain leads, and why not to
	// our roots when it does not.
	Trust       Trust
	TrustDetail string
	// Chain is the verified chain, signer first and root last, when
	// Trust is TrustVerified.
	Chain []*x509.Certificate
	// The algorithms, as their XML-DSig identifiers.
	SignatureMethod  string
	DigestMethod     string
	Canonicalization string
	Warnings         []Warning
	// Packet is the packet as edxml.Read found it (attachments discarded,
	// their sizes and SHA-256 kept).
	Packet *edxml.Packet
}

// The identifiers Verify reads beyond goxmldsig's constants.
const (
	nsDsig = dsig.Namespace
)

// signatureMethods maps a SignatureMethod to its key type and hash.
var signatureMethods = map[string]struct {
	ecdsa bool
	hash  crypto.Hash
}{
	dsig.RSASHA1SignatureMethod:     {false, crypto.SHA1},
	dsig.RSASHA256SignatureMethod:   {false, crypto.SHA256},
	dsig.RSASHA384SignatureMethod:   {false, crypto.SHA384},
	dsig.RSASHA512SignatureMethod:   {false, crypto.SHA512},
	dsig.ECDSASHA1SignatureMethod:   {true, crypto.SHA1},
	dsig.ECDSASHA256SignatureMethod: {true, crypto.SHA256},
	dsig.ECDSASHA384SignatureMethod: {true, crypto.SHA384},
	dsig.ECDSASHA512SignatureMethod: {true, crypto.SHA512},
}

var digestMethods = map[string]crypto.Hash{
	"http://www.w3.org/2000/09/xmldsig#sha1":        crypto.SHA1,
	"http://www.w3.org/2001/04/xmlenc#sha256":       crypto.SHA256,
	"http://www.w3.org/2001/04/xmldsig-more#sha384": crypto.SHA384,
	"http://www.w3.org/2001/04/xmlenc#sha512":       crypto.SHA512,
}

// canonicalizer returns the canonicaliser an algorithm names, with the
// PrefixList of an exclusive one.
func canonicalizer(alg, prefixList string) (dsig.Canonicalizer, bool) {
	switch dsig.AlgorithmID(alg) {
	case dsig.CanonicalXML10ExclusiveAlgorithmId:
		return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixList), true
	case dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId:
		return dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList(prefixList), true
	case dsig.CanonicalXML10RecAlgorithmId:
		return dsig.MakeC14N10RecCanonicalizer(), true
	case dsig.CanonicalXML10WithCommentsAlgorithmId:
		return dsig.MakeC14N10WithCommentsCanonicalizer(), true
	case dsig.CanonicalXML11AlgorithmId:
		return dsig.MakeC14N11Canonicalizer(), true
	case dsig.CanonicalXML11WithCommentsAlgorithmId:
		return dsig.MakeC14N11WithCommentsCanonicalizer(), true
	}
	return nil, false
}

// Verify checks the enveloped XML-DSig signature of the edXML packet in
// data (see the package documentation for what it accepts). An unsigned
// packet gives ErrUnsigned; a packet edxml.Read refuses gives its error.
// A signer outside our roots is a Result (TrustNotUnderRoots), not an
// error.
func Verify(data []byte, opts Options) (*Result, error) {
	maxSize := opts.Limits.MaxPacketSize
	if maxSize == 0 {
		maxSize = edxml.DefaultMaxPacketSize
	}
	if int64(len(data)) > maxSize {
		return nil, fmt.Errorf("%w: the packet has %d bytes, more than %d", edxml.ErrTooLarge, len(data), maxSize)
	}
	pkt, err := edxml.Read(bytes.NewReader(data), edxml.Options{Limits: opts.Limits})
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(bytes.TrimPrefix(data, []byte("\uFEFF"))); err != nil {
		return nil, fmt.Errorf("%w: %v", edxml.ErrMalformed, err)
	}
	root := doc.Root()
	if root == nil {
		return nil, fmt.Errorf("%w: no root element", edxml.ErrMalformed)
	}
	sigEl, err := theSignature(root)
	if err != nil {
		return nil, err
	}
	if pkt.Signature == nil {
		// edxml looks in edXMLHeader, edXMLEnvelope and the root only.
		return nil, fmt.Errorf("%w: the Signature is not in the packet's header", ErrBadSignature)
	}
	res := &Result{Packet: pkt}
	si, err := checkSignedInfo(sigEl, res, opts)
	if err != nil {
		return nil, err
	}
	if err := checkReference(root, sigEl, si, res, opts); err != nil {
		return nil, err
	}
	res.chain(opts)
	return res, nil
}

// theSignature returns the document's one ds:Signature element. A second
// one anywhere (a copy wrapped around other content, a countersignature)
// is refused: the one edxml found is the one checked.
func theSignature(root *etree.Element) (*etree.Element, error) {
	var found []*etree.Element
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		if e.Tag == "Signature" && e.NamespaceURI() == nsDsig {
			found = append(found, e)
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(root)
	switch {
	case len(found) == 0:
		return nil, ErrUnsigned
	case len(found) > 1:
		return nil, fmt.Errorf("%w: %d Signature elements, one expected", ErrBadSignature, len(found))
	}
	return found[0], nil
}

// children returns the child elements of e in the XML-DSig namespace,
// refusing any of another namespace.
func dsigChildren(e *etree.Element) ([]*etree.Element, error) {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.NamespaceURI() != nsDsig {
			return nil, fmt.Errorf("%w: %s holds an element of another namespace", ErrUnsupported, e.Tag)
		}
		out = append(out, c)
	}
	return out, nil
}

// only returns the one child of e named tag, refusing none or several.
func only(kids []*etree.Element, parent, tag string) (*etree.Element, error) {
	var got *etree.Element
	for _, c := range kids {
		if c.Tag == tag {
			if got != nil {
				return nil, fmt.Errorf("%w: %s has more than one %s", ErrBadSignature, parent, tag)
			}
			got = c
		}
	}
	if got == nil {
		return nil, fmt.Errorf("%w: %s has no %s", ErrUnsupported, parent, tag)
	}
	return got, nil
}

// checkSignedInfo checks the signature value over the canonical SignedInfo
// with the KeyInfo certificate's key, and returns the canonical SignedInfo
// re-read, the only source of what the signature covers.
func checkSignedInfo(sigEl *etree.Element, res *Result, opts Options) (*etree.Element, error) {
	kids, err := dsigChildren(sigEl)
	if err != nil {
		return nil, err
	}
	for _, c := range kids {
		switch c.Tag {
		case "SignedInfo", "SignatureValue", "KeyInfo", "Object":
		default:
			return nil, fmt.Errorf("%w: unexpected element %s in Signature", ErrUnsupported, c.Tag)
		}
	}
	signedInfo, err := only(kids, "Signature", "SignedInfo")
	if err != nil {
		return nil, err
	}
	sigValue, err := only(kids, "Signature", "SignatureValue")
	if err != nil {
		return nil, err
	}
	keyInfo, err := only(kids, "Signature", "KeyInfo")
	if err != nil {
		return nil, err
	}
	siKids, err := dsigChildren(signedInfo)
	if err != nil {
		return nil, err
	}
	cm, err := only(siKids, "SignedInfo", "CanonicalizationMethod")
	if err != nil {
		return nil, err
	}
	sm, err := only(siKids, "SignedInfo", "SignatureMethod")
	if err != nil {
		return nil, err
	}
	if _, err := only(siKids, "SignedInfo", "Reference"); err != nil {
		return nil, err
	}
	res.Canonicalization = cm.SelectAttrValue("Algorithm", "")
	canon, ok := canonicalizer(res.Canonicalization, inclusivePrefixes(cm))
	if !ok {
		return nil, fmt.Errorf("%w: canonicalisation %q", ErrUnsupported, res.Canonicalization)
	}
	res.SignatureMethod = sm.SelectAttrValue("Algorithm", "")
	method, ok := signatureMethods[res.SignatureMethod]
	if !ok {
		return nil, fmt.Errorf("%w: signature method %q", ErrUnsupported, res.SignatureMethod)
	}
	if method.hash == crypto.SHA1 {
		if opts.RefuseWeak {
			return nil, fmt.Errorf("%w: signature method %s", ErrWeakAlgorithm, res.SignatureMethod)
		}
		res.Warnings = append(res.Warnings, Warning{WarnWeakSignature, "the signature method uses SHA-1: " + res.SignatureMethod})
	}
	if err := res.readCertificates(keyInfo); err != nil {
		return nil, err
	}
	value, err := base64.StdEncoding.DecodeString(stripSpace(sigValue.Text()))
	if err != nil {
		return nil, fmt.Errorf("%w: SignatureValue is not base64", ErrBadSignature)
	}

	ctx, err := etreeutils.NSBuildParentContext(signedInfo)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	detached, err := etreeutils.NSDetatch(ctx, signedInfo)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	canonical, err := canon.Canonicalize(detached)
	if err != nil {
		return nil, fmt.Errorf("%w: canonicalise SignedInfo: %v", ErrUnsupported, err)
	}
	h := method.hash.New()
	h.Write(canonical)
	digest := h.Sum(nil)
	switch pub := res.Signer.PublicKey.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			res.Warnings = append(res.Warnings, Warning{WarnWeakKey, fmt.Sprintf("the signer's RSA key has %d bits", pub.N.BitLen())})
		}
		if method.ecdsa {
			return nil, fmt.Errorf("%w: an ECDSA method with an RSA key", ErrBadSignature)
		}
		if rsa.VerifyPKCS1v15(pub, method.hash, digest, value) != nil {
			return nil, fmt.Errorf("%w: the signature value does not verify with the signer's key", ErrBadSignature)
		}
	case *ecdsa.PublicKey:
		if !method.ecdsa {
			return nil, fmt.Errorf("%w: an RSA method with an ECDSA key", ErrBadSignature)
		}
		ok, der := verifyECDSA(pub, digest, value)
		if !ok {
			return nil, fmt.Errorf("%w: the signature value does not verify with the signer's key", ErrBadSignature)
		}
		if der {
			res.Warnings = append(res.Warnings, Warning{WarnECDSAEncoding, "the ECDSA value is DER, not the r||s XML-DSig requires"})
		}
	default:
		return nil, fmt.Errorf("%w: the signer's key is neither RSA nor ECDSA", ErrUnsupported)
	}
	// What the signature covers is read from the bytes it signed.
	verified := etree.NewDocument()
	if err := verified.ReadFromBytes(canonical); err != nil || verified.Root() == nil {
		return nil, fmt.Errorf("%w: canonical SignedInfo cannot be read", ErrUnsupported)
	}
	return verified.Root(), nil
}

// inclusivePrefixes returns the PrefixList of an InclusiveNamespaces child.
func inclusivePrefixes(e *etree.Element) string {
	for _, c := range e.ChildElements() {
		if c.Tag == "InclusiveNamespaces" {
			return c.SelectAttrValue("PrefixList", "")
		}
	}
	return ""
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

// readCertificates reads KeyInfo/X509Data and picks the signer: the first
// certificate that is not a CA.
func (res *Result) readCertificates(keyInfo *etree.Element) error {
	for _, data := range keyInfo.ChildElements() {
		if data.Tag != "X509Data" || data.NamespaceURI() != nsDsig {
			continue
		}
		for _, c := range data.ChildElements() {
			if c.Tag != "X509Certificate" || c.NamespaceURI() != nsDsig {
				continue
			}
			der, err := base64.StdEncoding.DecodeString(stripSpace(c.Text()))
			if err != nil {
				return fmt.Errorf("%w: an X509Certificate is not base64", ErrUnsupported)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return fmt.Errorf("%w: an X509Certificate cannot be read: %v", ErrUnsupported, err)
			}
			res.Certificates = append(res.Certificates, cert)
			if res.Signer == nil && !cert.IsCA {
				res.Signer = cert
			}
		}
	}
	if res.Signer == nil {
		return fmt.Errorf("%w: KeyInfo holds no signer certificate", ErrUnsupported)
	}
	return nil
}

// checkReference checks the one Reference of the verified SignedInfo:
// URI "" (the whole document), the enveloped-signature transform and at
// most one canonicalisation, and its digest over the document's root with
// the signature removed.
func checkReference(root, sigEl, si *etree.Element, res *Result, opts Options) error {
	var ref *etree.Element
	for _, c := range si.ChildElements() {
		if c.Tag == "Reference" {
			ref = c
		}
	}
	if ref == nil {
		return fmt.Errorf("%w: no Reference", ErrUnsupported)
	}
	if uri := ref.SelectAttr("URI"); uri == nil || uri.Value != "" {
		return fmt.Errorf("%w: the Reference does not cover the whole packet (URI \"\")", ErrUnsupported)
	}
	enveloped := false
	var canon dsig.Canonicalizer
	var digestAlg, digestValue string
	for _, c := range ref.ChildElements() {
		switch c.Tag {
		case "Transforms":
			for _, t := range c.ChildElements() {
				alg := t.SelectAttrValue("Algorithm", "")
				if alg == string(dsig.EnvelopedSignatureAltorithmId) && !enveloped {
					enveloped = true
					continue
				}
				cz, ok := canonicalizer(alg, inclusivePrefixes(t))
				if !ok || canon != nil {
					return fmt.Errorf("%w: transform %q", ErrUnsupported, alg)
				}
				canon = cz
			}
		case "DigestMethod":
			digestAlg = c.SelectAttrValue("Algorithm", "")
		case "DigestValue":
			digestValue = c.Text()
		}
	}
	if !enveloped {
		return fmt.Errorf("%w: no enveloped-signature transform", ErrUnsupported)
	}
	if canon == nil {
		canon = dsig.MakeC14N10RecCanonicalizer()
	}
	hash, ok := digestMethods[digestAlg]
	if !ok {
		return fmt.Errorf("%w: digest method %q", ErrUnsupported, digestAlg)
	}
	res.DigestMethod = digestAlg
	if hash == crypto.SHA1 {
		if opts.RefuseWeak {
			return fmt.Errorf("%w: digest method %s", ErrWeakAlgorithm, digestAlg)
		}
		res.Warnings = append(res.Warnings, Warning{WarnWeakDigest, "the digest method is SHA-1"})
	}
	want, err := base64.StdEncoding.DecodeString(stripSpace(digestValue))
	if err != nil {
		return fmt.Errorf("%w: DigestValue is not base64", ErrBadSignature)
	}
	// The enveloped-signature transform: the root read from the bytes,
	// without the Signature element (its neighbours' text stays).
	sigEl.Parent().RemoveChild(sigEl)
	canonical, err := canon.Canonicalize(root)
	if err != nil {
		return fmt.Errorf("%w: canonicalise the packet: %v", ErrUnsupported, err)
	}
	h := hash.New()
	h.Write(canonical)
	if !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("%w: the packet's content was changed after it was signed", ErrBadSignature)
	}
	return nil
}

// chain checks the signer's chain against opts.Verifier, and the policy
// on who may sign documents.
func (res *Result) chain(opts Options) {
	if opts.Verifier == nil {
		res.Trust = TrustNotChecked
		return
	}
	at := time.Now()
	if opts.Now != nil {
		at = opts.Now()
	}
	chain := []*x509.Certificate{res.Signer}
	for _, c := range res.Certificates {
		if c != res.Signer && c.IsCA {
			chain = append(chain, c)
		}
	}
	verified, err := opts.Verifier.Chain(chain, at, x509.ExtKeyUsageAny)
	switch {
	case errors.Is(err, certs.ErrUntrusted):
		res.Trust, res.TrustDetail = TrustNotUnderRoots, err.Error()
	case err != nil:
		res.Trust, res.TrustDetail = TrustInvalid, err.Error()
	default:
		if perr := opts.Verifier.MayIssueDocuments(res.Signer); perr != nil {
			res.Trust, res.TrustDetail = TrustInvalid, perr.Error()
			return
		}
		res.Trust, res.Chain = TrustVerified, verified
	}
}
