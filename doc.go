// Package lienthong is the root of Lienthong, a document exchange hub with a
// desktop client for Vietnamese government agencies. The code lives in the
// packages below it:
//
//	certs/    the PKI: root and issuing CA, agency identity, TLS 1.3 configs
//	shared/   packages the hub and the desktop both use
//	hub/      the relay server
//	desktop/  the clerk's store, core and Fyne app, and the auditor's tools
//
// This package holds only the tests that guard that architecture: the
// direction of imports between the parts, and a doc comment on every
// package.
package lienthong
