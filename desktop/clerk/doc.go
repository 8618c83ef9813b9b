// Package clerk is the clerk's core: the use-cases a văn thư performs and the
// engine that syncs the local store with the hub. It has no user interface;
// the Fyne desktop (desktop/ui) and the headless lienthong-clerk command are
// two front ends over it.
//
// # Offline first
//
// Every action is one transaction of the local store (desktop/store) first,
// then an item of its outbox: issuing a document numbers it from the
// outgoing register, signs each PDF with the agency's key, seals the
// envelope and saves and queues it at once, network or not. The sync engine
// (Clerk.Sync once, Clerk.Run until stopped) pushes the outbox, long-polls
// the inbox and the statuses of sent documents, and refreshes the directory.
//
// # Receiving
//
// A document from the inbox is verified (the envelope against the roots,
// its attachments' names by envelope.CheckAttachmentName, their types
// against this clerk's policy (AttachmentTypes: PDF only unless set; see
// types.go), each attachment's SHA-256 (its bytes downloaded, or carried
// in the inbox item when small: wire.InboxItem.Inline) and its bytes by
// envelope.CheckFile, every PDF signature with pades.Verify against the
// PKI's CRLs, which the clerk fetches from the hub and caches until their
// next update: see trust.go), stored with its verification report, its
// automatic 01 and the acknowledgement to the hub in one transaction, and
// only then acknowledged. A message id already stored is never delivered
// to the clerk twice. Receipts count only when signed by the hub's receipt
// identity the clerk was set up with.
//
// # edXML
//
// Clerk.ImportEdXML files a packet handed over by file from a document
// system not connected to the hub, after the checks of a packet from the
// hub (its XML signature under the roots and CRLs, or refused unless
// ImportOptions.UnsignedOK, which records it as not verified and the
// document's view says so), registers it (03) and keeps its bytes; such a
// document has no copy at the hub, so its statuses are recorded and
// exported (ExportEdXMLStatus), not queued. Clerk.ExportEdXML writes any
// stored document as a signed edXML packet (see edxml.go).
//
// A document a system sent to the hub as edXML comes from the inbox as
// the sender's own packet (edxmlhub.go): it passes the same checks (one
// reading and filing path, edxmlread.go; its XML signature or the
// detached CMS signature given with it), is filed under the hub's message
// id and acknowledged, or refused through the hub; this agency's statuses
// about it go back as edXML status packets signed with the agency's key,
// and a system's edXML statuses about this agency's documents are
// verified before they are recorded. A document keeps one số đến: the
// hub's delivery of a paper already imported from a file is acknowledged,
// not filed again (DocumentDuplicate), and its statuses then go through
// the hub.
//
// # The two signatures
//
// ND30 has the competent person sign a document first (a person
// certificate), then the clerk number, date and seal it (the agency's
// certificate). Before a number is taken, Issue, Update and Replace check
// the main PDF for a valid signature of a person of this agency
// (CheckPersonSignature) and, as SettingPersonSignature says, warn
// (PersonSignatureWarning), refuse (*PersonSignatureError: nothing
// numbered, signed or saved) or do not look. A leader at the clerk's desk
// signs with SignAsPerson (a file key or a token's). DocumentView.Signers
// names each signature of the main PDF in its role; which agency a
// certificate belongs to is decided in one place, signerAgency (see
// signers.go).
//
// # Agencies closed by a reorganisation
//
// A recipient whose code was closed (the 2025 mergers) is never signed
// into a document: Issue refuses it with a *RecipientClosedError naming
// the successor when the cached directory knows the closure, and the
// hub's recipient_closed refusal carries the same (RecipientClosedOf),
// after which the directory is fetched again. A document the hub refuses
// for good (recipient_closed among others: wire.Code.Returns) leaves the
// outbox as returned, in the transaction that records the refusal, and is
// never retried; Resend sends it again re-addressed, as a new message
// under the same number (returned.go). A document from a closed
// code, signed before the closure, verifies as any other; lists and the
// document's view name its successor (Summary.Successor,
// DocumentView.FromSuccessor). See succession.go.
//
// # Attachments and their names
//
// An attachment's name is shown, never used for a file: the front ends
// open or save it under AttachmentFileName ("567-QĐ-UBND-1.pdf", the
// extension of the content type checked), through OpenAttachment, which
// checks the file's header again. Only PDFs are sent and received.
//
// # Classified documents
//
// Validate refuses a document marked Mật, Tối mật or Tuyệt mật before a
// number is taken (they are not encrypted from end to end, and a hub
// refuses them unless its allow_secret_documents is set); Options.AllowSecret
// lets a clerk whose hub takes them send them.
//
// A document this clerk can never take — a packet whose signature does not
// verify, a signer whose certificate is expired, revoked or untrusted, a
// packet that cannot be read, an attachment over Options.MaxAttachment —
// is set aside as refused (Clerk.Refusals: its cause, the reason the
// sender is told, the packet if small) in the transaction that moves the
// inbox cursor past it, and the refusal goes to the hub through the
// outbox; the sender sees status 02 with the reason. A failure of the
// network, the hub or the disk is never a refusal: the cursor stays, and
// the engine retries with backoff (see refuse.go).
//
// # Events
//
// Clerk.Subscribe gives a buffered channel of typed events (DocumentArrived,
// StatusChanged, ConnectionChanged, OutboxChanged, TransferProgress,
// DocumentChanged, DocumentRefused, DocumentReturned, SyncFailed). The engine never blocks on a subscriber: a subscriber
// whose buffer is full loses the event. Front ends re-read the store when
// they see an event, so a lost event costs a refresh, never data.
//
// # Files in the home folder
//
//	clerk.db      the encrypted store (bbolt)
//	spool/        files in transit: a PDF being signed, an attachment being
//	              downloaded; encrypted under a key that lives only in the
//	              process's memory, removed when done and on the next Open
//
// Uploads read the attachment straight from the store and resume from the
// offset the hub holds, across hub restarts. Downloads resume within the
// process from what the spool holds.
//
// # Stopping
//
// Cancel the context given to Run and wait for it to return before Close.
package clerk
