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
//     hub's RFC 3161 service;
//   - the receipt-signing certificate ([Authority.IssueReceipt]): one
//     identity for all the nodes of a hub service, apart from their TLS
//     keys, named by the URI urn:lienthong:receipts:<name>.
//
// # Trust policy
//
// Who may sign what is decided in one function each, which everything
// that verifies calls:
//
//   - [DocumentSigner] ([MayIssueDocuments] without a directory): only
//     agency and person certificates sign documents (the signing key
//     usages, exactly one agency — [Identify] —, no service usage such as
//     serverAuth or timeStamping). A hub, a timestamping authority or the
//     receipt identity signs no công văn, even under the root.
//   - [MayIssueReceipts]: receipts count only when signed by the receipt
//     identity whose name the client has configured (pinned by name, so
//     that the certificate can be renewed without reconfiguring every
//     clerk; [DefaultReceiptSigner] when none is configured). A hub node's
//     TLS certificate signs no receipt.
//   - Revocation is judged against the proven signing time: see package
//     pades. A signer revoked at or before the time a timestamp proves (or
//     before now, without a timestamp) makes the signature invalid; one
//     revoked after a timestamp proves the signature existed is reported
//     "revoked later" and stays valid.
//
// [Authority.CRL] signs a certificate revocation list.
//
// # Keys on disk
//
// Private keys are PEM files encrypted under a passphrase with scrypt and
// XChaCha20-Poly1305 ([EncryptKeyPEM]); only the demo PKI writes them in the
// clear, and says so on the terminal and in a file beside the keys
// ([DemoWarningFile]), never inside a key file: each key file is one PEM
// block that every TLS library reads. [EncodePKCS12] and [DecodePKCS12] carry a key with its
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
// command-line signers go through it. A key in a PKCS#11 token is opened
// by package certs/token, which needs cgo and so stays out of certs (and of
// the hub's static binary): it yields a [KeyPair] whose Key signs inside
// the token, and nothing that signs changes. OpenSigner refuses a
// "pkcs11:" URI with [ErrTokenUnsupported] so that a program built without
// the token package says so. Signatures from such keys are verified before
// use ([NeedsSignatureCheck]).
//
// # Identity
//
// [Identify] is the one rule for who a certificate stands for, on the hub
// and at the clerk alike: the agency its urn:lienthong:agency: URI names
// (or, for a person, urn:lienthong:member-of:); else, for a certificate of
// another CA (the Government's specialised CA of Ban Cơ yếu, licensed
// public CAs such as VNPT-CA or Viettel-CA, which carry no such name), the
// directory's registration of its SHA-256 ([Registry], [Registration]):
// the agency, a [Role] (agency, seal, tls or person) and for a person the
// name. Fingerprints, not subject attributes, because the subjects those
// CAs write (O/OU with the agency's name, UID "MST:<tax code>" or
// "CCCD:<number>") are not unique to one agency or unit and are the CA's
// to write, while a fingerprint names one certificate that the operator
// has seen.
//
// A [Verifier] holds the configured roots — our own ([NewVerifier]) and
// other CAs' ([Verifier.SetForeignRoots], trusted only for agency and
// person chains, never for a hub, a timestamping authority or receipts,
// and never for a certificate carrying an urn:lienthong: name,
// [ErrForeignName]) —, the revocation lists and the registrations in force
// ([Verifier.SetRegistry]). It derives the verified agency of a peer from
// its certificate chain ([Verifier.Agency]) and refuses anything that is
// not chained to a configured root, is expired or revoked, or does not
// stand for exactly one agency in a role that connects. [ServerTLS] and
// [ClientTLS] build TLS 1.3 mutual-auth configs on it.
package certs
