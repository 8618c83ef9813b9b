// Package xmlsig checks and makes the enveloped XML-DSig signatures that
// edXML packets carry (package lienthong/shared/edxml), so that a packet
// signed by another agency's document system is verified here, and a packet
// Lienthong exports is verified by theirs and by xmlsec1.
//
// # Verifying
//
// [Verify] takes a packet's bytes. It refuses a packet over the size limit
// before parsing anything, reads it with [edxml.Read] (which refuses
// DOCTYPE declarations, so no entity is ever expanded, and bounds depth,
// element count and text size), then checks the one enveloped signature:
//
//   - exactly one ds:Signature in the whole document, where edxml found it
//     (in edXMLHeader; in edXMLEnvelope or the root, where .NET appends it,
//     with edxml's warning), with exactly one Reference whose
//     URI is "": the whole document. The digest is computed over the root
//     element of the bytes just read, with the signature removed by the
//     enveloped-signature transform, never over an element the signature
//     names, so a signature moved, copied or wrapped around other content
//     covers nothing but what is read;
//   - transforms: the enveloped-signature transform and at most one
//     canonicalisation (C14N 1.0, C14N 1.1 or exclusive C14N, with or
//     without comments); none given means C14N 1.0, as the standard says.
//     XPath, XSLT and other transforms are refused;
//   - signature methods RSA (PKCS #1 v1.5) and ECDSA with SHA-1, SHA-256,
//     SHA-384 or SHA-512; an ECDSA value is r||s as XML-DSig requires (a
//     DER value, which some libraries write, is accepted with a warning);
//   - the key is the first end-entity certificate of KeyInfo/X509Data; the
//     other certificates there are intermediates for the chain.
//
// The reference's digest and transforms are read from the canonical
// SignedInfo bytes whose signature was checked, not from the tree.
//
// What the check found is a [Result]: the signer, whether the chain leads
// to our roots through a [certs.Verifier] ([TrustVerified]), to no root of
// ours ([TrustNotUnderRoots]: a packet from a system under another CA is
// still shown, as such), or fails for another reason (expired at the time
// of the check, revoked, not allowed to sign documents: [TrustInvalid]), or
// was not checked; and
// the [Warning]s, SHA-1 first: RSA-SHA1 and SHA-1 digests are common in
// circulation and accepted with a warning, or refused with
// [ErrWeakAlgorithm] when [Options.RefuseWeak] is set.
//
// A signature that does not match (a byte of signed content changed, the
// signature or its value altered, a second Signature element) gives
// [ErrBadSignature]; forms this package does not check give
// [ErrUnsupported].
//
// A signature over the whole packet covers the attachments, so Verify
// holds the packet as a tree and its canonical form: about six times the
// packet's size at peak (TestVerifyMemory measures a 12 MB packet), within
// the 50 MB cap that Verify checks before it parses anything.
//
// # Signing
//
// [Sign] adds an enveloped signature to an exported, unsigned packet:
// RSA-SHA256 (PKCS #1 v1.5) or ECDSA-SHA256 (r||s), SHA-256 digest,
// exclusive C14N, Reference URI "" with the enveloped-signature transform,
// and the signer's certificate chain in KeyInfo/X509Data. The Signature
// element is inserted as the last child of edXMLHeader, and every other
// byte of the packet is left as it was. The result is verified before it
// is returned, so a key that signs wrongly (a token, a remote service) never
// yields a packet. xmlsec1 --verify accepts what it makes (a test checks).
//
// github.com/russellhaering/goxmldsig signs ECDSA with the DER value that
// crypto.Signer returns, which XML-DSig verifiers refuse; Sign hands it a
// signer that turns DER into r||s, and Verify checks ECDSA itself. The
// library's canonicalisers are used for both.
package xmlsig
