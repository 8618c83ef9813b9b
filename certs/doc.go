// Package certs is Lienthong's public-key infrastructure: one government
// root that every agency trusts, an issuing CA under it, and the
// certificates the system runs on.
//
// # Issuing
//
// [NewRoot] creates the root CA and [Authority.NewIssuing] the issuing CA
// below it. An issuing [Authority] then issues, each with its own profile
// (key usages, extended key usages, a CRL distribution point):
//
//   - hub server certificates ([Authority.IssueHub]), for TLS;
//   - agency certificates ([Authority.IssueAgency]): the agency's identity in
//     mutual TLS and its seal on documents. The agency code (mã định danh)
//     travels in a URI subject alternative name urn:lienthong:agency:<code>;
//   - person certificates ([Authority.IssuePerson]) for the competent signer,
//     signing only: they can never authenticate a connection;
//   - timestamping certificates ([Authority.IssueTimestamping]) for the
//     hub's RFC 3161 service.
//
// [Authority.CRL] signs a certificate revocation list.
//
// # Keys on disk
//
// Private keys are PEM files encrypted under a passphrase with scrypt and
// XChaCha20-Poly1305 ([EncryptKeyPEM]); only the demo PKI writes them in the
// clear, and says so. [EncodePKCS12] and [DecodePKCS12] carry a key with its
// chain to and from a clerk's desktop.
//
// # Signing
//
// Everything that signs (PDF signatures in package pades, envelope and
// status packets in envelope, receipts, timestamp tokens in tsa, and the
// CMS containers under them all) takes a [Signer]: a crypto.Signer with its
// certificate chain. [*KeyPair] is one. Algorithms are chosen from the
// public key alone ([SignatureAlgorithm], [SigningHash]), so a key that
// never leaves its hardware signs exactly as a key file does.
//
// [OpenSigner] is the one place keys are opened from what a user names
// ([SignerRef]: a key file with its certificate file, or a PKCS#12 file,
// with a passphrase); the hub's identity and timestamping keys and the
// command-line signers go through it. A PKCS#11 token plugs in there: a
// "pkcs11:" URI in [SignerRef.Key] (refused today with
// [ErrTokenUnsupported]) will yield a [KeyPair] whose Key signs inside the
// token, and nothing that signs changes. Signatures from such keys are
// verified before use ([NeedsSignatureCheck]).
//
// # Identity
//
// A [Verifier] holds the configured roots and revocation lists. It derives
// the verified agency code of a peer from its certificate chain
// ([Verifier.Agency]) and refuses anything that is not chained to a
// configured root, is expired or revoked, or does not name exactly one
// agency. [ServerTLS] and [ClientTLS] build TLS 1.3 mutual-auth configs on it.
package certs
