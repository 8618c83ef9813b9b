// Package apitest checks the published API from outside the hub: its test
// starts the real lienthong-hub binary with a demo PKI and runs the example
// clients of docs/examples, written as another vendor would write one:
// bash, curl, openssl and python3's standard library. client.sh talks to
// the hub through apicheck.Proxy, so that each of its requests and the
// hub's answers are checked against the API's schemas too (edxml-client.sh
// does not: its over-limit upload is answered 413 before the body is read,
// an answer a proxy in between does not pass on intact). The traffic of
// every in-process hub of the other tests is checked by package hubtest.
package apitest
