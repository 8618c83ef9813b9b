// Package pades signs PDF documents with PAdES baseline signatures (levels
// B-B and B-T, ETSI EN 319 142-1) and verifies them for auditors.
//
// # Signing
//
// [Sign] and [SignFile] append an incremental update to the document: the
// original bytes are copied unchanged, followed by a signature dictionary
// (/SubFilter /ETSI.CAdES.detached), a signature field and widget on the
// chosen page, the updated page and AcroForm, and a cross-reference section
// of the same kind as the file's last one (a classic table or a
// cross-reference stream). The input is read once, hashed while it is
// copied; only the tail and the few objects that change are parsed, so
// memory use does not grow with the document. The key comes in
// [Options.Signer], a [certs.Signer] (a key file today, a PKCS#11 token
// tomorrow: see package certs); [Prepare] and [Prepared.Finish] split
// signing in two for signers that cannot be called in one step (a remote
// service).
//
// Encrypted, damaged and non-PDF input is refused with errors wrapping
// [ErrEncrypted], [ErrDamaged] and [ErrNotPDF]; [SignFile] then writes
// nothing (it writes a temporary file beside the target and renames it only
// on success), and neither does it when the signer fails.
//
// # Verification
//
// [Verify] reports, per signature, the signer, the chain to the configured
// roots at the proven signing time, digest and signature validity, the
// signing-certificate-v2 match, the PAdES level, revocation from CRLs
// ("unknown" when none applies) and, above all, what changed in later
// revisions.
//
// A receiver that hashes a file as it streams in (a hub checking an
// upload's SHA-256) hashes with a [RangeHasher] instead, which also
// hashes, in the same pass, the ranges a signature over the file's last
// /Contents string covers; given the result as a [Prehashed] source,
// Verify takes that digest for a signature whose /ByteRange is exactly
// those ranges (SHA-256) instead of reading and hashing them again, and
// hashes any other signature's ranges from the file.
//
// # Policy
//
// The proven signing time is that of a valid signature timestamp, else
// now: the signer's claimed time (/M) is reported, never relied on. An
// untimestamped signature whose certificate is not valid now is
// indeterminate ([SignatureReport.Indeterminate]): not valid, said plainly.
// Only certificates [certs.MayIssueDocuments] accepts sign documents
// (persons and agencies, not a hub, a timestamping authority or the
// receipt identity). A signer revoked at or before the proven signing time
// makes the signature invalid; revoked after a timestamp it is reported
// [RevocationRevokedLater] and stays valid. A revoked timestamping
// authority proves no time. See policy.go. Every object added or
// replaced after a signature is classified: new signatures, their fields
// and widgets, the appearance streams they reference, AcroForm updates that
// only add signature fields and pages whose only change is /Annots gaining
// signature widgets are allowed; anything else (replaced page content, new
// annotations of other kinds, replaced or deleted objects) makes the
// document fail with a description of the change.
//
// Forms that ask viewers to regenerate their fields' appearances
// (/NeedAppearances true, as LibreOffice exports them) follow one rule on
// both sides (see form.go): the first signature removes the flag in its
// own update, a form already signed with it keeps it, and a change of the
// flag after a signature is forbidden.
//
// # Hostile input
//
// The PDF reader is this package's own (see document.go for why); it reads
// classic and stream cross-references, hybrid files, object streams and
// linearized files, and is fuzzed. A document and the revisions its
// signatures sign share one budget sized from the file (budget.go):
// decoded stream bytes (16 times the size, at least 32 MiB, at most
// 128 MiB), parsed values, cross-reference entries and sections, nesting,
// form fields and signatures. Verify, Sign and PageBox refuse a document
// over it with a *BudgetError wrapping [ErrBudget], which no other
// sentinel accompanies; nothing decoded is kept beyond what it paid for.
package pades
