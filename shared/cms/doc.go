// Package cms builds, parses and verifies CMS SignedData containers
// (RFC 5652) of the kind PAdES signatures, RFC 3161 timestamp tokens and the
// hub's detached signatures over document envelopes use.
//
// # Signing
//
// The content is never passed in: the caller hashes it (a PDF's byte range, an
// envelope file) while streaming and hands over the digest. A signature carries
// exactly three signed attributes, as the PAdES baseline profile (ETSI EN 319
// 142-1) asks: content-type (id-data), message-digest and signing-certificate-v2
// (RFC 5035) naming the signer's certificate by its SHA-256 hash and issuer and
// serial number. It never carries signing-time, which PAdES forbids (the time
// goes in the PDF's /M entry, or in a timestamp).
//
// [Sign] signs in one step with a [certs.Signer], a key (in a file, or in a
// PKCS#11 token) with its certificate chain; a signature from any key but the
// standard library's in memory is verified before it is embedded. For signers
// that cannot be called in one step (a remote signing service) [NewBuilder]
// splits the work: [Builder.DigestToSign] gives the digest to sign and
// [Builder.Finish] takes the signature back and assembles the container, after
// checking that the signature verifies with the signer's certificate.
//
// Supported algorithms: ECDSA (P-256, P-384, P-521) and RSA PKCS#1 v1.5 for
// signing, chosen from the signer's public key by [certs.SignatureAlgorithm];
// the same plus RSASSA-PSS for verification; SHA-256, SHA-384 and SHA-512
// digests. SHA-1 is refused.
//
// # Parsing and verifying
//
// [Parse] is strict DER (definite lengths, minimal encodings), bounded in size
// and counts, and never panics; it is fuzzed. The one allowance is BER with
// indefinite lengths around the DER parts, which NSS (poppler's pdfsig)
// writes: it is normalised to DER before parsing. It accepts containers from other
// producers (OpenSSL, NSS/poppler, TSAs) and reports what a PAdES auditor needs:
// the signer, whether signing-certificate-v2 is present and matches, whether a
// forbidden signing-time is present, and the signature timestamp token.
// Trailing zero bytes after the container are ignored, because a PDF's
// /Contents string is zero-padded to its reserved size; any other trailing byte
// is an error.
//
// [SignedData.Verify] checks the message-digest attribute against the
// caller's content digest and the signature over the signed attributes; its
// errors wrap the sentinels [ErrDigestMismatch], [ErrBadSignature],
// [ErrNoSignerCertificate], [ErrSigningCertMismatch] and
// [ErrUnsupportedAlgorithm]. It does not build or check a certificate chain:
// that, with the time of validation, is the caller's decision.
//
// # Timestamps
//
// [SignatureValue] returns the signature octets that a PAdES signature
// timestamp covers, and [AddTimestamp] adds the token (from package tsa) as the
// unsigned attribute id-aa-signatureTimeStampToken, giving level B-T.
//
// The certificate set is written in chain order (leaf first) rather than sorted
// as DER would sort a SET OF: RFC 5652 requires DER only for the signed
// attributes, and readers find the leaf first.
package cms
