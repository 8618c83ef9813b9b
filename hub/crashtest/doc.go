// Package crashtest holds the hub's crash test (crash_test.go): the real
// hub, run from a configuration over a demo PKI as a separate process, is
// killed with SIGKILL again and again while agencies upload, submit,
// download and acknowledge through the real client; after every restart on
// the same data folder and port, the test checks that the folder holds no
// half-written file, and at the end that every document whose submission
// the hub answered was delivered exactly once to each recipient. It runs twice: on the embedded bbolt
// store, and on PostgreSQL (a throwaway cluster for the package), where the
// killed hub leaves transactions and a batch of log appends holding the
// log's lock behind; each run ends with the store's Verify.
//
// The package has no code of its own; run it with
//
//	go test -race ./hub/crashtest/
package crashtest
