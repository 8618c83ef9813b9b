// Package apitest checks the published API from outside the hub: its test
// starts the real lienthong-hub binary with a demo PKI and runs the example
// clients of docs/examples, written as another vendor would write one:
// bash, curl, openssl and python3's standard library. The hub's traffic in
// every test that starts an in-process hub is checked against the API's
// schemas by package hubtest (with package apicheck).
package apitest
