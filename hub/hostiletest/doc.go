// Package hostiletest holds the test of hostile PDFs against the real
// binaries (hostile_test.go): lienthong-hub, built once and run as its own
// process, receives the crafted PDFs of package padestest (decompression
// and object bombs) from eight agencies at once and must refuse each with
// pdf_too_complex while its resident memory (VmHWM) stays under 512 MiB;
// lienthong-verify and lienthong-clerk sign must refuse each file within
// 256 MiB (their maximum resident set). The agencies talk to the hub
// through apicheck.Proxy, so that each request and each refusal is checked
// against the API's schemas too. form_test.go signs forms (one in
// LibreOffice's layout, with /NeedAppearances true) twice with
// lienthong-clerk sign and checks both signatures with lienthong-verify and
// poppler's pdfsig.
//
// The package has no code of its own; run it with
//
//	go test ./hub/hostiletest/
package hostiletest
