package cms

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Limits that bound what Parse accepts.
const (
	// MaxSize is the largest container Parse reads, in bytes.
	MaxSize = 1 << 20
	// maxCertificates bounds the certificate set.
	maxCertificates = 64
	// maxAttributes bounds each attribute set.
	maxAttributes = 32
	// maxAlgorithms bounds the digestAlgorithms set.
	maxAlgorithms = 8
)

var (
	tagContext0 = cbasn1.Tag(0).Constructed().ContextSpecific()
	tagContext1 = cbasn1.Tag(1).Constructed().ContextSpecific()
	tagSKI      = cbasn1.Tag(0).ContextSpecific()
	tagDirName  = cbasn1.Tag(4).Constructed().ContextSpecific()
)

// SignedData is a parsed CMS SignedData with exactly one signer.
type SignedData struct {
	// ContentType is the encapsulated content type: id-data for document
	// signatures, id-ct-TSTInfo for timestamp tokens.
	ContentType asn1.ObjectIdentifier
	// Content is the encapsulated content, nil for a detached signature.
	Content []byte
	// Certificates holds the container's certificates in their order.
	Certificates []*x509.Certificate
	// Signer is the certificate among Certificates that the signer
	// identifier names, nil if none does.
	Signer *x509.Certificate
	// Hash is the digest algorithm of the signer.
	Hash crypto.Hash
	// SignatureAlgorithm names the signature algorithm, or is
	// x509.UnknownSignatureAlgorithm when the container names only the key
	// type (rsaEncryption, id-ecPublicKey), as OpenSSL and NSS often do.
	SignatureAlgorithm x509.SignatureAlgorithm
	// Signature is the signature value.
	Signature []byte
	// SignedAttributes is the DER SET OF Attribute the signature covers, nil
	// when the signer has no signed attributes.
	SignedAttributes []byte
	// MessageDigest is the message-digest attribute.
	MessageDigest []byte
	// HasSigningCertV2 reports a signing-certificate-v2 attribute (RFC 5035),
	// and SigningCertV2Matches whether its first ESSCertIDv2 names Signer.
	HasSigningCertV2     bool
	SigningCertV2Matches bool
	// HasSigningCertV1 reports the older signing-certificate attribute
	// (RFC 2634, SHA-1 certificate hash), still written by some TSAs, and
	// SigningCertV1Matches whether its first ESSCertID names Signer.
	HasSigningCertV1     bool
	SigningCertV1Matches bool
	// HasSigningTime reports a signing-time attribute, forbidden by the PAdES
	// baseline; SigningTime is its value.
	HasSigningTime bool
	SigningTime    time.Time
	// TimestampToken is the DER ContentInfo of the first
	// id-aa-signatureTimeStampToken unsigned attribute, nil if none.
	TimestampToken []byte

	raw    signedDataRaw
	sigAlg sigAlg
	sid    signerID
	ess    *essCertIDv2
	essV1  *essCertIDv2 // hash is SHA-1
}

type signerID struct {
	issuer []byte // raw Name, or nil when identified by subject key identifier
	serial *big.Int
	ski    []byte
}

type essCertIDv2 struct {
	hash   crypto.Hash
	digest []byte
	issuer []byte // raw Name from directoryName, nil when absent
	serial *big.Int
}

type signedDataRaw struct {
	version          int64
	digestAlgorithms []byte // full SET element
	encapContentInfo []byte // full SEQUENCE element
	certificates     []byte // full [0] element, nil if absent
	crls             []byte // full [1] element, nil if absent
	signer           signerInfo
}

type signerInfo struct {
	version          int64
	sid              []byte // full element
	digestAlgorithm  []byte // full element
	signedAttrs      []byte // full [0] element
	hasSignedAttrs   bool
	signatureAlg     []byte // full element
	signature        []byte
	unsignedAttrsRaw [][]byte // each Attribute element
}

type attribute struct {
	oid    asn1.ObjectIdentifier
	values []cryptobyte.String // each a full element
}

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }

// Parse reads a DER ContentInfo holding a SignedData with exactly one
// SignerInfo. Trailing zero bytes (PDF /Contents padding) are ignored. BER
// with indefinite lengths, which NSS writes, is accepted and normalised to DER
// first; everything inside must then be DER.
func Parse(der []byte) (*SignedData, error) {
	if len(der) > MaxSize {
		return nil, malformed(fmt.Sprintf("%d bytes exceeds the limit of %d", len(der), MaxSize))
	}
	input := cryptobyte.String(der)
	var ci cryptobyte.String
	if !input.ReadASN1(&ci, cbasn1.SEQUENCE) {
		// Not DER: try BER with indefinite lengths, as NSS writes it.
		if len(der) == 0 || der[0] != 0x30 {
			return nil, malformed("not a ContentInfo")
		}
		converted, rest, err := berToDER(der, 0)
		if err != nil {
			return nil, err
		}
		input = cryptobyte.String(converted)
		if !input.ReadASN1(&ci, cbasn1.SEQUENCE) || !input.Empty() {
			return nil, malformed("not a ContentInfo")
		}
		input = rest
	}
	for _, c := range input {
		if c != 0 {
			return nil, malformed("trailing data after ContentInfo")
		}
	}
	var ctype asn1.ObjectIdentifier
	var wrapped, sdSeq cryptobyte.String
	if !ci.ReadASN1ObjectIdentifier(&ctype) {
		return nil, malformed("content type")
	}
	if !ctype.Equal(OIDSignedData) {
		return nil, malformed(fmt.Sprintf("content type %v is not signed data", ctype))
	}
	if !ci.ReadASN1(&wrapped, tagContext0) || !ci.Empty() ||
		!wrapped.ReadASN1(&sdSeq, cbasn1.SEQUENCE) || !wrapped.Empty() {
		return nil, malformed("signed data content")
	}

	sd := &SignedData{}
	raw := &sd.raw
	if !sdSeq.ReadASN1Integer(&raw.version) || raw.version < 1 || raw.version > 5 {
		return nil, malformed("signed data version")
	}
	var algs cryptobyte.String
	if !sdSeq.ReadASN1Element(&algs, cbasn1.SET) {
		return nil, malformed("digest algorithms")
	}
	raw.digestAlgorithms = algs
	{
		inner := algs
		var set cryptobyte.String
		inner.ReadASN1(&set, cbasn1.SET)
		for n := 0; !set.Empty(); n++ {
			var ai cryptobyte.String
			if n >= maxAlgorithms || !set.ReadASN1(&ai, cbasn1.SEQUENCE) {
				return nil, malformed("digest algorithms")
			}
		}
	}

	var encap cryptobyte.String
	if !sdSeq.ReadASN1Element(&encap, cbasn1.SEQUENCE) {
		return nil, malformed("encapsulated content info")
	}
	raw.encapContentInfo = encap
	if err := sd.parseEncap(encap); err != nil {
		return nil, err
	}

	if sdSeq.PeekASN1Tag(tagContext0) {
		var certsElem cryptobyte.String
		if !sdSeq.ReadASN1Element(&certsElem, tagContext0) {
			return nil, malformed("certificates")
		}
		raw.certificates = certsElem
		if err := sd.parseCertificates(certsElem); err != nil {
			return nil, err
		}
	}
	if sdSeq.PeekASN1Tag(tagContext1) {
		var crls cryptobyte.String
		if !sdSeq.ReadASN1Element(&crls, tagContext1) {
			return nil, malformed("crls")
		}
		raw.crls = crls
	}
	var signerInfos, siSeq cryptobyte.String
	if !sdSeq.ReadASN1(&signerInfos, cbasn1.SET) || !sdSeq.Empty() {
		return nil, malformed("signer infos")
	}
	if !signerInfos.ReadASN1(&siSeq, cbasn1.SEQUENCE) {
		return nil, malformed("no signer info")
	}
	if !signerInfos.Empty() {
		return nil, malformed("more than one signer info")
	}
	if err := sd.parseSignerInfo(siSeq); err != nil {
		return nil, err
	}
	for _, c := range sd.Certificates {
		if sd.sid.matches(c) {
			sd.setSigner(c)
			break
		}
	}
	return sd, nil
}

func (sd *SignedData) parseEncap(encap cryptobyte.String) error {
	var seq cryptobyte.String
	encap.ReadASN1(&seq, cbasn1.SEQUENCE)
	if !seq.ReadASN1ObjectIdentifier(&sd.ContentType) {
		return malformed("encapsulated content type")
	}
	if seq.PeekASN1Tag(tagContext0) {
		var explicit, content cryptobyte.String
		if !seq.ReadASN1(&explicit, tagContext0) || !explicit.ReadASN1(&content, cbasn1.OCTET_STRING) || !explicit.Empty() {
			return malformed("encapsulated content")
		}
		sd.Content = append([]byte{}, content...)
	}
	if !seq.Empty() {
		return malformed("encapsulated content info")
	}
	return nil
}

func (sd *SignedData) parseCertificates(elem cryptobyte.String) error {
	var set cryptobyte.String
	if !elem.ReadASN1(&set, tagContext0) {
		return malformed("certificates")
	}
	for !set.Empty() {
		var cert cryptobyte.String
		var tag cbasn1.Tag
		if !set.ReadAnyASN1Element(&cert, &tag) {
			return malformed("certificates")
		}
		if tag != cbasn1.SEQUENCE {
			continue // other CertificateChoices (attribute certificates): not used
		}
		if len(sd.Certificates) >= maxCertificates {
			return malformed(fmt.Sprintf("more than %d certificates", maxCertificates))
		}
		c, err := certCache.parse(cert)
		if err != nil {
			return fmt.Errorf("%w: certificate %d: %w", ErrMalformed, len(sd.Certificates), err)
		}
		sd.Certificates = append(sd.Certificates, c)
	}
	return nil
}

func (sd *SignedData) parseSignerInfo(si cryptobyte.String) error {
	r := &sd.raw.signer
	if !si.ReadASN1Integer(&r.version) || (r.version != 1 && r.version != 3) {
		return malformed("signer info version")
	}
	var sid cryptobyte.String
	var tag cbasn1.Tag
	if !si.ReadAnyASN1Element(&sid, &tag) {
		return malformed("signer identifier")
	}
	r.sid = sid
	switch tag {
	case cbasn1.SEQUENCE:
		var seq, name cryptobyte.String
		sd.sid.serial = new(big.Int)
		if !sid.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Element(&name, cbasn1.SEQUENCE) ||
			!seq.ReadASN1Integer(sd.sid.serial) || !seq.Empty() {
			return malformed("issuer and serial number")
		}
		sd.sid.issuer = name
	case tagSKI:
		var ski cryptobyte.String
		if !sid.ReadASN1(&ski, tagSKI) || len(ski) == 0 {
			return malformed("subject key identifier")
		}
		sd.sid.ski = ski
	default:
		return malformed("signer identifier")
	}

	var dalg, dseq cryptobyte.String
	var doid asn1.ObjectIdentifier
	if !si.ReadASN1Element(&dalg, cbasn1.SEQUENCE) {
		return malformed("digest algorithm")
	}
	r.digestAlgorithm = dalg
	if !dalg.ReadASN1(&dseq, cbasn1.SEQUENCE) || !dseq.ReadASN1ObjectIdentifier(&doid) {
		return malformed("digest algorithm")
	}
	if !dseq.Empty() {
		var null cryptobyte.String
		if !dseq.ReadASN1(&null, cbasn1.NULL) || !null.Empty() || !dseq.Empty() {
			return malformed("digest algorithm parameters")
		}
	}
	h, err := hashFromOID(doid)
	if err != nil {
		return err
	}
	sd.Hash = h

	var signedAttrs []attribute
	if si.PeekASN1Tag(tagContext0) {
		var elem cryptobyte.String
		if !si.ReadASN1Element(&elem, tagContext0) {
			return malformed("signed attributes")
		}
		r.signedAttrs = elem
		r.hasSignedAttrs = true
		sd.SignedAttributes = retag(elem, 0x31)
		signedAttrs, err = parseAttributes(elem, tagContext0)
		if err != nil {
			return fmt.Errorf("signed attributes: %w", err)
		}
	}

	var salg, sseq cryptobyte.String
	if !si.ReadASN1Element(&salg, cbasn1.SEQUENCE) {
		return malformed("signature algorithm")
	}
	r.signatureAlg = salg
	if !salg.ReadASN1(&sseq, cbasn1.SEQUENCE) {
		return malformed("signature algorithm")
	}
	sa, err := parseSignatureAlgorithm(sseq)
	if err != nil {
		return err
	}
	if sa.hash != 0 && sa.hash != sd.Hash {
		return fmt.Errorf("%w: signature algorithm hash %v differs from digest algorithm %v", ErrUnsupportedAlgorithm, sa.hash, sd.Hash)
	}
	sd.sigAlg = sa
	sd.SignatureAlgorithm = sa.x509Alg

	var sig cryptobyte.String
	if !si.ReadASN1(&sig, cbasn1.OCTET_STRING) || len(sig) == 0 {
		return malformed("signature value")
	}
	r.signature = sig
	sd.Signature = sig

	if si.PeekASN1Tag(tagContext1) {
		var elem cryptobyte.String
		if !si.ReadASN1Element(&elem, tagContext1) {
			return malformed("unsigned attributes")
		}
		unsigned, err := parseAttributes(elem, tagContext1)
		if err != nil {
			return fmt.Errorf("unsigned attributes: %w", err)
		}
		var set cryptobyte.String
		elem.ReadASN1(&set, tagContext1)
		for !set.Empty() {
			var a cryptobyte.String
			set.ReadASN1Element(&a, cbasn1.SEQUENCE)
			r.unsignedAttrsRaw = append(r.unsignedAttrsRaw, a)
		}
		for _, a := range unsigned {
			if a.oid.Equal(OIDAttrSignatureTimeStamp) && sd.TimestampToken == nil {
				v := a.values[0]
				var tok cryptobyte.String
				if !v.ReadASN1Element(&tok, cbasn1.SEQUENCE) || !v.Empty() {
					return malformed("signature timestamp token")
				}
				sd.TimestampToken = tok
			}
		}
	}
	if !si.Empty() {
		return malformed("trailing data in signer info")
	}
	if r.hasSignedAttrs {
		return sd.readSignedAttributes(signedAttrs)
	}
	return nil
}

// parseAttributes reads a SET OF Attribute under tag; each attribute must
// have at least one value and no type may repeat.
func parseAttributes(elem cryptobyte.String, tag cbasn1.Tag) ([]attribute, error) {
	var set cryptobyte.String
	if !elem.ReadASN1(&set, tag) {
		return nil, malformed("attribute set")
	}
	var out []attribute
	for !set.Empty() {
		if len(out) >= maxAttributes {
			return nil, malformed(fmt.Sprintf("more than %d attributes", maxAttributes))
		}
		var seq, values cryptobyte.String
		var a attribute
		if !set.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1ObjectIdentifier(&a.oid) ||
			!seq.ReadASN1(&values, cbasn1.SET) || !seq.Empty() {
			return nil, malformed("attribute")
		}
		for !values.Empty() {
			var v cryptobyte.String
			var t cbasn1.Tag
			if len(a.values) >= maxAttributes || !values.ReadAnyASN1Element(&v, &t) {
				return nil, malformed("attribute value")
			}
			a.values = append(a.values, v)
		}
		if len(a.values) == 0 {
			return nil, malformed(fmt.Sprintf("attribute %v without a value", a.oid))
		}
		for _, prev := range out {
			if prev.oid.Equal(a.oid) {
				return nil, malformed(fmt.Sprintf("attribute %v repeated", a.oid))
			}
		}
		out = append(out, a)
	}
	return out, nil
}

func (sd *SignedData) readSignedAttributes(attrs []attribute) error {
	var haveType, haveDigest bool
	for _, a := range attrs {
		switch {
		case a.oid.Equal(OIDAttrContentType):
			var oid asn1.ObjectIdentifier
			v := a.values[0]
			if len(a.values) != 1 || !v.ReadASN1ObjectIdentifier(&oid) || !v.Empty() {
				return malformed("content-type attribute")
			}
			if !oid.Equal(sd.ContentType) {
				return malformed(fmt.Sprintf("content-type attribute %v differs from the content type %v", oid, sd.ContentType))
			}
			haveType = true
		case a.oid.Equal(OIDAttrMessageDigest):
			var d cryptobyte.String
			v := a.values[0]
			if len(a.values) != 1 || !v.ReadASN1(&d, cbasn1.OCTET_STRING) || !v.Empty() {
				return malformed("message-digest attribute")
			}
			if len(d) != sd.Hash.Size() {
				return malformed(fmt.Sprintf("message digest of %d bytes for %v", len(d), sd.Hash))
			}
			sd.MessageDigest = d
			haveDigest = true
		case a.oid.Equal(OIDAttrSigningTime):
			v := a.values[0]
			var t time.Time
			ok := false
			switch {
			case v.PeekASN1Tag(cbasn1.UTCTime):
				ok = v.ReadASN1UTCTime(&t)
			case v.PeekASN1Tag(cbasn1.GeneralizedTime):
				ok = v.ReadASN1GeneralizedTime(&t)
			}
			if len(a.values) != 1 || !ok || !v.Empty() {
				return malformed("signing-time attribute")
			}
			sd.HasSigningTime = true
			sd.SigningTime = t
		case a.oid.Equal(OIDAttrSigningCertV2):
			ess, err := parseSigningCertV2(a.values[0])
			if err != nil {
				return err
			}
			sd.HasSigningCertV2 = true
			sd.ess = ess
		case a.oid.Equal(OIDAttrSigningCertificate):
			ess, err := parseSigningCertV1(a.values[0])
			if err != nil {
				return err
			}
			sd.HasSigningCertV1 = true
			sd.essV1 = ess
		}
	}
	if !haveType {
		return malformed("no content-type attribute")
	}
	if !haveDigest {
		return malformed("no message-digest attribute")
	}
	return nil
}

// parseSigningCertV1 reads the first ESSCertID of a SigningCertificate
// (RFC 2634): a SHA-1 hash and an optional issuer and serial.
func parseSigningCertV1(v cryptobyte.String) (*essCertIDv2, error) {
	var sc, certs, id cryptobyte.String
	if !v.ReadASN1(&sc, cbasn1.SEQUENCE) || !v.Empty() ||
		!sc.ReadASN1(&certs, cbasn1.SEQUENCE) || !certs.ReadASN1(&id, cbasn1.SEQUENCE) {
		return nil, malformed("signing-certificate attribute")
	}
	ess := &essCertIDv2{hash: crypto.SHA1}
	var digest cryptobyte.String
	if !id.ReadASN1(&digest, cbasn1.OCTET_STRING) || len(digest) != sha1.Size {
		return nil, malformed("signing-certificate certificate hash")
	}
	ess.digest = digest
	if err := ess.readIssuerSerial(id); err != nil {
		return nil, err
	}
	return ess, nil
}

// parseSigningCertV2 reads the first ESSCertIDv2 of a SigningCertificateV2.
func parseSigningCertV2(v cryptobyte.String) (*essCertIDv2, error) {
	var scv2, certs, id cryptobyte.String
	if !v.ReadASN1(&scv2, cbasn1.SEQUENCE) || !v.Empty() ||
		!scv2.ReadASN1(&certs, cbasn1.SEQUENCE) || !certs.ReadASN1(&id, cbasn1.SEQUENCE) {
		return nil, malformed("signing-certificate-v2 attribute")
	}
	ess := &essCertIDv2{hash: crypto.SHA256}
	if id.PeekASN1Tag(cbasn1.SEQUENCE) {
		var ai cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !id.ReadASN1(&ai, cbasn1.SEQUENCE) || !ai.ReadASN1ObjectIdentifier(&oid) {
			return nil, malformed("signing-certificate-v2 hash algorithm")
		}
		h, err := hashFromOID(oid)
		if err != nil {
			return nil, fmt.Errorf("signing-certificate-v2: %w", err)
		}
		ess.hash = h
	}
	var digest cryptobyte.String
	if !id.ReadASN1(&digest, cbasn1.OCTET_STRING) || len(digest) != ess.hash.Size() {
		return nil, malformed("signing-certificate-v2 certificate hash")
	}
	ess.digest = digest
	if err := ess.readIssuerSerial(id); err != nil {
		return nil, err
	}
	return ess, nil
}

// readIssuerSerial reads the optional IssuerSerial that ends an ESSCertID.
func (ess *essCertIDv2) readIssuerSerial(id cryptobyte.String) error {
	if !id.Empty() {
		var is, names cryptobyte.String
		ess.serial = new(big.Int)
		if !id.ReadASN1(&is, cbasn1.SEQUENCE) || !is.ReadASN1(&names, cbasn1.SEQUENCE) ||
			!is.ReadASN1Integer(ess.serial) || !is.Empty() || !id.Empty() {
			return malformed("signing-certificate issuer serial")
		}
		for !names.Empty() {
			var gn cryptobyte.String
			var tag cbasn1.Tag
			if !names.ReadAnyASN1(&gn, &tag) {
				return malformed("signing-certificate issuer name")
			}
			if tag == tagDirName && ess.issuer == nil {
				var name cryptobyte.String
				if !gn.ReadASN1Element(&name, cbasn1.SEQUENCE) || !gn.Empty() {
					return malformed("signing-certificate directory name")
				}
				ess.issuer = name
			}
		}
		if ess.issuer == nil {
			return malformed("signing-certificate issuer serial without a directory name")
		}
	}
	return nil
}

func (id signerID) matches(c *x509.Certificate) bool {
	if id.ski != nil {
		return bytes.Equal(id.ski, c.SubjectKeyId)
	}
	return bytes.Equal(id.issuer, c.RawIssuer) && id.serial.Cmp(c.SerialNumber) == 0
}

func (sd *SignedData) setSigner(c *x509.Certificate) {
	sd.Signer = c
	sd.SigningCertV2Matches = sd.ess != nil && sd.ess.names(c)
	sd.SigningCertV1Matches = sd.essV1 != nil && sd.essV1.names(c)
}

// names reports whether the ESSCertID(v2) identifies c.
func (e *essCertIDv2) names(c *x509.Certificate) bool {
	var sum []byte
	if e.hash == crypto.SHA1 {
		d := sha1.Sum(c.Raw) // RFC 2634 certificate identification, not a signature
		sum = d[:]
	} else {
		h := e.hash.New()
		h.Write(c.Raw)
		sum = h.Sum(nil)
	}
	if !bytes.Equal(sum, e.digest) {
		return false
	}
	return e.issuer == nil || (bytes.Equal(e.issuer, c.RawIssuer) && e.serial.Cmp(c.SerialNumber) == 0)
}

// UseSigner sets Signer to c, for containers that do not carry their signer's
// certificate (a timestamp token requested without certReq). It returns an
// error wrapping ErrNoSignerCertificate if the signer identifier does not
// name c.
func (sd *SignedData) UseSigner(c *x509.Certificate) error {
	if c == nil || !sd.sid.matches(c) {
		return fmt.Errorf("%w: the signer identifier does not name the given certificate", ErrNoSignerCertificate)
	}
	sd.setSigner(c)
	return nil
}

// Verify checks the signature against contentDigest, the digest of the
// (detached or encapsulated) content computed with sd.Hash: the
// message-digest attribute must equal it and the signature over the signed
// attributes must verify with Signer's public key. A signing-certificate-v2
// attribute that names another certificate fails with ErrSigningCertMismatch,
// which is returned only once the digest and signature have verified.
// Verify does not check the certificate chain or its validity period.
func (sd *SignedData) Verify(contentDigest []byte) error {
	if sd.Signer == nil {
		return ErrNoSignerCertificate
	}
	if len(contentDigest) != sd.Hash.Size() {
		return fmt.Errorf("%w: digest of %d bytes for %v", ErrDigestMismatch, len(contentDigest), sd.Hash)
	}
	digest := contentDigest
	if sd.raw.signer.hasSignedAttrs {
		if !bytes.Equal(sd.MessageDigest, contentDigest) {
			return ErrDigestMismatch
		}
		h := sd.Hash.New()
		h.Write(sd.SignedAttributes)
		digest = h.Sum(nil)
	}
	if err := verifySignature(sd.Signer.PublicKey, sd.sigAlg, sd.Hash, digest, sd.Signature); err != nil {
		return err
	}
	if sd.HasSigningCertV2 && !sd.SigningCertV2Matches {
		return ErrSigningCertMismatch
	}
	if sd.HasSigningCertV1 && !sd.SigningCertV1Matches {
		return fmt.Errorf("%w (signing-certificate v1)", ErrSigningCertMismatch)
	}
	return nil
}
