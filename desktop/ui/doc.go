// Package ui is the clerk's desktop app in Fyne: the screens a Vietnamese
// clerk works in all day, in Vietnamese by default (English when chosen in
// Cài đặt, or when LANG starts with "en"; see lienthong/desktop/i18n).
//
// # Screens
//
// App shows the first-run Wizard (the agency's .p12 and its passphrase, the
// hub's address and roots, the local passphrase; it then tests the
// connection) or, on later starts, Unlock (the passphrase only). The main
// window has one struct per tab, each holding its widgets and its handlers
// named onX: BoxTab for Văn bản đến and Văn bản đi (DocList and DocView),
// ComposeTab (Soạn văn bản, with AgencyPicker), RegistersTab (Sổ đăng ký),
// VerifyTab (Kiểm tra chữ ký) and SettingsTab (Cài đặt). StatusBar is always
// visible: online or offline, what waits to be sent, the transfer in
// progress, the work under way in the background, and what sync failed
// and why.
//
// # Threads and the core
//
// Every screen reads and acts through one *clerk.Clerk (lienthong/desktop/clerk):
// the UI never opens the store or the network itself. Fyne's goroutine
// never waits for a key, a disk write or the hub: App.run does signing and
// sealing (Issue), every store write with its fsync (statuses, recall,
// marking read, the hub's address), the network (evidence export, sync
// now, the wizard's connection test), unlocking (the KDF), verifying a PDF
// and reading or writing files (registers, attachments, the seal image) on
// a goroutine of its own, with the button that started it off and the
// status bar busy, and applies the result through Options.Dispatch
// (fyne.Do in the app; a queue the tests drain). Short reads of the store
// (a page of a list, one document, the next number and the duplicate check
// while composing) stay on Fyne's goroutine. The core's events (a document
// arrived, a status came, the connection changed, the outbox moved, a sync
// item was refused) are read by one goroutine and applied the same way;
// SyncFailed shows in the status bar until the item goes through; a
// document the hub returned (DocumentReturned) is notified, marked in the
// outgoing list, and its view says why and offers to send it again to the
// successors the hub named (returned.go). Only the
// command in desktop/cmd/lienthong-desktop imports fyne.io/fyne/v2/app:
// constructors take a fyne.App and a fyne.Window, so the tests drive every
// flow headless with fyne.io/fyne/v2/test against a real core and an
// in-process hub.
//
// # Tokens and the two signatures
//
// A key on a PKCS#11 token (USB token) signs through the same core: the
// PIN is asked in a modal dialog (PINDialog, App.PINPrompt) from the work
// that signs, on its own goroutine, which waits for the answer; the PIN
// goes to one login and leaves the entry at once, is never stored or
// logged, and a cancelled dialog (PINCancelledError) signs nothing. A
// wrong PIN asks again with the reason. Cài đặt chooses the agency's seal
// (SealChoice): the store's key, or a key on a token picked from those
// present (TokenKeys, read with certs/token.List), kept as its pkcs11:
// URI and certificate chain in the app's preferences and opened, with
// its PIN, when the seal first signs in a run (sending opens it before a
// number is taken); the store's key stays the TLS identity, so sync
// never asks for a PIN. The compose screen shows whether the main PDF
// carries a valid signature of a competent person of the agency
// (clerk.CheckPersonSignature, run again when the main file changes),
// refuses to send or asks first as Cài đặt's setting says, and offers
// "Lãnh đạo ký tại đây": the leader signs the main PDF at the desk with a
// token key (SignHereDialog, clerk.SignAsPerson) before the clerk seals
// it. A document's view names its signers in their ND30 roles.
//
// # What a clerk reads
//
// Every text on screen comes from lienthong/desktop/i18n (a test reads this
// package's source for string literals given to widgets), but the problem
// lines of a signature report, which shared/pades writes in English. A failure is
// shown as clerk.Explain words it: what went wrong and what to do, in the
// clerk's language; the log line beside it keeps the technical cause, and
// an error Explain does not know shows a short reference that the log line
// carries too.
//
// # Lists of 100,000 documents
//
// DocList is a virtualised widget.Table that asks the core for the 100-row
// page a visible row is on and keeps at most 16 pages, so the cost of a
// screen does not grow with the box. Sorting is done by the store's indexes,
// search as you type by its hashed prefix index (with or without
// diacritics). The benchmarks in bench_test.go measure startup, scrolling,
// sorting and searching over 100,000 documents.
package ui
