// Package store is the clerk's local store: a single bbolt file on the
// clerk's machine that is the source of truth for outgoing and incoming
// documents, their attachments, status histories and receipts, the outbox
// queue towards the hub, the sync cursors, the cached agency directory, the
// registers (sổ đăng ký) and the clerk's identity. It has no network and no
// user interface; the sync engine and the use-cases (desktop/clerk) sit on top.
//
// # Use
//
// Issuing: stage each PDF with Store.NewAttachment, reserve a number with
// Store.NextNumber (or check a number typed by the clerk with
// Store.CheckDuplicate), sign, then Store.SaveOutgoing with a SendDocument
// outbox item. Receiving: Store.SaveIncoming with the 01 status, the Ack
// and SendStatus items and the new inbox cursor; then Store.Register (03,
// số đến) and Store.AddStatus for 04, 05, 06, 02 and answers to a recall.
// The sync engine reads Store.Outbox and calls Store.Done when the hub has
// accepted an item. The UI lists with Store.List, Store.Count and
// Store.Search, opens with Store.Get, Store.OpenAttachment and
// Store.History, and marks with Store.MarkRead. An incoming recall is saved
// with its effect on the documents it recalls (NewDocument.Recalls: their
// 13 and the link Store.RecallOf follows); the hub's log proofs of a
// document's receipts are awaited with Store.AwaitProofs and kept with
// Store.KeepProofs. An incoming document the clerk cannot take is set
// aside with Store.SetAside (its record, the Refuse outbox item and the
// new inbox cursor in one transaction) and listed with Store.Refusals.
//
// # Transactions and durability
//
// Every method that changes state is one bbolt write transaction, committed
// with an fsync (bbolt's default), so a method that returned nil is durable:
// a crash or power cut afterwards loses nothing, and a crash before leaves no
// half record. Large attachments are the one exception to "one transaction":
// their bytes are staged first in transactions of a few chunks each
// (Store.NewAttachment), and the document that owns them is committed later in
// one transaction; staged chunks that no document claimed are deleted the next
// time the store is opened.
//
// Only one process may have a store open: Open takes an exclusive lock on the
// file and fails with ErrLocked while another holds it.
//
// # Encryption at rest
//
// A random 256-bit data key encrypts every record with XChaCha20-Poly1305,
// with a fresh random nonce per record and the record's bucket and key as
// additional data, so that records cannot be swapped or moved. The data key
// itself is sealed under a key derived from the clerk's passphrase with
// Argon2id; the salt and the Argon2 parameters are stored in the file.
// ChangePassphrase re-seals only the data key.
//
// Stored encrypted: document metadata and packets, attachment bytes,
// status histories, receipts, the hub's log proofs, recall links, records
// of refused documents, outbox
// items, verification reports, settings, cursors and the clerk's private
// key and certificates.
//
// Stored in the clear, because listing and sorting 100,000 documents must not
// decrypt them all:
//   - message ids (random hexadecimal, they say nothing of the content) and
//     internal sequence numbers;
//   - per document, in the sort indexes: the document number as an integer,
//     the promulgation date and due date as day numbers, the urgency, secrecy
//     and status codes, and the read and done flags;
//   - for sorting by agency name and by subject: only a rank (an opaque
//     64-bit position preserving the order of the folded texts), never the
//     texts, which are kept encrypted beside it;
//   - the search index: HMAC-SHA256 (keyed from the data key) of every
//     prefix of up to six letters of every folded word, truncated to 8 bytes:
//     someone without the passphrase sees how often hashed prefixes occur,
//     not the words. Candidates found through it are confirmed against the
//     document's encrypted word list;
//   - duplicate detection: HMACs of document ids and of number, notation,
//     agency and year;
//   - register counters (the last number given per year and series);
//   - the cached agency directory, which is public (the national list of
//     agency codes and names).
//
// # Schema
//
// The file carries a schema version (SchemaVersion); Open runs the chain of
// migrations from an older file's version, all in one write transaction
// with the new version number (a crash or a failing step leaves the file as
// it was), and refuses a newer file with ErrNewerSchema without writing to
// it.
package store
