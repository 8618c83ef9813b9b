// Package tokentest makes throwaway SoftHSM2 tokens for tests: a token
// directory and configuration per test (SOFTHSM2_CONF), keys and
// certificates from a test PKI imported into it, and URIs naming them.
// A test that asks for a token fails when SoftHSM2 is not installed
// (packaging/install-deps.sh installs it). It needs cgo.
package tokentest
