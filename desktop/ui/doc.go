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
// progress.
//
// # Threads and the core
//
// Every screen reads and acts through one *clerk.Clerk (lienthong/desktop/clerk):
// the UI never opens the store or the network itself. The core's events
// (a document arrived, a status came, the connection changed, the outbox
// moved) are read by one goroutine and applied to the widgets through
// Options.Dispatch, which is fyne.Do in the app; the same goes for the
// connection test and the first-page preview. Only the command in
// desktop/cmd/lienthong-desktop imports fyne.io/fyne/v2/app: constructors
// take a fyne.App and a fyne.Window, so the tests drive every flow headless
// with fyne.io/fyne/v2/test against a real core and an in-process hub.
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
